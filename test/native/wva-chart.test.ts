/**
 * WVA's real chart (a copy of charts/workload-variant-autoscaler from WVA's repository) through
 * what the module does to it, with the real helm v3.22.0, helm-docs v1.14.2 and git:
 * - the `chart` stage: `helm lint --strict` and a render pass; README.md is not checked, because
 *   the chart has no README.md.gotmpl (helm-docs would replace its hand-written README);
 * - the release edit for v0.5.1: README.md byte-identical, and the diff is exactly the four lines
 *   version, appVersion, wva.image.repository and wva.image.tag;
 * - commit-chart (the module's own commit script) against a bare clone of the WVA copy: one
 *   commit with only Chart.yaml and values.yaml, exactly those four lines.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { isHelmDocsManaged, releasedFileNames } from "../../dagger/src/lib/chart-docs.js";
import { renderedImages } from "../../dagger/src/lib/helm-output.js";
import { COMMIT_CHART } from "../../dagger/src/lib/release-scripts.js";
import { upstreamCopy } from "../upstream.js";
import { PATH, releaseChartInPlace, tool } from "./tools.js";

/** WVA's chart, in its repository. */
const WVA_CHART = "charts/workload-variant-autoscaler";

const TAG = "v0.5.1";
/** The module's default image repository (differs from WVA's, so the repository line changes too). */
const REPOSITORY = "ghcr.io/llm-d-incubation/workload-variant-autoscaler";
/** The four lines a release changes in WVA's chart, as `git diff -U0` shows them. */
const FOUR_LINES = [
  `-version: 0.5.0`,
  `-appVersion: "v0.5.0"`,
  `-    repository: ghcr.io/llm-d/llm-d-workload-variant-autoscaler`,
  `-    tag: v0.5.0`,
  `+version: 0.5.1`,
  `+appVersion: "v0.5.1"`,
  `+    repository: ${REPOSITORY}`,
  `+    tag: "v0.5.1"`,
];

const env = (cwd: string) => ({ ...process.env, PATH, GIT_CONFIG_GLOBAL: "/dev/null", HELM_CACHE_HOME: join(cwd, ".helm-cache"), HELM_CONFIG_HOME: join(cwd, ".helm-config") });
function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd === "git" ? "git" : tool(cmd), args, { cwd, encoding: "utf8", env: env(cwd) });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", env: env(cwd) }).trim();
const gitInit = (dir: string) => {
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=wva", "-c", "user.email=wva@example.com", "commit", "--quiet", "-m", "WVA snapshot");
};
/** Changed lines of a `git diff -U0` output (no file headers or hunk markers): removed ones, then added ones. */
const changedLines = (diff: string) => {
  const all = diff.split("\n").filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
  return [...all.filter((l) => l.startsWith("-")), ...all.filter((l) => l.startsWith("+"))];
};
const lines = (s: string) => s.split("\n").length - (s.endsWith("\n") ? 1 : 0);

describe("WVA's chart", () => {
  test("the chart stage passes on it: helm lint --strict and a render; its README is not helm-docs-managed, so not checked", () => {
    const chart = upstreamCopy(WVA_CHART);
    const lint = run("helm", ["lint", "--strict", "."], chart);
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const render = run("helm", ["template", "wva", ".", "--namespace", "workload-variant-autoscaler-system"], chart);
    expect(render.status, render.stderr).toBe(0);
    expect(isHelmDocsManaged(readdirSync(chart))).toBe(false);

    // Why it must not be checked or regenerated: helm-docs replaces the hand-written README.
    const readme = readFileSync(join(chart, "README.md"), "utf8");
    expect(readme).toContain("### INSTALL (on OpenShift)");
    const docs = run("helm-docs", ["--chart-search-root", ".", "--log-level", "warning"], chart);
    expect(docs.status, docs.stderr).toBe(0);
    const generated = readFileSync(join(chart, "README.md"), "utf8");
    expect(generated).not.toContain("### INSTALL (on OpenShift)");
    expect(lines(generated)).toBeLessThan(lines(readme) / 2);
    console.log(`WVA chart README: ${lines(readme)} lines committed; helm-docs would leave ${lines(generated)}`);
  });

  test(`release ${TAG}: README.md byte-identical, the diff is exactly the four edited lines, the chart lints and renders the image`, () => {
    const chart = upstreamCopy(WVA_CHART);
    gitInit(chart);
    const readme = readFileSync(join(chart, "README.md"));
    expect(releaseChartInPlace(chart, { tag: TAG, imageRepository: REPOSITORY })).toBe(false); // helm-docs did not run
    expect(readFileSync(join(chart, "README.md")).equals(readme)).toBe(true);
    expect(git(chart, "diff", "--name-only").split("\n")).toEqual(["Chart.yaml", "values.yaml"]);
    expect(changedLines(git(chart, "diff", "-U0"))).toEqual(FOUR_LINES);
    console.log(`WVA chart README after the ${TAG} release edit: ${lines(readme.toString())} lines (byte-identical)`);

    const lint = run("helm", ["lint", "--strict", "."], chart);
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    const render = run("helm", ["template", "wva", ".", "--namespace", "workload-variant-autoscaler-system"], chart);
    expect(render.status, render.stderr).toBe(0);
    const images = renderedImages(render.stdout);
    expect(images.length).toBeGreaterThan(0);
    for (const i of images) expect(i.image).toBe(`${REPOSITORY}:${TAG}`);
  });

  test("commit-chart on a bare clone of the WVA copy commits only Chart.yaml and values.yaml: exactly the four lines", () => {
    const root = mkdtempSync(join(tmpdir(), "wva-commit-"));
    const seed = upstreamCopy();
    gitInit(seed);
    const origin = join(root, "origin.git");
    git(root, "clone", "--quiet", "--bare", seed, origin);
    const before = git(origin, "rev-parse", "main");

    // The released files as Chart.releasedFiles() exports them: only what the release changed.
    const chart = upstreamCopy(WVA_CHART);
    const names = releasedFileNames(isHelmDocsManaged(readdirSync(chart)));
    expect(names).toEqual(["Chart.yaml", "values.yaml"]);
    releaseChartInPlace(chart, { tag: TAG, imageRepository: REPOSITORY });
    const update = join(root, "update");
    mkdirSync(update);
    for (const n of names) cpSync(join(chart, n), join(update, n));
    const work = join(root, "work");
    mkdirSync(work);

    const r = spawnSync("sh", ["-c", COMMIT_CHART], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH, HOME: root, GIT_CONFIG_GLOBAL: "/dev/null",
        REPO_URL: `file://${origin}`, BRANCH: "main", CHART_PATH: WVA_CHART, FILES: names.join(" "),
        MESSAGE: `chore(release): chart 0.5.1 for ${TAG}`, AUTHOR_NAME: "github-actions[bot]", AUTHOR_EMAIL: "bot@example.com",
        UPDATE_DIR: update, WORK_DIR: work,
      },
    });
    expect(r.status, r.stderr).toBe(0);
    const head = git(origin, "rev-parse", "main");
    expect(r.stdout.trim()).toBe(`pushed ${head}`);
    expect(git(origin, "rev-parse", "main~1")).toBe(before);
    expect(git(origin, "diff", "--name-only", "main~1", "main").split("\n")).toEqual([`${WVA_CHART}/Chart.yaml`, `${WVA_CHART}/values.yaml`]);
    expect(changedLines(git(origin, "diff", "-U0", "main~1", "main"))).toEqual(FOUR_LINES);
    expect(git(origin, "show", `main:${WVA_CHART}/README.md`)).toBe(readFileSync(join(seed, WVA_CHART, "README.md"), "utf8").trimEnd());
  });
});
