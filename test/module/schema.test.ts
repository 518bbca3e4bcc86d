/**
 * The module's schema as the engine would see it, through the SDK's own introspector (dry run):
 * the engine would accept the module, and every object, function, argument and field is described.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { DAGGER_CALL_FLAGS } from "../dagger-call.js";

const root = resolve(import.meta.dirname, "../..");
const sdk = join(root, "node_modules/@dagger.io/dagger/dist/src");

interface Arg {
  name: string;
  description?: string;
  defaultPath?: string;
  ignore?: string[];
  defaultValue?: unknown;
  isOptional: boolean;
}
interface Fn {
  name: string;
  description?: string;
  arguments: Record<string, Arg>;
}
interface Obj {
  name: string;
  description?: string;
  constructor?: Fn;
  methods: Record<string, Fn>;
  properties: Record<string, { name: string; description?: string; isExposed: boolean }>;
}
interface Schema {
  name: string;
  objects: Record<string, Obj>;
}

let schema: Schema;
let warnings: string;

beforeAll(() => {
  // The introspector needs the generated client as a non-declaration `*client.gen.ts`; the SDK's
  // published declaration file is that client, with its one relative import made absolute.
  const dir = mkdtempSync(join(tmpdir(), "wva-introspect-"));
  const client = readFileSync(join(sdk, "api/client.gen.d.ts"), "utf8").replace(
    /from "\.\.\/common\/context\.js"/,
    'from "@dagger.io/dagger/dist/src/common/context.js"',
  );
  writeFileSync(join(dir, "client.gen.ts"), client);
  const errFile = join(dir, "stderr.txt");
  const out = execFileSync(
    "sh",
    [
      "-c",
      `node "${sdk}/module/entrypoint/introspection_entrypoint.js" wva src "${dir}/client.gen.ts" 2>"${errFile}"`,
    ],
    { cwd: join(root, "dagger"), env: { ...process.env, DRY_RUN: "1" }, maxBuffer: 64 << 20 },
  ).toString();
  schema = JSON.parse(out);
  warnings = readFileSync(errFile, "utf8");
}, 120_000);

describe("module schema (introspector dry run)", () => {
  test("the main object is Wva, the PascalCase of the module name wva", () => {
    expect(schema.name).toBe("Wva");
    expect(Object.keys(schema.objects)).toContain("Wva");
  });

  test("no default value the engine cannot show in --help", () => {
    expect(warnings).not.toMatch(/cannot be resolved/);
  });

  test("every object, function, argument and exposed field has a description", () => {
    const missing: string[] = [];
    for (const obj of Object.values(schema.objects)) {
      if (!obj.description?.trim()) missing.push(obj.name);
      const fns = [...Object.values(obj.methods), ...(obj.constructor ? [obj.constructor] : [])];
      for (const fn of fns) {
        const where = `${obj.name}.${fn.name || "constructor"}`;
        if (fn.name && !fn.description?.trim()) missing.push(where);
        for (const arg of Object.values(fn.arguments)) {
          if (!arg.description?.trim()) missing.push(`${where}(${arg.name})`);
        }
      }
      for (const p of Object.values(obj.properties ?? {})) {
        if (p.isExposed && !p.description?.trim()) missing.push(`${obj.name}.${p.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("the source defaults to the calling repository, without VCS and build output", () => {
    const source = schema.objects.Wva.constructor!.arguments.source;
    expect(source.defaultPath).toBe("/");
    expect(source.ignore).toEqual(expect.arrayContaining([".git", "bin", "node_modules"]));
  });

  test("tool versions the repository pins are optional overrides; image defaults are pinned", () => {
    const args = schema.objects.Wva.constructor!.arguments;
    for (const a of ["goVersion", "goImage", "golangciLintImage", "golangciLintVersion", "controllerGenVersion", "envtestVersion", "envtestKubernetesVersion", "envtestAssets"]) {
      expect(args[a].isOptional, a).toBe(true);
      expect(args[a].defaultValue, a).toBeUndefined();
    }
    // the help says where the version comes from when it is not given
    expect(args.golangciLintVersion.description).toMatch(/Makefile's GOLANGCI_LINT_VERSION/);
    expect(args.controllerGenVersion.description).toMatch(/CONTROLLER_TOOLS_VERSION/);
    expect(String(args.dockerfile.defaultValue)).toMatch(/Dockerfile/);
    expect(String(args.helmImage.defaultValue)).toMatch(/:\d+\.\d+\.\d+/);
  });

  test("the Go stages and ci are functions of the main object and of the Go toolchain object", () => {
    const wva = Object.keys(schema.objects.Wva.methods);
    expect(wva).toEqual(
      expect.arrayContaining([
        "go", "lint", "lintFix", "vet", "checkFormat", "checkGenerated",
        "build", "binaries", "test", "coverage", "ci", "ciStages", "versions", "image", "imageBuilder",
      ]),
    );
    expect(Object.keys(schema.objects.Go.methods)).toEqual(
      expect.arrayContaining(["env", "lint", "lintFix", "vet", "checkFormat", "checkGenerated", "build", "binaries", "test", "coverage", "testPackages"]),
    );
  });

  test("no argument's flag is one of dagger call's own (it would be refused: \"flag already exists\")", () => {
    const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
    const clashes = Object.values(schema.objects).flatMap((o) =>
      [...Object.values(o.methods), ...(o.constructor ? [o.constructor] : [])].flatMap((fn) =>
        Object.keys(fn.arguments).filter((a) => DAGGER_CALL_FLAGS.includes(kebab(a))).map((a) => `${o.name}.${fn.name || "constructor"}(${a})`),
      ),
    );
    expect(clashes).toEqual([]);
  });

  test("function list (printed for the record)", () => {
    const lines = Object.values(schema.objects).flatMap((o) =>
      Object.values(o.methods).map((m) => `${o.name}.${m.name}(${Object.keys(m.arguments).join(", ")})`),
    );
    console.log(lines.join("\n"));
    expect(lines.length).toBeGreaterThan(20);
  });
});
