/**
 * The README's commands, typed in git checkouts as users have them:
 * - in a clone of this repository, `ci` on the fixture controller and this repository's chart
 *   (passes; a copy with a lint error fails and names the stage);
 * - in a repository that has the module as its `dagger/` module (the fixture controller at its root,
 *   the chart under charts/): `dagger check` lists and runs the checks, `build --platform linux/arm64
 *   export` writes an aarch64 binary, `release --tag v0.4.1 --dry-run` prints the release summary.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  copyProject,
  dagger,
  elfMachine,
  gitCheckout,
  installModule,
  repo,
  runBinary,
  scratch,
  tail,
} from "./cli.js";

const dir = scratch("readme");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A clone of this repository. */
const clone = join(dir, "wva");
gitCheckout(clone, copyProject);
/** The same, with a lint error in the fixture controller (an unused function). */
const broken = join(dir, "wva-lint-error");
gitCheckout(broken, (d) => {
  copyProject(d);
  writeFileSync(join(d, "test/fixtures/wva-fixture/internal/scaler/broken.go"), "package scaler\n\nfunc injectedUnusedHelper() int { return 42 }\n");
});
/** A repository with the fixture controller at its root, the chart, and this module as its dagger/ module. */
const controller = join(dir, "controller");
gitCheckout(controller, (d) => {
  cpSync(join(repo, "test/fixtures/wva-fixture"), d, { recursive: true });
  cpSync(join(repo, "charts"), join(d, "charts"), { recursive: true });
  installModule(d);
});

const README_CI = ["call", "--source=test/fixtures/wva-fixture", "--chart=charts/workload-variant-autoscaler", "ci", "--skip", "e2e"];

describe("the README's commands", () => {
  it("dagger call --source=test/fixtures/wva-fixture --chart=charts/workload-variant-autoscaler ci --skip e2e passes", async () => {
    const run = await dagger(README_CI, clone);
    expect(run.code, tail(run)).toBe(0);
    for (const stage of ["lint", "build", "test", "chart"]) {
      expect(run.stdout, run.stdout).toMatch(new RegExp(`✔ ${stage}\\b`));
    }
    expect(run.stdout).not.toMatch(/✘/);
  });

  it("the same on a copy with a lint error exits non-zero and names the lint stage", async () => {
    const run = await dagger(README_CI, broken);
    expect(run.code, tail(run)).not.toBe(0);
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).toMatch(/stages failed: lint\b/);
    expect(out).toMatch(/✘ lint/);
    expect(out).toContain("injectedUnusedHelper");
    expect(out).toMatch(/✔ build/);
  });

  it("dagger check lists the checks, then runs them and they pass", async () => {
    const list = await dagger(["check", "-l"], controller);
    expect(list.code, tail(list)).toBe(0);
    const listed = `${list.stdout}\n${list.stderr}`;
    for (const check of ["lint", "vet", "check-format", "check-generated", "test", "helm-lint"]) {
      expect(listed, listed).toMatch(new RegExp(`\\b${check}\\b`));
    }
    const run = await dagger(["check"], controller);
    expect(run.code, tail(run)).toBe(0);
  });

  it("dagger call build --platform linux/arm64 export --path <file> writes an aarch64 ELF", async () => {
    const out = join(dir, "manager-arm64");
    const run = await dagger(["call", "build", "--platform", "linux/arm64", "export", "--path", out], controller);
    expect(run.code, tail(run)).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(elfMachine(readFileSync(out))).toBe("aarch64");
    // and the amd64 one runs here, stamped with the version asked for
    const amd64 = join(dir, "manager-amd64");
    const run2 = await dagger(["call", "build", "--version", "v9.8.7", "export", "--path", amd64], controller);
    expect(run2.code, tail(run2)).toBe(0);
    expect(runBinary(amd64, ["-version"])).toContain("v9.8.7");
  });

  it("dagger call release --tag v0.4.1 --dry-run prints the release summary", async () => {
    const run = await dagger(["call", "release", "--tag", "v0.4.1", "--dry-run"], controller);
    expect(run.code, tail(run)).toBe(0);
    const summary = run.stdout;
    const local = "localhost:5000/llm-d-incubation/workload-variant-autoscaler";
    expect(summary).toContain("release v0.4.1 (dry run against an in-engine registry, localhost:5000)");
    expect(summary).toMatch(new RegExp(`image\\s+${local}:v0\\.4\\.1@sha256:[0-9a-f]{64}`));
    expect(summary).toMatch(/tags\s+v0\.4\.1, latest/);
    expect(summary).toMatch(/platforms\s+linux\/amd64, linux\/arm64/);
    expect(summary).toMatch(/chart\s+oci:\/\/registry:5000\/llm-d-incubation\/charts\/workload-variant-autoscaler:0\.4\.1@sha256:/);
    expect(summary).toContain(`Deployment/wva-workload-variant-autoscaler-controller-manager → ${local}:v0.4.1 ✔`);
  });
});
