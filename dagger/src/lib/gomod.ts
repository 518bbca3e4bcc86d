/**
 * Reading a go.mod: the Go version a repository builds with, and the versions of the
 * controller-runtime tooling it expects. Pure functions, no Dagger.
 */

/** What the pipeline needs from a go.mod. */
export interface GoMod {
  /** Module path from the `module` line. */
  module: string;
  /** Version from the `go` directive (`1.24`, `1.24.0`), if any. */
  go?: string;
  /** Version from the `toolchain` directive without the `go` prefix (`1.24.3`), if any. */
  toolchain?: string;
  /** Required modules, path → version (block and single-line forms, `// indirect` ones included). */
  requires: Record<string, string>;
}

/** Parses the parts of a go.mod the pipeline uses. Comments are ignored. */
export function parseGoMod(text: string): GoMod {
  const mod: GoMod = { module: "", requires: {} };
  let inRequire = false;
  let inOtherBlock = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (!line) continue;
    if (inRequire || inOtherBlock) {
      if (line === ")") {
        inRequire = inOtherBlock = false;
        continue;
      }
      if (inRequire) addRequire(mod, line);
      continue;
    }
    const [word, ...rest] = line.split(/\s+/);
    const value = rest.join(" ");
    switch (word) {
      case "module":
        mod.module = unquote(value);
        break;
      case "go":
        mod.go = value;
        break;
      case "toolchain":
        if (value !== "default") mod.toolchain = value.replace(/^go/, "");
        break;
      case "require":
        if (value === "(") inRequire = true;
        else addRequire(mod, value);
        break;
      default:
        if (value.endsWith("(")) inOtherBlock = true;
    }
  }
  return mod;
}

function addRequire(mod: GoMod, spec: string) {
  const [path, version] = spec.split(/\s+/);
  if (path && version) mod.requires[unquote(path)] = version;
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/, "$1");
}

const GO_VERSION = /^1\.\d+(\.\d+)?((rc|beta)\d+)?$/;

/**
 * The Go version to build with: `toolchain goX.Y.Z` wins over `go X.Y[.Z]`.
 * Throws a clear error when go.mod names neither, or names something that is not a Go version.
 */
export function goVersionOf(goModText: string): string {
  return goVersionSource(goModText).version;
}

/** goVersionOf, with where the version was read (`go.mod toolchain` or `go.mod go`). */
export function goVersionSource(goModText: string): { version: string; source: string } {
  const mod = parseGoMod(goModText);
  const v = mod.toolchain ?? mod.go;
  if (!v) {
    throw new Error(
      "go.mod has neither a `toolchain goX.Y.Z` nor a `go X.Y` directive; add one or pass --go-version",
    );
  }
  if (!GO_VERSION.test(v)) {
    throw new Error(`go.mod names Go version "${v}", which is not of the form 1.N or 1.N.P`);
  }
  return { version: v, source: mod.toolchain ? "go.mod toolchain" : "go.mod go" };
}

/** Envtest tooling matched to a repository's dependencies, as WVA's Makefile derives it. */
export interface EnvtestVersions {
  /** Ref of sigs.k8s.io/controller-runtime/tools/setup-envtest to install, e.g. `release-0.22`. */
  setupEnvtest: string;
  /** Kubernetes version of the envtest binaries, e.g. `1.34`. */
  kubernetes: string;
}

/**
 * When the module depends on controller-runtime (whose envtest needs kube-apiserver and etcd
 * binaries), the setup-envtest release branch matching its minor and the Kubernetes minor
 * matching `k8s.io/api`. Undefined when the module does not use controller-runtime.
 */
export function envtestVersions(mod: GoMod): EnvtestVersions | undefined {
  const cr = mod.requires["sigs.k8s.io/controller-runtime"];
  if (!cr) return undefined;
  const crMinor = /^v0\.(\d+)\./.exec(cr);
  if (!crMinor) throw new Error(`cannot read the controller-runtime minor from "${cr}"`);
  const api = mod.requires["k8s.io/api"];
  const apiMinor = api ? /^v0\.(\d+)\./.exec(api) : null;
  // controller-runtime 0.N tracks Kubernetes 1.(N+12) when k8s.io/api is not required directly.
  const k8sMinor = apiMinor ? Number(apiMinor[1]) : Number(crMinor[1]) + 12;
  return { setupEnvtest: `release-0.${crMinor[1]}`, kubernetes: `1.${k8sMinor}` };
}
