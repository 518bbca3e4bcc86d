import { describe, expect, test } from "vitest";
import { describeFailures, failedTests, unitTestPackages, packageResults, withoutPassing } from "../../dagger/src/lib/gotest.js";

describe("unitTestPackages", () => {
  const listed = [
    "example.com/wva/cmd",
    "example.com/wva/internal/scaler",
    "example.com/wva/test/e2e",
    "example.com/wva/test/e2e-saturation-based",
    "example.com/wva/test/benchmark",
    "",
  ].join("\n");
  test("drops e2e packages, as WVA's Makefile does with grep -v /e2e", () => {
    expect(unitTestPackages(listed, ["/e2e"])).toEqual([
      "example.com/wva/cmd",
      "example.com/wva/internal/scaler",
      "example.com/wva/test/benchmark",
    ]);
  });
  test("several exclusions", () => {
    expect(unitTestPackages(listed, ["/e2e", "/benchmark"])).toEqual([
      "example.com/wva/cmd",
      "example.com/wva/internal/scaler",
    ]);
  });
});

describe("failedTests", () => {
  const out = `ok  	example.com/wva/internal/metrics	1.012s	coverage: 91.0% of statements
--- FAIL: TestDesiredReplicas (0.00s)
    --- FAIL: TestDesiredReplicas/zero_load (0.00s)
        scaler_test.go:42: got 3, want 1
FAIL
coverage: 80.0% of statements
FAIL	example.com/wva/internal/scaler	0.021s
# example.com/wva/internal/server [example.com/wva/internal/server.test]
internal/server/server_test.go:10:2: undefined: nope
FAIL	example.com/wva/internal/server [build failed]
FAIL
`;
  test("names each failing package with its failing tests", () => {
    expect(failedTests(out)).toEqual([
      { pkg: "example.com/wva/internal/scaler", tests: ["TestDesiredReplicas", "TestDesiredReplicas/zero_load"] },
      { pkg: "example.com/wva/internal/server", tests: [] },
    ]);
  });
  test("a passing run has no failures", () => {
    expect(failedTests("ok  \texample.com/a\t0.1s\nok  \texample.com/b\t0.2s\n")).toEqual([]);
  });
  test("describes failures one package per line", () => {
    expect(describeFailures(failedTests(out))).toBe(
      "example.com/wva/internal/scaler: TestDesiredReplicas, TestDesiredReplicas/zero_load\n" +
        "example.com/wva/internal/server: build failed or no test output",
    );
  });
});

describe("go test -v output", () => {
  const out = [
    "=== RUN   TestA",
    "--- PASS: TestA (0.00s)",
    "=== RUN   TestB",
    "    b_test.go:9: got 3",
    "--- FAIL: TestB (0.00s)",
    "FAIL",
    "FAIL\texample.com/x/b\t0.01s",
    "ok  \texample.com/x/a\t0.02s\tcoverage: 80.0% of statements",
    "?   \texample.com/x/cmd\t[no test files]",
  ].join("\n");

  test("packageResults keeps the per-package lines and the failing tests", () => {
    expect(packageResults(out).split("\n")).toEqual([
      "--- FAIL: TestB (0.00s)",
      "FAIL\texample.com/x/b\t0.01s",
      "ok  \texample.com/x/a\t0.02s\tcoverage: 80.0% of statements",
      "?   \texample.com/x/cmd\t[no test files]",
    ]);
  });

  test("withoutPassing drops passing tests' progress lines and keeps the failure's", () => {
    expect(withoutPassing(out)).not.toMatch(/TestA/);
    expect(withoutPassing(out)).toMatch(/b_test.go:9: got 3\n--- FAIL: TestB/);
  });
});
