import { defineConfig } from "vitest/config";

// `npm run bench` (test/bench/run.sh): one long "test" that is the benchmark; never part of `npm test`.
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: [process.env.WVA_BENCH_ENTRY ?? "test/bench/run.ts"],
    testTimeout: 0,
    hookTimeout: 0,
    disableConsoleIntercept: true,
    reporters: ["default"],
  },
});
