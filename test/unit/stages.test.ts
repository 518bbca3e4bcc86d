import { describe, expect, test } from "vitest";
import { errorText, failureReport, runStages, summarize } from "../../dagger/src/lib/stages.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runStages", () => {
  test("runs stages concurrently, not one after another", async () => {
    const start = Date.now();
    const results = await runStages([
      ["a", () => sleep(200)],
      ["b", () => sleep(200)],
      ["c", () => sleep(200)],
    ]);
    expect(Date.now() - start).toBeLessThan(500);
    expect(results.map((r) => [r.name, r.ok])).toEqual([["a", true], ["b", true], ["c", true]]);
  });

  test("keeps running after a failure and reports every failing stage", async () => {
    let lateStageFinished = false;
    const results = await runStages([
      ["lint", async () => { throw new Error("lint: 2 issues"); }],
      ["build", () => sleep(1)],
      ["test", async () => { await sleep(50); lateStageFinished = true; throw new Error("unit tests failed"); }],
    ]);
    expect(lateStageFinished).toBe(true);
    const report = failureReport(results)!;
    expect(report.split("\n")[0]).toBe("2 of 3 stages failed: lint, test");
    expect(report).toContain("── lint ──\nlint: 2 issues");
    expect(report).toContain("── test ──\nunit tests failed");
    expect(report).not.toContain("── build ──");
  });

  test("no report when everything passed", async () => {
    expect(failureReport(await runStages([["a", async () => 1]]))).toBeUndefined();
  });
});

test("summarize aligns names and marks outcomes", () => {
  expect(
    summarize([
      { name: "lint", ok: true, seconds: 1.25 },
      { name: "generated", ok: false, seconds: 10 },
    ]),
  ).toBe("✔ lint       1.3s\n✘ generated  10.0s");
});

test("errorText appends the tail of exec output", () => {
  const e = Object.assign(new Error("process exited with 1"), {
    stdout: Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n"),
    stderr: "boom",
  });
  const text = errorText(e, 3);
  expect(text).toBe("process exited with 1\nline 48\nline 49\nboom");
});
