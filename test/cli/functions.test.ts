/**
 * What a user sees first: `dagger functions` and `--help` in a clone of this repository, and a bad
 * release tag refused before anything is built. No image defaults are overridden here, so the help
 * shows the module's own defaults.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DAGGER_CALL_FLAGS } from "../dagger-call.js";
import { copyProject, dagger, gitCheckout, scratch, tail } from "./cli.js";

const dir = scratch("functions");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const checkout = join(dir, "wva");
gitCheckout(checkout, copyProject);

/** `name   description` rows of a `dagger functions` / `--help` listing, as a map. */
function rows(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\s*(\S+)\s{2,}(.*\S)\s*$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/**
 * The ARGUMENTS section of a `--help`, as flag → "type description" with the CLI's line wrapping
 * undone (it wraps descriptions to the terminal width, a default on a line of its own).
 */
function argumentsOf(help: string): Map<string, string> {
  const plain = help.replace(/\x1b\[[0-9;]*m/g, "");
  const section = plain.split(/^ARGUMENTS$/m)[1]?.split(/^[A-Z][A-Z ]+$/m)[0] ?? "";
  const out = new Map<string, string>();
  let flag: string | undefined;
  for (const line of section.split("\n")) {
    const m = /^\s+(--[\w-]+)(.*)$/.exec(line);
    if (m) out.set((flag = m[1]), m[2]);
    else if (flag) out.set(flag, `${out.get(flag)} ${line}`);
  }
  for (const [k, v] of out) out.set(k, v.replace(/\s+/g, " ").trim());
  return out;
}

describe("dagger functions and --help", () => {
  it("dagger functions lists the main functions with their descriptions", async () => {
    const run = await dagger(["functions"], checkout);
    expect(run.code, tail(run)).toBe(0);
    const fns = rows(run.stdout);
    for (const name of [
      "ci", "ci-stages", "lint", "lint-fix", "vet", "check-format", "check-generated", "build", "binaries", "test",
      "coverage", "helm-lint", "image", "publish-image", "chart", "chart-for-release", "release-chart", "release",
      // the CLI's spelling of e2e (digits are words of their own): `dagger call e2e` is unknown
      "commit-chart", "kind", "e-2-e", "e-2-e-result", "e-2-e-runner", "openshift-e-2-e", "github", "go",
    ]) {
      expect(fns.has(name), `${name} in:\n${run.stdout}`).toBe(true);
    }
    expect(fns.get("ci")).toMatch(/^Runs the pull-request checks concurrently/);
    expect(fns.get("release")).toMatch(/^The release: validates the tag/);
  });

  it("dagger call release --help shows the arguments and their defaults", async () => {
    const run = await dagger(["call", "release", "--help"], checkout);
    expect(run.code, tail(run)).toBe(0);
    const args = argumentsOf(run.stdout);
    expect(args.get("--tag")).toMatch(/^string Release tag, vMAJOR\.MINOR\.PATCH\[-PRERELEASE\].*\[required\]$/);
    expect(args.get("--image-repository")).toBe('string Image repository. (default "ghcr.io/llm-d-incubation/workload-variant-autoscaler")');
    expect(args.get("--chart-registry")).toBe('string OCI repository of the chart. (default "oci://ghcr.io/llm-d-incubation/charts")');
    // the CLI prints no default for a list; the dry run's summary shows both platforms (readme.test.ts)
    expect(args.get("--platforms")).toBe("strings Platforms of the image index.");
    expect(args.get("--dry-run")).toMatch(/^Rehearse against an in-engine registry/);
    expect(args.get("--password")).toMatch(/^Secret Registry token as a Secret/);
  });

  it("dagger call --help shows the constructor's image defaults", async () => {
    const run = await dagger(["call", "--help"], checkout);
    expect(run.code, tail(run)).toBe(0);
    // the CLI's own flags are the list the schema test keeps arguments clear of (module tier)
    const own = run.stdout.replace(/\x1b\[[0-9;]*m/g, "").split(/^OPTIONS$/m)[1] ?? "";
    const flags = [...own.matchAll(/^\s+(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]);
    expect([...flags, "help"].sort()).toEqual([...DAGGER_CALL_FLAGS].sort());
    const args = argumentsOf(run.stdout);
    for (const [flag, value] of [
      ["--registry-image", "registry:3.0.0"],
      ["--base-image", "gcr.io/distroless/static:nonroot"],
      ["--helm-image", "alpine/helm:3.22.0"],
      ["--kind-node-image", "kindest/node:v1.32.0"],
    ]) {
      expect(args.get(flag), `${flag} in:\n${run.stdout}`).toMatch(new RegExp(`^string .*\\(default "${value.replace(/[./]/g, "\\$&")}"\\)$`));
    }
  });

  it("release --tag 0.4.1 exits non-zero with the expected form, before anything is built", async () => {
    const run = await dagger(["call", "release", "--tag", "0.4.1"], checkout);
    expect(run.code, tail(run)).not.toBe(0);
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out).toContain(
      'invalid release tag "0.4.1": a release tag starts with v; expected vMAJOR.MINOR.PATCH[-PRERELEASE], e.g. v0.4.1 or v0.5.0-rc.1',
    );
    // Nothing ran: no container was started for a build, image or chart.
    expect(out).not.toMatch(/withExec|go build|helm (lint|package|push)|publish/i);
  });
});
