/** Which packages unit tests cover, and what a failing `go test` run is reported as. */

/**
 * Packages to unit-test: everything `go list ./...` printed except packages whose import path
 * contains one of `exclude` (WVA's Makefile: `grep -v /e2e`).
 */
export function unitTestPackages(goListOutput: string, exclude: string[]): string[] {
  return goListOutput
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((p) => p && !exclude.some((x) => p.includes(x)));
}

/** A failing test, by package. */
export interface TestFailure {
  pkg: string;
  tests: string[];
}

/**
 * Reads plain `go test` output and returns the failing packages with their failing tests
 * (`--- FAIL: TestX` lines belong to the next `FAIL\t<pkg>` line). Build failures of a package
 * appear as a package with no tests.
 */
export function failedTests(output: string): TestFailure[] {
  const failures: TestFailure[] = [];
  let pending: string[] = [];
  for (const line of output.split(/\r?\n/)) {
    const t = /^\s*--- FAIL: (\S+)/.exec(line);
    if (t) {
      pending.push(t[1]);
      continue;
    }
    const p = /^FAIL\s+(\S+)(\s|$)/.exec(line);
    if (p && p[1] !== "FAIL") {
      failures.push({ pkg: p[1], tests: pending });
      pending = [];
    }
  }
  return failures;
}

/** One-line-per-package summary of failures, e.g. `example.com/x/internal/scaler: TestA, TestB/case`. */
export function describeFailures(failures: TestFailure[]): string {
  return failures
    .map((f) => `${f.pkg}: ${f.tests.length ? f.tests.join(", ") : "build failed or no test output"}`)
    .join("\n");
}

/** Only the per-package result lines of `go test` output (`ok …`, `FAIL …`, `?   … [no test files]`). */
export function packageResults(output: string): string {
  return output
    .split(/\r?\n/)
    .filter((l) => /^(ok|FAIL|\?)\s+\S+/.test(l) || /^---\s+FAIL:/.test(l.trim()))
    .join("\n");
}

/** `go test -v` output without the lines of passing tests' progress (RUN/PAUSE/CONT, --- PASS). */
export function withoutPassing(output: string): string {
  return output
    .split(/\r?\n/)
    .filter((l) => !/^\s*(=== (RUN|PAUSE|CONT|NAME)\s|--- (PASS|SKIP):)/.test(l))
    .join("\n");
}
