import { defineConfig } from "vitest/config";

// Four tiers, each a project: `npm test` runs them all, `npm run test:<tier>` one.
export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { test: { name: "module", include: ["test/module/**/*.test.ts"], testTimeout: 60_000 } },
      {
        test: {
          name: "native",
          include: ["test/native/**/*.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          testTimeout: 2_400_000,
          hookTimeout: 2_400_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
