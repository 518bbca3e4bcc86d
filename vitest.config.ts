import { defineConfig } from "vitest/config";

// Five tiers, each a project: `npm test` runs them all, `npm run test:<tier>` one.
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
      {
        // The real `dagger` CLI loading the module. It runs after the other tiers (groupOrder), as
        // its load-time test restarts the engine.
        test: {
          name: "cli",
          include: ["test/cli/**/*.test.ts"],
          testTimeout: 3_600_000,
          hookTimeout: 3_600_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
