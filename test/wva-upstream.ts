/**
 * WVA's real repository (a read-only snapshot, test data) for the tests that run the module on
 * WVA's own files. Tests never read it in place: `wvaCopy` copies it, or some paths of it, to a
 * fresh scratch directory (made writable) and the test runs against the copy.
 * Location: $WVA_UPSTREAM, default ../shared/upstream/wva next to the repository. A missing
 * snapshot fails the test with that hint; nothing is skipped.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../", import.meta.url));

/** Where the WVA snapshot is. */
export function wvaUpstream(): string {
  const dir = resolve(process.env.WVA_UPSTREAM ?? join(repo, "../shared/upstream/wva"));
  if (!existsSync(join(dir, "charts/workload-variant-autoscaler/Chart.yaml"))) {
    throw new Error(`WVA's repository snapshot is not at ${dir}; set WVA_UPSTREAM to a checkout of llm-d/llm-d-workload-variant-autoscaler`);
  }
  return dir;
}

/** WVA's chart path inside its repository. */
export const WVA_CHART = "charts/workload-variant-autoscaler";

/**
 * A writable copy of the WVA snapshot (only `paths`, relative to its root, when given) in a new
 * scratch directory; returns the copy's root.
 */
export function wvaCopy(paths?: string[]): string {
  const src = wvaUpstream();
  const root = mkdtempSync(join(tmpdir(), "wva-upstream-"));
  for (const p of paths ?? ["."]) {
    const to = join(root, p);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(src, p), to, { recursive: true });
  }
  makeWritable(root);
  return root;
}

/** `chmod -R u+w`: the snapshot is read-only and cpSync keeps its modes. */
function makeWritable(p: string): void {
  const st = statSync(p);
  chmodSync(p, st.mode | 0o200);
  if (st.isDirectory()) for (const n of readdirSync(p)) makeWritable(join(p, n));
}
