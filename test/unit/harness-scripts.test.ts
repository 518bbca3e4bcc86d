import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
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

test("a clone anywhere finds the machine's shared material (the SDK runtime, kind's sources); WVA_SHARED overrides", () => {
  // Found on a cold machine: a clone in /tmp looked for /tmp/…/shared/third_party and build-sdk.sh stopped.
  const clone = mkdtempSync(join(tmpdir(), "wva-clone-"));
  mkdirSync(join(clone, "p/test/engine"), { recursive: true });
  for (const f of ["layout.sh", "build-engine.sh"]) cpSync(join(repo, "test/engine", f), join(clone, "p/test/engine", f));
  const third = (env: Record<string, string> = {}) =>
    execFileSync("bash", ["-c", 'source "$1"; echo "$WVA_THIRD_PARTY"', "_", join(clone, "p/test/engine/layout.sh")], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    }).trim();
  const found = third();
  expect(existsSync(join(found, "dagger-typescript-runtime")) && existsSync(join(found, "kind"))).toBe(true);
  expect(third({ WVA_SHARED: "/elsewhere" })).toBe("/elsewhere/third_party");
  rmSync(clone, { recursive: true, force: true });
});
