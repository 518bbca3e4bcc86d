/**
 * What a repository pins for its own tooling, read from its files (Makefile, workflows, go.mod):
 * golangci-lint, controller-gen, setup-envtest and the envtest Kubernetes version. Each version
 * comes with where it was read, so users see "golangci-lint v2.8.0 from Makefile
 * GOLANGCI_LINT_VERSION". Pure functions, no Dagger.
 */
import { parse as parseYaml } from "yaml";
import { envtestVersions, goVersionSource, parseGoMod } from "./gomod.js";

/** One resolved version and where it came from. */
export interface Pin {
  version: string;
  /** e.g. `Makefile GOLANGCI_LINT_VERSION`, `go.mod k8s.io/api v0.34.2`, `argument --go-version`, `module default`. */
  source: string;
}

/** Every version the Go stages use, resolved for one repository. */
export interface RepoPins {
  go: Pin;
  golangciLint: Pin;
  controllerGen: Pin;
  /** Present when the module uses controller-runtime (envtest). */
  setupEnvtest?: Pin;
  envtestKubernetes?: Pin;
}

/** The files the pins are read from; any may be absent. */
export interface RepoFiles {
  goMod: string;
  makefile?: string;
  /** Workflow files, path → contents (`.github/workflows/*.y*ml`). */
  workflows?: Record<string, string>;
}

/** Versions given as arguments; each wins over the repository. */
export interface PinOverrides {
  go?: string;
  golangciLint?: string;
  controllerGen?: string;
  setupEnvtest?: string;
  envtestKubernetes?: string;
}

/** What the module uses where the repository says nothing. */
export const MODULE_DEFAULTS = {
  golangciLint: "v2.15.0",
  controllerGen: "v0.17.2",
} as const;

/**
 * The variables a Makefile assigns (`VAR ?= v`, `VAR := v`, `VAR = v`, `export VAR ?= v`, `override …`),
 * first assignment wins as with `?=`; values keep `$(…)` references, trailing comments are dropped.
 * Continuation lines and recipe lines (starting with a tab) are not assignments.
 */
export function makeVariables(makefile: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of makefile.split(/\r?\n/)) {
    if (raw.startsWith("\t")) continue;
    const m = /^\s*(?:export\s+|override\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|:=|::=|=)\s*(.*)$/.exec(raw);
    if (!m) continue;
    const [, name, , rawValue] = m;
    if (name in vars) continue;
    vars[name] = stripMakeComment(rawValue).trim();
  }
  return vars;
}

/** Drops a `# comment` that is not inside `$(…)` (make ends a value at an unescaped #). */
function stripMakeComment(value: string): string {
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\" && value[i + 1] === "#") {
      i++;
      continue;
    }
    if (ch === "$" && (value[i + 1] === "(" || value[i + 1] === "{")) {
      depth++;
      i++;
    } else if ((ch === ")" || ch === "}") && depth > 0) depth--;
    else if (ch === "#" && depth === 0) return value.slice(0, i);
  }
  return value;
}

/**
 * The literal value of Makefile variable `name`, with `$(VAR)`/`${VAR}` references to other literal
 * variables expanded; undefined when it is unset, empty, or computed (`$(shell …)`, functions).
 */
export function makeLiteral(vars: Record<string, string>, name: string, seen: Set<string> = new Set()): string | undefined {
  const value = vars[name];
  if (value === undefined || seen.has(name)) return undefined;
  seen.add(name);
  let computed = false;
  const expanded = value.replace(/\$[({]([^()${}]*)[)}]/g, (_, inner: string) => {
    const ref = inner.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(ref)) {
      computed = true;
      return "";
    }
    const v = makeLiteral(vars, ref, seen);
    if (v === undefined) computed = true;
    return v ?? "";
  });
  if (computed || expanded.includes("$") || !expanded) return undefined;
  return expanded;
}

/**
 * The `version:` given to golangci/golangci-lint-action in the workflows, with the file it is in;
 * the first one found (files in name order). `latest` and missing versions count as none.
 */
export function workflowLintVersion(workflows: Record<string, string>): Pin | undefined {
  for (const path of Object.keys(workflows).sort()) {
    let doc: unknown;
    try {
      doc = parseYaml(workflows[path]);
    } catch {
      continue; // a workflow that does not parse pins nothing
    }
    const jobs = (doc as { jobs?: Record<string, { steps?: unknown[] }> } | null)?.jobs ?? {};
    for (const job of Object.values(jobs)) {
      for (const step of job?.steps ?? []) {
        const s = step as { uses?: unknown; with?: { version?: unknown } };
        if (typeof s?.uses !== "string" || !s.uses.startsWith("golangci/golangci-lint-action@")) continue;
        const v = s.with?.version;
        if (typeof v === "string" && v.trim() && v.trim() !== "latest") {
          return { version: v.trim(), source: `${path} golangci-lint-action version` };
        }
      }
    }
  }
  return undefined;
}

/** `v2.8.0` for `2.8.0` or `v2.8.0`; golangci-lint and controller-tools tag with a leading v. */
function withV(version: string): string {
  return version.startsWith("v") ? version : `v${version}`;
}

/**
 * Resolves every pinned version: argument, else the repository (Makefile variable, workflow
 * action input, go.mod as the Makefile's own `$(shell go list …)` forms derive them), else the
 * module's default. Throws when an argument or a pinned value is not a version.
 */
export function resolvePins(files: RepoFiles, overrides: PinOverrides = {}): RepoPins {
  const vars = files.makefile ? makeVariables(files.makefile) : {};
  const fromMake = (name: string): Pin | undefined => {
    const v = makeLiteral(vars, name);
    return v ? { version: v, source: `Makefile ${name}` } : undefined;
  };
  const arg = (v: string | undefined, flag: string): Pin | undefined =>
    v ? { version: v, source: `argument --${flag}` } : undefined;

  const mod = parseGoMod(files.goMod);
  const go = arg(overrides.go, "go-version") ?? goVersionSource(files.goMod);

  const lint = arg(overrides.golangciLint, "golangci-lint-version") ??
    fromMake("GOLANGCI_LINT_VERSION") ??
    workflowLintVersion(files.workflows ?? {}) ?? { version: MODULE_DEFAULTS.golangciLint, source: "module default" };
  const controllerGen = arg(overrides.controllerGen, "controller-gen-version") ??
    fromMake("CONTROLLER_TOOLS_VERSION") ?? { version: MODULE_DEFAULTS.controllerGen, source: "module default" };

  const pins: RepoPins = {
    go,
    golangciLint: { ...lint, version: checkVersion(lint) },
    controllerGen: { ...controllerGen, version: checkVersion(controllerGen) },
  };

  const derived = envtestVersions(mod);
  const setupEnvtest = arg(overrides.setupEnvtest, "envtest-version") ?? fromMake("ENVTEST_VERSION") ??
    (derived && {
      version: derived.setupEnvtest,
      source: `go.mod sigs.k8s.io/controller-runtime ${mod.requires["sigs.k8s.io/controller-runtime"]}`,
    });
  const k8s = arg(overrides.envtestKubernetes, "envtest-kubernetes-version") ?? fromMake("ENVTEST_K8S_VERSION") ??
    (derived && {
      version: derived.kubernetes,
      source: mod.requires["k8s.io/api"]
        ? `go.mod k8s.io/api ${mod.requires["k8s.io/api"]}`
        : `go.mod sigs.k8s.io/controller-runtime ${mod.requires["sigs.k8s.io/controller-runtime"]}`,
    });
  if (setupEnvtest) pins.setupEnvtest = setupEnvtest;
  if (k8s) {
    const v = k8s.version.replace(/^v/, "");
    if (!/^1\.\d+(\.\d+)?$/.test(v)) throw new Error(`${k8s.source}: "${k8s.version}" is not a Kubernetes version like 1.34 or 1.34.1`);
    pins.envtestKubernetes = { ...k8s, version: v };
  }
  return pins;
}

/** The pin's version with a leading v; an exact version (v2.8.0) or a prefix the go command resolves (v2.8). */
function checkVersion(pin: Pin): string {
  const version = withV(pin.version);
  if (!/^v\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`${pin.source}: "${pin.version}" is not a version like v2.8.0`);
  }
  return version;
}

/** The Go package to `go install` for golangci-lint `version` (v1 and v2 live at different paths). */
export function golangciLintPackage(version: string): string {
  const major = /^v(\d+)/.exec(version)?.[1];
  return major === "1"
    ? `github.com/golangci/golangci-lint/cmd/golangci-lint@${version}`
    : `github.com/golangci/golangci-lint/v${major}/cmd/golangci-lint@${version}`;
}

/** The resolved versions as a table, one tool per line: `golangci-lint  v2.8.0  Makefile GOLANGCI_LINT_VERSION`. */
export function pinsTable(pins: RepoPins, extra: [string, Pin][] = []): string {
  const rows: [string, Pin][] = [
    ["go", pins.go],
    ["golangci-lint", pins.golangciLint],
    ["controller-gen", pins.controllerGen],
  ];
  if (pins.setupEnvtest) rows.push(["setup-envtest", pins.setupEnvtest]);
  if (pins.envtestKubernetes) rows.push(["envtest k8s", pins.envtestKubernetes]);
  rows.push(...extra);
  const w1 = Math.max(...rows.map(([n]) => n.length));
  const w2 = Math.max(...rows.map(([, p]) => p.version.length));
  return rows.map(([n, p]) => `${n.padEnd(w1)}  ${p.version.padEnd(w2)}  ${p.source}`).join("\n");
}
