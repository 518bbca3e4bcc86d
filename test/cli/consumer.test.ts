/**
 * Composing from another repository: test/fixtures/wva-consumer is a TypeScript module that depends
 * on this one by local path (dagger.json `dependencies`) and calls `dag.wva(…).lint()` and
 * `dag.wva(…).build(…)` through its generated bindings. `dagger call` on it lints and builds the
 * fixture controller through wva and returns the binary.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyProject, dagger, elfMachine, gitCheckout, runBinary, scratch, tail } from "./cli.js";

const dir = scratch("consumer");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const checkout = join(dir, "wva");
gitCheckout(checkout, copyProject);
const consumer = "test/fixtures/wva-consumer";

describe("a module that depends on wva", () => {
  it("dagger functions on the consumer lists its function", async () => {
    const run = await dagger(["-m", consumer, "functions"], checkout);
    expect(run.code, tail(run)).toBe(0);
    expect(run.stdout).toMatch(/^binary\s+The controller binary for `platform`, built by wva once wva's lint stage passed/m);
  });

  it("dagger call on the consumer runs wva's lint and build and returns the binary", async () => {
    const out = join(dir, "manager");
    // the fixture controller with a file no earlier run had: the engine keeps function calls
    // cached across sessions, and a cached call would show none of wva's execs in the log
    const controller = join(dir, "controller");
    cpSync(join(checkout, "test/fixtures/wva-fixture"), controller, { recursive: true });
    writeFileSync(join(controller, "RUN_ID"), `${Date.now()}-${Math.random()}\n`);
    const run = await dagger(
      ["-m", consumer, "call", "binary", "--source", controller, "export", "--path", out],
      checkout,
    );
    expect(run.code, tail(run)).toBe(0);
    expect(elfMachine(readFileSync(out))).toBe("x86-64");
    expect(runBinary(out, ["-version"])).toContain("consumer");
    // wva's own functions ran, called from the consumer
    const log = run.stderr;
    expect(log).toMatch(/golangci-lint/);
    expect(log).toMatch(/go build/);
  });
});
