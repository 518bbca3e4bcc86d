/**
 * The commit-back script (what `commit-chart` runs in its git container), run here with the real
 * git and sh against a local bare repository: it commits only the released chart files to the
 * branch, signs off, pushes, is idempotent, fails loudly on a bad branch, and never writes the
 * token anywhere in either repository.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { COMMIT_CHART } from "../../dagger/src/lib/release-scripts.js";

const TOKEN = "s3cr3t-git-token-native-77";
const CHART = "charts/workload-variant-autoscaler";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } }).trim();

/** A bare "origin" whose main branch has an old chart, and the released files to commit. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), "wva-commit-"));
  const origin = join(root, "origin.git");
  const seed = join(root, "seed");
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", origin);
  git(root, "init", "--quiet", "--initial-branch=main", seed);
  mkdirSync(join(seed, CHART), { recursive: true });
  writeFileSync(join(seed, CHART, "Chart.yaml"), "name: workload-variant-autoscaler\nversion: 0.4.0\n");
  writeFileSync(join(seed, CHART, "values.yaml"), "wva:\n  image:\n    tag: v0.4.0\n");
  writeFileSync(join(seed, CHART, "README.md"), "old\n");
  writeFileSync(join(seed, "other.txt"), "untouched\n");
  git(seed, "add", ".");
  git(seed, "-c", "user.name=seed", "-c", "user.email=seed@example.com", "commit", "--quiet", "-m", "seed");
  git(seed, "push", "--quiet", origin, "main");
  const update = join(root, "update");
  mkdirSync(update);
  writeFileSync(join(update, "Chart.yaml"), "name: workload-variant-autoscaler\nversion: 0.4.1\n");
  writeFileSync(join(update, "values.yaml"), "wva:\n  image:\n    tag: v0.4.1\n");
  writeFileSync(join(update, "README.md"), "new\n");
  writeFileSync(join(update, "stray.txt"), "must not be committed\n");
  return { root, origin, update };
}

function commit(s: ReturnType<typeof setup>, branch = "main", work = mkdtempSync(join(s.root, "work-"))) {
  const r = spawnSync("sh", ["-c", COMMIT_CHART], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH,
      HOME: s.root,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_TOKEN: TOKEN,
      REPO_URL: `file://${s.origin}`,
      BRANCH: branch,
      CHART_PATH: CHART,
      FILES: "Chart.yaml values.yaml README.md",
      MESSAGE: "chore(release): chart 0.4.1 for v0.4.1",
      AUTHOR_NAME: "github-actions[bot]",
      AUTHOR_EMAIL: "bot@example.com",
      UPDATE_DIR: s.update,
      WORK_DIR: work,
    },
  });
  return { ...r, work };
}

/** Every file under dir (including .git internals), for a plaintext scan. */
function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe("commit-chart script", () => {
  test("commits exactly the released files to the branch, signed off, and prints the pushed sha", () => {
    const s = setup();
    const r = commit(s);
    expect(r.status, r.stderr).toBe(0);
    const head = git(s.origin, "rev-parse", "main");
    expect(r.stdout.trim()).toBe(`pushed ${head}`);
    expect(git(s.origin, "log", "-1", "--format=%s%n%an%n%b", "main")).toBe(
      "chore(release): chart 0.4.1 for v0.4.1\ngithub-actions[bot]\nSigned-off-by: github-actions[bot] <bot@example.com>",
    );
    expect(git(s.origin, "diff", "--name-only", "main~1", "main").split("\n").sort()).toEqual(
      [`${CHART}/Chart.yaml`, `${CHART}/README.md`, `${CHART}/values.yaml`],
    );
    expect(git(s.origin, "show", `main:${CHART}/Chart.yaml`)).toContain("version: 0.4.1");
    expect(git(s.origin, "show", "main:other.txt")).toBe("untouched");
    // The token is in no file of the clone or the origin (it only ever was an HTTP header).
    for (const f of [...allFiles(r.work), ...allFiles(s.origin)]) {
      expect(readFileSync(f).includes(TOKEN), f).toBe(false);
    }
  });

  test("a second run with the same files changes nothing", () => {
    const s = setup();
    expect(commit(s).status).toBe(0);
    const head = git(s.origin, "rev-parse", "main");
    const again = commit(s);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(`unchanged ${head}`);
    expect(git(s.origin, "rev-parse", "main")).toBe(head);
  });

  test("a branch that does not exist fails instead of being swallowed", () => {
    const s = setup();
    const r = commit(s, "release-9.9");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/release-9.9/);
  });
});
