/**
 * The GitHub workflows on disk: actionlint v1.7.12 finds nothing; every job only checks out and
 * calls Dagger (the workflow policy); triggers and permissions are the spec's; and every
 * `dagger call` chain names functions and flags the module really has (through the SDK's
 * introspector, so a renamed function breaks this test, not a release). A missing tool fails.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { repo, PATH, tool } from "./tools.js";
import { DAGGER_ACTION, workflowViolations } from "../../dagger/src/lib/workflow-policy.js";

const dir = join(repo, ".github/workflows");
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (f: string) => readFileSync(join(dir, f), "utf8");
const wf = (f: string) => YAML.parse(text(f));

describe("workflow files", () => {
  it("are exactly the spec's ten", () => {
    expect(files).toEqual([
      "assign-docs-pr.yml",
      "ci-e2e-openshift.yaml",
      "ci-pr-checks.yaml",
      "ci-release.yaml",
      "helm-release.yaml",
      "labeler.yaml",
      "prow-github.yaml",
      "prow-pr-automerge.yaml",
      "prow-pr-remove-lgtm.yaml",
      "update-docs.yaml",
    ]);
  });

  it("pass actionlint v1.7.12", () => {
    const bin = tool("actionlint");
    expect(execFileSync(bin, ["-version"]).toString().split("\n")[0]).toBe("v1.7.12");
    const r = spawnSync(bin, ["-no-color", ...files.map((f) => join(dir, f))], { cwd: repo, env: { ...process.env, PATH } });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });

  it.each(files)("%s only checks out and calls Dagger", (f) => {
    expect(workflowViolations(f, text(f))).toEqual([]);
  });

  it("have the spec's triggers", () => {
    const on = Object.fromEntries(files.map((f) => [f, wf(f).on]));
    expect(on["ci-pr-checks.yaml"]).toEqual({ pull_request: { branches: ["main", "dev"] } });
    expect(Object.keys(on["ci-e2e-openshift.yaml"]).sort()).toEqual(["pull_request", "workflow_dispatch"]);
    expect(on["ci-e2e-openshift.yaml"].pull_request.types).toEqual(["labeled", "synchronize"]);
    expect(on["ci-release.yaml"]).toEqual({ push: { tags: ["v*", "!v*-test"] } });
    expect(on["helm-release.yaml"].release).toEqual({ types: ["published"] });
    expect(on["helm-release.yaml"].workflow_dispatch.inputs.tag.required).toBe(true);
    expect(on["helm-release.yaml"].push).toEqual({ tags: ["v*-test"] });
    expect(on["update-docs.yaml"].push).toEqual({ branches: ["main"] });
    expect(on["assign-docs-pr.yml"].pull_request_target).toEqual({ types: ["opened"] });
    expect(on["labeler.yaml"]).toEqual({ issues: { types: ["opened"] } });
    expect(on["prow-github.yaml"]).toEqual({ issue_comment: { types: ["created"] } });
    expect(on["prow-pr-automerge.yaml"].workflow_run.workflows).toEqual(["prow-github", "ci-pr-checks"]);
    expect(on["prow-pr-remove-lgtm.yaml"]).toEqual({ pull_request_target: { types: ["synchronize"] } });
  });

  it("have least-privilege permissions (spec table; contents: read only where a checkout needs it)", () => {
    const perms = Object.fromEntries(files.map((f) => [f, wf(f).permissions]));
    expect(perms).toEqual({
      "ci-pr-checks.yaml": "read-all",
      "ci-e2e-openshift.yaml": "read-all",
      "ci-release.yaml": { contents: "write", packages: "write" },
      "helm-release.yaml": { contents: "write", packages: "write" },
      "update-docs.yaml": { contents: "write", "pull-requests": "write" },
      "assign-docs-pr.yml": { "pull-requests": "write", contents: "read" },
      "labeler.yaml": { issues: "write", contents: "read" },
      "prow-github.yaml": { issues: "write", "pull-requests": "write", contents: "read" },
      "prow-pr-automerge.yaml": { contents: "write", "pull-requests": "write", issues: "read", checks: "read", statuses: "read" },
      "prow-pr-remove-lgtm.yaml": { "pull-requests": "write", contents: "read" },
    });
    // No job widens them.
    for (const f of files) for (const job of Object.values<any>(wf(f).jobs)) expect(job.permissions).toBeUndefined();
  });

  it("cancel stale runs on pushes, and queue (never cancel) releases", () => {
    const c = (f: string) => wf(f).concurrency;
    for (const f of ["ci-pr-checks.yaml", "ci-e2e-openshift.yaml", "update-docs.yaml", "prow-pr-remove-lgtm.yaml"]) {
      expect(c(f)["cancel-in-progress"]).toBe(true);
    }
    for (const f of ["ci-release.yaml", "helm-release.yaml", "prow-pr-automerge.yaml"]) expect(c(f)["cancel-in-progress"]).toBe(false);
    expect(c("ci-pr-checks.yaml").group).toContain("github.event.pull_request.number");
  });

  it("release through `release`, whose latest rule and overwrite guards apply: never a hand-written latest tag", () => {
    const calls = (f: string) =>
      Object.values<any>(wf(f).jobs).flatMap((j) => j.steps.filter((s: any) => s.uses === DAGGER_ACTION).map((s: any) => s.with.args as string));
    expect(calls("ci-release.yaml")).toEqual([expect.stringMatching(/^release --tag "\$TAG" --skip-chart /)]);
    expect(calls("helm-release.yaml")[0]).toMatch(/^release --tag "\$TAG" --reuse-image /);
    for (const f of ["ci-release.yaml", "helm-release.yaml"]) {
      for (const args of calls(f)) expect(args).not.toMatch(/latest|--force/);
    }
  });

  it("pass secrets only through env:, as env:// Secrets or $VARs", () => {
    for (const f of files) {
      for (const job of Object.values<any>(wf(f).jobs)) {
        for (const step of job.steps) {
          if (step.uses !== DAGGER_ACTION) continue;
          const args: string = step.with.args;
          for (const [k, v] of Object.entries<string>(step.env ?? {})) {
            if (!String(v).includes("secrets.")) continue;
            // Model keys are read by Dagger's LLM configuration from the CLI's environment.
            if (f === "update-docs.yaml" && ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"].includes(k)) continue;
            // A secret env var is used as env://NAME (a Dagger Secret) or, for user names, "$NAME".
            expect(args.includes(`env://${k}`) || (k === "CR_USER" && args.includes(`"$${k}"`)), `${f}: ${k}`).toBe(true);
          }
        }
      }
    }
  });
});

// ---- every dagger call resolves against the module's schema ---------------------------------

interface Fn {
  name: string;
  arguments: Record<string, { name: string; isOptional: boolean; defaultValue?: unknown; defaultPath?: string; type: { kind: string } }>;
  returnType: { kind: string; name?: string };
}
interface Schema {
  objects: Record<string, { methods: Record<string, Fn>; properties: Record<string, { isExposed: boolean; type?: { kind: string; name?: string } }> }>;
}

/** Splits a command line like a shell would (quotes removed, `$VAR` left as text). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let cur = "";
  let last = -1;
  for (const m of line.matchAll(re)) {
    const piece = m[1] ?? m[2] ?? m[3];
    if (m.index === last) cur += piece;
    else {
      if (last !== -1) out.push(cur);
      cur = piece;
    }
    last = m.index! + m[0].length;
  }
  if (last !== -1) out.push(cur);
  return out;
}

/**
 * A name as the Dagger CLI spells it (strcase.ToKebab, cmd/dagger's cliName): words split at a
 * lower-to-upper case change and around digits, lower case: `e2eResult` → `e-2-e-result`.
 */
const cliName = (s: string) =>
  s
    .replace(/([a-z])([A-Z])/g, "$1-$2")
    .replace(/([A-Za-z])([0-9])/g, "$1-$2")
    .replace(/([0-9])([A-Za-z])/g, "$1-$2")
    .toLowerCase();
/** The entry of `record` whose CLI name is `name`. */
const byCliName = <T>(record: Record<string, T> | undefined, name: string): T | undefined =>
  Object.entries(record ?? {}).find(([k]) => cliName(k) === name)?.[1];

/** Problems with one `dagger call` argument string, walked function by function from Wva. */
function callProblems(schema: Schema, args: string): string[] {
  const out: string[] = [];
  const ws = words(args);
  let obj: string | undefined = "Wva";
  let i = 0;
  while (i < ws.length) {
    if (!obj) return [...out, `${ws[i]}: the previous function returns no object`];
    const fn: Fn | undefined = byCliName(schema.objects[obj]?.methods, ws[i]);
    if (!fn) {
      const prop = byCliName(schema.objects[obj]?.properties, ws[i]);
      if (prop?.isExposed && i === ws.length - 1) return out;
      return [...out, `${obj} has no function ${ws[i]}`];
    }
    i++;
    const given = new Set<string>();
    while (i < ws.length && ws[i].startsWith("--")) {
      const [flag, inline] = ws[i].slice(2).split(/=(.*)/s, 2);
      const arg = byCliName(fn.arguments, flag);
      if (!arg) out.push(`${obj}.${fn.name} has no argument --${flag}`);
      else given.add(arg.name);
      i += inline === undefined && arg?.type.kind !== "BOOLEAN_KIND" ? 2 : 1;
    }
    for (const a of Object.values(fn.arguments)) {
      if (!a.isOptional && a.defaultValue === undefined && !a.defaultPath && !given.has(a.name)) {
        out.push(`${obj}.${fn.name} needs --${cliName(a.name)}`);
      }
    }
    obj = fn.returnType.kind === "OBJECT_KIND" ? fn.returnType.name : undefined;
  }
  return out;
}

describe("dagger calls in the workflows", () => {
  let schema: Schema;
  beforeAll(() => {
    const sdk = join(repo, "node_modules/@dagger.io/dagger/dist/src");
    const tmp = mkdtempSync(join(tmpdir(), "wva-wf-introspect-"));
    writeFileSync(
      join(tmp, "client.gen.ts"),
      readFileSync(join(sdk, "api/client.gen.d.ts"), "utf8").replace(
        /from "\.\.\/common\/context\.js"/,
        'from "@dagger.io/dagger/dist/src/common/context.js"',
      ),
    );
    const json = execFileSync("node", [join(sdk, "module/entrypoint/introspection_entrypoint.js"), "wva", "src", join(tmp, "client.gen.ts")], {
      cwd: join(repo, "dagger"),
      env: { ...process.env, DRY_RUN: "1" },
      maxBuffer: 64 << 20,
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    schema = JSON.parse(json);
  }, 120_000);

  const calls = files.flatMap((f) =>
    Object.values<any>(wf(f).jobs).flatMap((job) =>
      job.steps.filter((s: any) => s.uses === DAGGER_ACTION).map((s: any) => ({ file: f, args: String(s.with.args) })),
    ),
  );

  it("the walker itself catches wrong names, flags and missing arguments", () => {
    expect(callProblems(schema, "github --token env://T prow-commands --event x")).toEqual(["Wva.github needs --repository"]);
    expect(callProblems(schema, "no-such-fn")).toEqual(["Wva has no function no-such-fn"]);
    expect(callProblems(schema, 'ci --skipp "e2e"')).toEqual(["Wva.ci has no argument --skipp"]);
    expect(callProblems(schema, "github --token a --repository b nope")).toEqual(["Github has no function nope"]);
    // the CLI's spelling of names with digits: `e2e` is refused, as `dagger call e2e` is
    expect(callProblems(schema, "e2e")).toEqual(["Wva has no function e2e"]);
    expect(callProblems(schema, "e-2-e-result --target x summary")).toEqual([]);
    expect(["e2e", "openshiftE2e", "e2eResult", "helmDocsImage", "goVersion"].map(cliName)).toEqual([
      "e-2-e", "openshift-e-2-e", "e-2-e-result", "helm-docs-image", "go-version",
    ]);
  });

  it.each(calls.map((c) => [c.file, c.args]))("%s: dagger call %s", (_f, args) => {
    expect(callProblems(schema, args)).toEqual([]);
  });
});
