import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** The harness's bash scripts: .ci/run and every *.sh under test/ but the fixtures (repositories' own files). */
function scripts(): string[] {
  const out = [join(repo, ".ci/run")];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (/node_modules|fixtures|\.state/.test(name)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".sh")) out.push(p);
    }
  };
  walk(join(repo, "test"));
  return out;
}

test("no pipefail script pipes a command into grep -q (grep's early exit kills the writer: exit 141)", () => {
  // Found on a cold machine: `kubectl version --client | grep -q v1.32.` failed 2 runs in 20 under pipefail.
  const found = scripts().length;
  expect(found).toBeGreaterThan(10);
  const offenders = scripts().flatMap((f) => {
    const text = readFileSync(f, "utf8");
    if (!/set -[a-z]*o pipefail|set -o pipefail/.test(text)) return [];
    return text
      .split("\n")
      .map((line, i) => ({ line, n: i + 1 }))
      .filter(({ line }) => !line.trim().startsWith("#") && /\|\s*grep\s+(-\w*q|--quiet)/.test(line))
      .map(({ line, n }) => `${relative(repo, f)}:${n}: ${line.trim()}`);
  });
  expect(offenders).toEqual([]);
});
