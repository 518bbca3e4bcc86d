/**
 * The real tools the native tier runs: `.tools/bin` (test/tools/install.sh) first, then PATH.
 * A missing tool is a failure with a hint, never a skip.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isHelmDocsManaged } from "../../dagger/src/lib/chart-docs.js";
import { releaseChartFiles } from "../../dagger/src/lib/chart-values.js";
import { parseReleaseTag } from "../../dagger/src/lib/tags.js";

/** The repository root. */
export const repo = fileURLToPath(new URL("../../", import.meta.url));

/** PATH with the pinned tools first. */
export const PATH = `${join(repo, ".tools/bin")}${delimiter}${process.env.PATH ?? ""}`;

/** Absolute path of a tool, or undefined when it is nowhere on PATH. */
export function which(name: string): string | undefined {
  if (isAbsolute(name)) return name;
  for (const dir of PATH.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Absolute path of a tool; throws with how to install it when it is absent. */
export function tool(name: string): string {
  const found = which(name);
  if (found) return found;
  const hint = name === "go" || name === "gofmt" ? "install Go 1.26" : `run \`bash test/tools/install.sh ${name}\``;
  throw new Error(`${name} not found in .tools/bin or on PATH: ${hint}`);
}

/**
 * A private copy of the repository's chart, in `<parent>/workload-variant-autoscaler`, with
 * Chart.yaml and values.yaml edited as `release --tag <tag>` edits them (when a tag is given),
 * through the module's own pure edit function.
 */
export function chartCopy(parent = mkdtempSync(join(tmpdir(), "wva-chart-")), release?: { tag: string; imageRepository: string }): string {
  const dir = join(parent, "workload-variant-autoscaler");
  cpSync(join(repo, "charts/workload-variant-autoscaler"), dir, { recursive: true });
  if (release) editForRelease(dir, release);
  return dir;
}

/** Chart.yaml and values.yaml of the chart in `dir` edited as `release --tag <tag>` edits them (the module's pure edit). */
export function editForRelease(dir: string, release: { tag: string; imageRepository: string }): void {
  const t = parseReleaseTag(release.tag);
  const out = releaseChartFiles(
    { chartYaml: readFileSync(join(dir, "Chart.yaml"), "utf8"), valuesYaml: readFileSync(join(dir, "values.yaml"), "utf8") },
    { version: t.chartVersion, appVersion: t.appVersion, imageRepository: release.imageRepository, imageTag: t.tag },
  );
  writeFileSync(join(dir, "Chart.yaml"), out.chartYaml);
  writeFileSync(join(dir, "values.yaml"), out.valuesYaml);
}

/**
 * The whole release edit of the chart in `dir`, as Chart.withRelease does it: the two files
 * edited, then the real helm-docs only when the chart is helm-docs-managed (README.md.gotmpl).
 * Returns whether helm-docs ran.
 */
export function releaseChartInPlace(dir: string, release: { tag: string; imageRepository: string }): boolean {
  editForRelease(dir, release);
  if (!isHelmDocsManaged(readdirSync(dir))) return false;
  const r = spawnSync(tool("helm-docs"), ["--chart-search-root", ".", "--log-level", "warning"], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH } });
  if (r.status !== 0) throw new Error(`helm-docs failed:\n${r.stdout}${r.stderr}`);
  return true;
}
