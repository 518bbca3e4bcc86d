/**
 * WVA's real repository (a read-only snapshot on these machines), the judge of the pipeline.
 * Tests read it in place or work on a writable scratch copy; nothing of it is kept in this tree.
 * WVA_UPSTREAM overrides where it is; a missing snapshot is an error, never a skip.
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The machine's shared material: WVA_SHARED, else ../shared next to this checkout, else /work/shared (as test/engine/layout.sh). */
const sibling = fileURLToPath(new URL("../../shared", import.meta.url));
export const shared = process.env.WVA_SHARED ?? (existsSync(sibling) ? sibling : "/work/shared");
export const upstreamWva = process.env.WVA_UPSTREAM ?? join(shared, "upstream/wva");

function check(): string {
  if (!existsSync(join(upstreamWva, "go.mod"))) {
    throw new Error(`WVA's repository snapshot is not at ${upstreamWva} (set WVA_UPSTREAM to where it is)`);
  }
  return upstreamWva;
}

/** A file of WVA's tree, as text. */
export function upstreamFile(path: string): string {
  return readFileSync(join(check(), path), "utf8");
}

/** Every file directly in `dir` of WVA's tree, path (relative to the tree) → text. */
export function upstreamFiles(dir: string): Record<string, string> {
  const root = join(check(), dir);
  const out: Record<string, string> = {};
  for (const name of readdirSync(root).sort()) {
    if (statSync(join(root, name)).isFile()) out[`${dir}/${name}`] = readFileSync(join(root, name), "utf8");
  }
  return out;
}

/** A writable copy of WVA's tree (or of `sub` in it) in a new scratch directory; returns its path. */
export function upstreamCopy(sub = ""): string {
  const dest = join(mkdtempSync(join(tmpdir(), "wva-upstream-")), "wva");
  cpSync(join(check(), sub), dest, { recursive: true });
  chmodRecursive(dest);
  return dest;
}

/** Makes `path` and everything under it writable by its owner (copies of read-only trees). */
export function chmodRecursive(path: string) {
  const st = statSync(path);
  chmodSync(path, st.mode | 0o200);
  if (st.isDirectory()) for (const name of readdirSync(path)) chmodRecursive(join(path, name));
}
