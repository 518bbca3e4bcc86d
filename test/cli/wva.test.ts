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
 *
 * This is where WVA's Go stages are judged, each on its own and through `ci`: under `dagger call`
 * the module's cache volumes are the module's own (Dagger namespaces them by module), so the stages
 * after `ci` reuse what it compiled, as a maintainer's next call would.
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

/** `dagger call -m <module> --source . --envtest-assets <dir>`, what every call below starts with. */
const call = () => ["call", "-m", module, "--source", ".", "--envtest-assets", envtestAssets()];

describe("WVA's tree with this module as -m", () => {
  it("without --source, the source is the module's repository, and ci says what to pass", async () => {
    const run = await dagger(["call", "-m", module, "ci", "--skip", "e2e"], wva);
    expect(run.code, tail(run)).not.toBe(0);
    expect(`${run.stdout}\n${run.stderr}`).toContain("the source has no go.mod at its root; pass --source <a Go module> or --go-version");
  });

  it("dagger call -m <module> --source . --envtest-assets <dir> ci --skip e2e passes every stage on WVA's tree", async () => {
    const run = await dagger([...call(), "ci", "--skip", "e2e"], wva);
    console.log(tail(run, 20));
    expect(run.code, tail(run)).toBe(0);
    for (const stage of ["lint", "build", "test", "image", "chart"]) expect(run.stdout).toMatch(new RegExp(`✔ ${stage}\\b`));
    expect(run.stdout).toContain("not gated (as in WVA's CI): gofmt check and -race");
  });

  it("each stage passes on its own (lint, vet, check-generated, build, image, helm-lint)", async () => {
    const times: string[] = [];
    for (const stage of [["lint"], ["vet"], ["check-generated"], ["build", "size"], ["image", "platform"], ["helm-lint"]]) {
      const run = await dagger([...call(), ...stage], wva);
      times.push(`${stage[0]} ${run.seconds.toFixed(1)}s`);
      expect(run.code, `${stage[0]}: ${tail(run)}`).toBe(0);
    }
    console.log(`WVA stages through dagger call: ${times.join(", ")}`);
  });

  it("test-report --full runs WVA's envtest suites (and test/chart's helm template) and they pass", async () => {
    const run = await dagger([...call(), "test-report", "--full"], wva);
    expect(run.code, tail(run)).toBe(0);
    for (const suite of ["Controller Suite", "Actuator Suite"]) expect(run.stdout).toContain(`Running Suite: ${suite}`);
    expect(run.stdout).toMatch(/--- PASS: TestControllers/);
    expect(run.stdout).toMatch(/^ok\s+\S+\/test\/chart\s/m);
    expect(run.stdout).not.toMatch(/^FAIL/m);
  });

  it("ci --strict (tests left out) fails naming exactly the format stage and WVA's 4 unformatted files", async () => {
    // The strict run leaves the test stage out: -race over WVA's three envtest suites costs more
    // than this tier can spend; the unit tests themselves ran above.
    const run = await dagger([...call(), "ci", "--skip", "e2e", "--skip", "test", "--strict"], wva);
    expect(run.code, tail(run)).not.toBe(0);
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).toMatch(/\b1 of \d+ stages failed: format\b/);
    // the format section of the error: a heading, then one file a line, up to a blank line
    const section = (out.split("── format ──")[1] ?? "").split(/\n[^\w\n]*\n/)[0];
    const files = [...section.matchAll(/(\S+\.go)\s*$/gm)].map((m) => m[1]);
    expect(files.sort(), out).toEqual([
      "internal/engines/saturation/engine.go",
      "test/chart/client_only_install_test.go",
      "test/e2e-openshift/scale_to_zero_test.go",
      "test/e2e-openshift/sharegpt_scaleup_test.go",
    ]);
  });
});
