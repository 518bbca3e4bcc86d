/**
 * WVA's own tree (a git checkout of a copy of ../shared/upstream/wva) with this module as `-m`
 * (a clone of this repository next to it), as the README says: `dagger call -m <module> ci --skip e2e`.
 *
 * With `-m`, `defaultPath: "/"` is the module's own repository (Dagger resolves it against the
 * module's context, not the working directory), so the WVA tree is passed as `--source .`; without
 * it the error says so.
 *
 * There is no internet here, so the envtest binaries come from the machine (build-k8s.sh) through
 * `--envtest-assets`, as an air-gapped user passes them.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { envtestAssets, k8sReady } from "../engine/engine.js";
import { upstreamCopy } from "../upstream.js";
import { copyProject, dagger, gitCheckout, scratch, tail } from "./cli.js";

const dir = scratch("upstream");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const module = join(dir, "wva-module");
gitCheckout(module, copyProject);
const wva = upstreamCopy();
afterAll(() => rmSync(join(wva, ".."), { recursive: true, force: true }));
gitCheckout(wva, () => {});

// envtest's binaries: npm test's up.sh may still be building them (k8s-lane.ts)
beforeAll(() => k8sReady(), 3_300_000);

describe("WVA's tree with this module as -m", () => {
  it("without --source, the source is the module's repository, and ci says what to pass", async () => {
    const run = await dagger(["call", "-m", module, "ci", "--skip", "e2e"], wva);
    expect(run.code, tail(run)).not.toBe(0);
    expect(`${run.stdout}\n${run.stderr}`).toContain("the source has no go.mod at its root; pass --source <a Go module> or --go-version");
  });

  it("dagger call -m <module> --source . --envtest-assets <dir> ci --skip e2e passes every stage on WVA's tree", async () => {
    const run = await dagger(["call", "-m", module, "--source", ".", "--envtest-assets", envtestAssets(), "ci", "--skip", "e2e"], wva);
    console.log(tail(run, 20));
    expect(run.code, tail(run)).toBe(0);
    for (const stage of ["lint", "build", "test", "image", "chart"]) expect(run.stdout).toMatch(new RegExp(`✔ ${stage}\\b`));
    expect(run.stdout).toContain("not gated (as in WVA's CI): gofmt check and -race");
  });
});
