/**
 * The real tools the native tier runs: `.tools/bin` (test/tools/install.sh) first, then PATH.
 * A missing tool is a failure with a hint, never a skip.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

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
