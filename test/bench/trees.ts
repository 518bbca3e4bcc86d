/**
 * The two trees the benchmark runs on (the fixture, a copy of WVA's repository), what the module
 * runs on them and the native equivalent: the same tools at the same versions, flags and package
 * selection, on the host, with the host's warm caches.
 */
import { spawn } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dag } from "@dagger.io/dagger";
import type { Wva } from "../../dagger/src/index.js";
import { envtestAssets, fixtureDir, localWva } from "../engine/engine.js";
import { chmodRecursive, upstreamWva } from "../upstream.js";

export const repo = fileURLToPath(new URL("../../", import.meta.url));
const repoChart = join(repo, "charts/workload-variant-autoscaler");

/** One tree: where it comes from and what the benchmark edits in it. */
export interface BenchTree {
  name: "fixture" | "WVA";
  /** Read-only original, copied for every run that needs a tree of its own. */
  origin: string;
  /** The Go file and the test file the one-file cases edit. */
  goFile: string;
  testFile: string;
  /** Chart directory: the repository's for the fixture (it has none), WVA's own in its tree. */
  chart: (dir: string) => string;
  /** Go toolchain of go.mod (GOTOOLCHAIN natively), golangci-lint and controller-gen versions the module resolves. */
  goToolchain: string;
  golangciLint: string;
  controllerGen?: string;
  /** The unit tests need envtest (KUBEBUILDER_ASSETS) and kubectl. */
  envtest: boolean;
  /** The chart is helm-docs-managed (README.md.gotmpl): the chart stage checks its README. */
  helmDocs: boolean;
}

export const fixture: BenchTree = {
  name: "fixture",
  origin: fixtureDir,
  goFile: "internal/scaler/scaler.go",
  testFile: "internal/scaler/scaler_test.go",
  chart: () => repoChart,
  goToolchain: "go1.26.8",
  golangciLint: "v2.15.0",
  envtest: false,
  helmDocs: true,
};

export const wva: BenchTree = {
  name: "WVA",
  origin: upstreamWva,
  goFile: "internal/saturation/analyzer.go",
  testFile: "internal/saturation/analyzer_test.go",
  chart: (dir) => join(dir, "charts/workload-variant-autoscaler"),
  goToolchain: "go1.24.0",
  golangciLint: "v2.8.0",
  controllerGen: "v0.17.2",
  envtest: true,
  helmDocs: false,
};

/** A writable copy of the tree's origin in a new scratch directory. */
export function copyTree(tree: BenchTree, scratch: string): string {
  const dest = join(mkdtempSync(join(scratch, `${tree.name.toLowerCase()}-`)), "src");
  cpSync(tree.origin, dest, { recursive: true });
  chmodRecursive(dest);
  return dest;
}

/** The module's main object on `dir`, as the engine tests construct it (envtest assets for WVA). */
export function moduleOn(tree: BenchTree, dir: string): Wva {
  const w = localWva(dir, tree.name === "fixture" ? repoChart : undefined);
  if (tree.envtest) w.envtestAssets = dag.host().directory(envtestAssets());
  return w;
}

/** The stages `ci` leaves out here: e2e (Kind) and the image (the native loop builds none). */
export const CI_SKIP = ["e2e", "image"];

/** Native tools at the tree's versions: built once with the tree's Go into ~/.cache/wva-bench. */
export interface NativeTools {
  PATH: string;
  controllerGen?: string;
}

const toolsCache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "wva-bench", "tools");

/** `go install pkg@version` with `toolchain` into a cached directory; returns the binary. */
async function goInstall(pkg: string, version: string, toolchain: string): Promise<string> {
  const name = pkg.split("/").pop()!;
  const bin = join(toolsCache, `${name}-${version}-${toolchain}`);
  if (existsSync(join(bin, name))) return join(bin, name);
  mkdirSync(bin, { recursive: true });
  await run(["go", "install", `${pkg}@${version}`], {
    env: { GOBIN: bin, CGO_ENABLED: "0", GOTOOLCHAIN: `${toolchain}+auto` },
    log: join(bin, "install.log"),
  });
  return join(bin, name);
}

export async function nativeTools(tree: BenchTree): Promise<NativeTools> {
  const dirs: string[] = [];
  let controllerGen: string | undefined;
  if (tree.golangciLint !== "v2.15.0") {
    // .tools/bin has v2.15.0 (the module's default); another version is built as the module builds it
    const lint = await goInstall("github.com/golangci/golangci-lint/v2/cmd/golangci-lint", tree.golangciLint, tree.goToolchain);
    dirs.push(join(lint, ".."));
  }
  if (tree.controllerGen) controllerGen = await goInstall("sigs.k8s.io/controller-tools/cmd/controller-gen", tree.controllerGen, tree.goToolchain);
  if (tree.envtest) dirs.push(envtestAssets()); // kubectl, as on the module's PATH
  dirs.push(join(repo, ".tools/bin"), process.env.PATH ?? "");
  return { PATH: dirs.join(":"), controllerGen };
}

/**
 * The native equivalent of `ci --skip e2e,image` on `dir`, as `make lint build test` runs (one
 * tool after the other): golangci-lint; go vet; controller-gen's drift check on a copy (as the
 * module checks it apart from the tree); go build as the module builds; go list minus /e2e, then
 * go test -v with coverage; helm lint and template (and the helm-docs check for a helm-docs chart).
 */
export function nativeCiScript(tree: BenchTree, dir: string, scratch: string, tools: NativeTools): string {
  const chart = tree.chart(dir);
  const lines = [
    "set -euo pipefail",
    `cd ${q(dir)}`,
    `golangci-lint run ./...`,
    `go vet ./...`,
  ];
  if (tools.controllerGen) {
    const gen = join(scratch, "generated");
    lines.push(
      `rm -rf ${q(gen)} && cp -a . ${q(gen)}`,
      `make -C ${q(gen)} -o ${q(tools.controllerGen)} manifests generate CONTROLLER_GEN=${q(tools.controllerGen)} >/dev/null`,
      `diff -r -q -x bin . ${q(gen)}`,
    );
  }
  lines.push(
    `CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "-s -w -X main.version=dev" -o ${q(join(scratch, "manager"))} ./cmd/main.go`,
    `pkgs=$(go list ./... | grep -v -F -e /e2e)`,
    `go test -v -coverprofile=${q(join(scratch, "cover.out"))} $pkgs`,
    `helm lint --strict ${q(chart)} >/dev/null`,
    `helm template wva ${q(chart)} --namespace workload-variant-autoscaler-system >/dev/null`,
  );
  if (tree.helmDocs) {
    const docs = join(scratch, "chart-docs");
    lines.push(
      `rm -rf ${q(docs)} && cp -a ${q(chart)} ${q(docs)}`,
      `(cd ${q(docs)} && helm-docs --chart-search-root . --log-level warning)`,
      `cmp ${q(join(chart, "README.md"))} ${q(join(docs, "README.md"))}`,
    );
  }
  return lines.join("\n");
}

/** The environment of the native runs: the tree's Go toolchain, its tools first on PATH, envtest's assets. */
export function nativeEnv(tree: BenchTree, tools: NativeTools): Record<string, string> {
  const env: Record<string, string> = { PATH: tools.PATH, GOTOOLCHAIN: tree.goToolchain };
  if (tree.envtest) env.KUBEBUILDER_ASSETS = envtestAssets();
  return env;
}

/** Single-quoted for sh. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A scratch directory for one benchmark run. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), "wva-bench-"));
}

/**
 * Runs a command to its end, its output to `log`; resolves with its wall time in seconds, rejects
 * with the log's tail when it fails.
 */
export function run(argv: string[], o: { env?: Record<string, string>; cwd?: string; log: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(o.log, { flags: "a" });
    const start = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (b: Buffer) => {
      out.write(b);
      tail = (tail + b.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - start) / 1000;
      out.end();
      if (code === 0) resolve(seconds);
      else reject(new Error(`${argv.join(" ").slice(0, 200)} failed (exit ${code}); log ${o.log}:\n${tail}`));
    });
  });
}
