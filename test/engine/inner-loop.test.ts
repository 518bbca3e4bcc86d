/**
 * The inner loop's caching never serves a stale result: on the real engine, a changed test file's
 * new failure is seen by `test` and by `ci`, and a fix is seen as passing again; a changed Go file
 * that breaks a test is seen too.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { goFileEdit, nonce, testFileEdit } from "../bench/edits.js";
import { failure, fixtureDir, localWva, onEngine } from "./engine.js";

const scratch = mkdtempSync(join(tmpdir(), "wva-inner-loop-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("no stale results after a change", () => {
  const dir = join(scratch, "fixture");
  cpSync(fixtureDir, dir, { recursive: true });
  writeFileSync(join(dir, ".marker"), nonce());
  const testFile = join(dir, "internal/scaler/scaler_test.go");
  const goFile = join(dir, "internal/scaler/scaler.go");
  const originalTest = readFileSync(testFile, "utf8");
  const originalGo = readFileSync(goFile, "utf8");

  it("a test file's new failure is seen by test and by ci, and its fix passes again", async () => {
    expect(await failure(() => localWva(dir).test())).toBeUndefined();

    const failing = nonce();
    writeFileSync(testFile, testFileEdit(originalTest, failing, true));
    const test = await failure(() => localWva(dir).test());
    expect(test).toMatch(/^unit tests failed:\nexample\.com\/wva-fixture\/internal\/scaler: TestBenchEdit/);
    expect(test).toContain(`benchmark edit ${failing} fails`);
    const ci = await failure(() => localWva(dir).ci(["e2e", "image", "chart"]));
    expect(ci!.split("\n")[0]).toMatch(/^1 of \d+ stages failed: test$/);
    expect(ci).toContain("TestBenchEdit");

    writeFileSync(testFile, testFileEdit(originalTest, nonce()));
    const report = await onEngine(() => localWva(dir).testReport(false, true));
    expect(report).toMatch(/--- PASS: TestBenchEdit/);
    expect(report).not.toMatch(/^FAIL/m);
  });

  it("a Go file change that breaks a test is seen; undoing it passes again", async () => {
    writeFileSync(testFile, originalTest);
    // the edit's value is checked by a new test: a change of the Go file alone must make it fail
    const tested = `${originalTest.replace(/\n*$/, "\n")}\nfunc TestBenchValue(t *testing.T) {\n\tif benchEdit != "expected" {\n\t\tt.Fatalf("benchEdit is %q", benchEdit)\n\t}\n}\n`;
    writeFileSync(testFile, tested);
    writeFileSync(goFile, goFileEdit(originalGo, "expected"));
    expect(await failure(() => localWva(dir).test())).toBeUndefined();
    writeFileSync(goFile, goFileEdit(originalGo, "changed"));
    expect(await failure(() => localWva(dir).test())).toMatch(/TestBenchValue[^]*benchEdit is "changed"/);
    writeFileSync(goFile, goFileEdit(originalGo, "expected"));
    expect(await failure(() => localWva(dir).test())).toBeUndefined();
  });
});
