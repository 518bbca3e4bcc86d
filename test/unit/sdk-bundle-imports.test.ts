/**
 * `dagger call` runs the module with the SDK bundle the TypeScript runtime generates (the module's
 * package.json has no @dagger.io/dagger dependency): its index exports the decorators and connect
 * helpers, and everything of the generated client, nothing else. A name imported from
 * "@dagger.io/dagger" outside that set passes tsc (the npm package has it) but fails the module's
 * load ("does not provide an export named …"), as `ExecError` did.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
/** What the bundle's index exports besides the generated client (TypeScript runtime v0.21.8). */
const BUNDLE_CORE = ["connection", "connect", "Context", "func", "check", "generate", "argument", "object", "field", "enumType", "entrypoint", "ConnectOpts", "CallbackFct"];

function clientExports(): Set<string> {
  const d = readFileSync(join(root, "node_modules/@dagger.io/dagger/dist/src/api/client.gen.d.ts"), "utf8");
  return new Set([...d.matchAll(/^export (?:declare )?(?:class|type|enum|const|function|interface|let|var) (\w+)/gm)].map((m) => m[1]));
}

function moduleImports(): Map<string, string[]> {
  const files = execFileSync("git", ["ls-files", "dagger/src"], { cwd: root }).toString().split("\n").filter((f) => f.endsWith(".ts"));
  const out = new Map<string, string[]>();
  for (const f of files) {
    const s = readFileSync(join(root, f), "utf8");
    for (const m of s.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@dagger\.io\/dagger"/g)) {
      for (const n of m[1].split(",").map((x) => x.trim().replace(/^type\s+/, "")).filter(Boolean)) {
        out.set(n, [...(out.get(n) ?? []), f]);
      }
    }
  }
  return out;
}

describe("imports from @dagger.io/dagger", () => {
  it("are all exported by the SDK bundle dagger call runs the module with", () => {
    const client = clientExports();
    expect(client.has("Container") && client.has("dag") && client.has("ReturnType")).toBe(true);
    const imports = moduleImports();
    expect(imports.size).toBeGreaterThan(5);
    const missing = [...imports].filter(([n]) => !BUNDLE_CORE.includes(n) && !client.has(n)).map(([n, fs]) => `${n} (${fs.join(", ")})`);
    expect(missing).toEqual([]);
  });

  it("would catch ExecError, which only the npm package exports", () => {
    expect(BUNDLE_CORE.includes("ExecError") || clientExports().has("ExecError")).toBe(false);
  });
});
