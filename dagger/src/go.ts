import {
  CacheVolume,
  Changeset,
  Container,
  Directory,
  File,
  ReturnType,
  dag,
  func,
  object,
} from "@dagger.io/dagger";
import {
  NO_PACKAGES_EXIT,
  describeFailures,
  failedTests,
  goTestScript,
  packageResults,
  unitTestPackages,
  withoutPassing,
} from "./lib/gotest.js";
import { generationTargets } from "./lib/makefile.js";
import { goTarget, platformSlug } from "./lib/platform.js";
import { golangciLintPackage } from "./lib/repo-pins.js";
import { CUSTOM_GCL_FILES, parseCustomGcl } from "./lib/custom-gcl.js";
import { execFailure, isExecLike, tail } from "./lib/exec-output.js";

const SRC = "/src";
const MOD_CACHE = "/go/pkg/mod";
const BUILD_CACHE = "/root/.cache/go-build";
const LINT_CACHE = "/root/.cache/golangci-lint";
const ENVTEST_DIR = "/root/.local/share/kubebuilder-envtest";
const ENVTEST_ASSETS = "/envtest-assets";
const CONTROLLER_GEN = "/go/bin/controller-gen";

/** What `Go.create` takes; everything but `source` and `version` has a default. */
export interface GoOptions {
  source: Directory;
  version: string;
  image?: string;
  golangciLintVersion?: string;
  lintImage?: string;
  controllerGenVersion?: string;
  setupEnvtestVersion?: string;
  envtestKubernetesVersion?: string;
  envtestAssets?: Directory;
  golangciLintSource?: Directory;
  excludeFromTests?: string[];
  versionVariable?: string;
  mainPackage?: string;
  helmImage?: string;
  kubectlImage?: string;
  modCache?: CacheVolume;
  buildCache?: CacheVolume;
  lintCache?: CacheVolume;
}

/**
 * The Go toolchain stages of a Go repository: lint, vet, format and generated-code checks,
 * cross-compiled builds and unit tests, all sharing Go module and build caches.
 */
@object()
export class Go {
  /** The Go module's source tree (its root holds go.mod). */
  @func()
  source: Directory;

  /** Go version the stages build with, e.g. 1.24.3. */
  @func()
  version: string;

  /** Image the Go stages run in (Go toolchain of `version`, with a C compiler for -race). */
  @func()
  image: string;

  /** golangci-lint version the lint stage runs (installed into the Go image with `go install`). */
  @func()
  golangciLintVersion: string;

  /** An image with golangci-lint on PATH to lint in instead of installing golangciLintVersion; empty for none. */
  @func()
  lintImage: string;

  /** controller-gen version the generated-code check regenerates with. */
  @func()
  controllerGenVersion: string;

  /** setup-envtest version (a controller-runtime release branch or tag) that fetches envtest binaries. */
  @func()
  setupEnvtestVersion: string;

  /** Kubernetes version of the envtest binaries (kube-apiserver, etcd), e.g. 1.34. */
  @func()
  envtestKubernetesVersion: string;

  /** Package path fragments excluded from unit tests (WVA excludes its e2e suites). */
  @func()
  excludeFromTests: string[];

  /** Go variable the build stamps with the version, through -ldflags -X. */
  @func()
  versionVariable: string;

  /** Main package (or file) the controller binary is built from. */
  @func()
  mainPackage: string;

  /** Image helm is copied from onto the unit tests' PATH (the repository's tests may exec it). */
  @func()
  helmImage: string;

  /** Image kubectl is copied from onto the unit tests' PATH. */
  @func()
  kubectlImage: string;

  envtestAssets?: Directory;
  golangciLintSource?: Directory;
  modCache: CacheVolume;
  buildCache: CacheVolume;
  lintCache: CacheVolume;
  envtestCache: CacheVolume;

  /**
   * @param source The Go module's source tree (its root holds go.mod).
   * @param version Go version to build with, e.g. 1.24.3.
   */
  constructor(source: Directory, version: string) {
    this.source = source;
    this.version = version;
    this.image = `golang:${version}`;
    this.golangciLintVersion = "v2.15.0";
    this.lintImage = "";
    this.controllerGenVersion = "v0.17.2";
    this.setupEnvtestVersion = "";
    this.envtestKubernetesVersion = "";
    this.excludeFromTests = ["/e2e"];
    this.versionVariable = "main.version";
    this.mainPackage = "./cmd/main.go";
    this.helmImage = "alpine/helm:3.22.0";
    this.kubectlImage = "alpine/k8s:1.32.1";
    this.modCache = dag.cacheVolume("wva-go-mod");
    this.buildCache = dag.cacheVolume(`wva-go-build-${version}`);
    this.lintCache = dag.cacheVolume(`wva-golangci-lint-${version}`);
    this.envtestCache = dag.cacheVolume("wva-envtest");
  }

  /** A Go object from named options (what the main object uses; the constructor is the schema's). */
  static create(o: GoOptions): Go {
    const g = new Go(o.source, o.version);
    if (o.image) g.image = o.image;
    if (o.golangciLintVersion) g.golangciLintVersion = o.golangciLintVersion;
    if (o.lintImage) g.lintImage = o.lintImage;
    if (o.controllerGenVersion) g.controllerGenVersion = o.controllerGenVersion;
    if (o.setupEnvtestVersion) g.setupEnvtestVersion = o.setupEnvtestVersion;
    if (o.envtestKubernetesVersion) g.envtestKubernetesVersion = o.envtestKubernetesVersion;
    if (o.excludeFromTests) g.excludeFromTests = o.excludeFromTests;
    if (o.versionVariable) g.versionVariable = o.versionVariable;
    if (o.mainPackage) g.mainPackage = o.mainPackage;
    if (o.helmImage) g.helmImage = o.helmImage;
    if (o.kubectlImage) g.kubectlImage = o.kubectlImage;
    g.envtestAssets = o.envtestAssets;
    g.golangciLintSource = o.golangciLintSource;
    if (o.modCache) g.modCache = o.modCache;
    if (o.buildCache) g.buildCache = o.buildCache;
    if (o.lintCache) g.lintCache = o.lintCache;
    return g;
  }

  /**
   * A container with the Go caches mounted, modules downloaded and the source at /src.
   * Modules are downloaded from go.mod/go.sum alone, so editing code does not re-download them.
   */
  @func()
  env(): Container {
    return this.withCaches(dag.container().from(this.image))
      // filter(), not withDirectory's include: the engine keys a filtered directory by its content,
      // so `go mod download` stays cached when only other files change
      .withDirectory(SRC, this.source.filter({ include: ["go.mod", "go.sum"] }))
      .withExec(["go", "mod", "download"])
      .withDirectory(SRC, this.source);
  }

  /**
   * The golangci-lint binary: `go install` of golangciLintVersion in the Go image (so it is built by
   * a Go at least as new as go.mod's), cached apart from the source.
   */
  @func()
  golangciLint(): File {
    return this.withCaches(dag.container().from(this.image))
      .withEnvVariable("CGO_ENABLED", "0")
      // a golangci-lint that needs a newer Go than the image's is built with that Go (from the proxy)
      .withEnvVariable("GOTOOLCHAIN", "auto")
      .withExec(["go", "install", golangciLintPackage(this.golangciLintVersion)])
      .file("/go/bin/golangci-lint");
  }

  /**
   * The golangci-lint the lint stage runs: with a `.custom-gcl.yml` in the repository, the custom
   * binary `golangci-lint custom` builds with its module plugins (built from the config file and the
   * plugins' local paths only, so editing other code does not rebuild it); else `golangciLint`.
   */
  @func()
  async linter(): Promise<File> {
    const found = await Promise.all(CUSTOM_GCL_FILES.map((f) => this.source.exists(f)));
    const file = CUSTOM_GCL_FILES.find((_, i) => found[i]);
    if (!file) return this.golangciLint();
    const config = parseCustomGcl(file, await this.source.file(file).contents());
    let c = this.withCaches(dag.container().from(this.image))
      .withFile("/usr/local/bin/golangci-lint", this.golangciLint())
      .withEnvVariable("GOTOOLCHAIN", "auto");
    if (this.golangciLintSource) {
      // an air-gapped copy of golangci-lint's git repository stands in for github.com
      c = c
        .withDirectory("/golangci-lint.git", this.golangciLintSource)
        .withExec(["git", "config", "--global", "url.file:///golangci-lint.git.insteadOf", "https://github.com/golangci/golangci-lint.git"])
        .withExec(["git", "config", "--global", "--add", "safe.directory", "*"]);
    }
    const built = c
      .withDirectory(SRC, this.source.filter({ include: [file, ...config.localPaths.map((p) => (p === "." ? "**" : `${p}/**`))] }))
      .withExec(["golangci-lint", "custom", "-v"]);
    return execFailure(`golangci-lint custom (${file})`, () => built.file(`${SRC}/${config.binary}`).sync());
  }

  /**
   * Runs golangci-lint over every package with the repository's own configuration; fails with its
   * findings. No --timeout of ours: the configuration's `run.timeout` applies, else golangci-lint's
   * default (none in v2), as in the repository's own `make lint` and CI.
   */
  @func()
  async lint(): Promise<void> {
    const c = await this.lintContainer(["run", "./..."]);
    await execFailure("golangci-lint", () => c.sync());
  }

  /** Runs golangci-lint with --fix and returns the fixes as a changeset to apply; writes nothing. */
  @func()
  async lintFix(): Promise<Changeset> {
    const c = await this.lintContainer(["run", "--fix", "./..."], true);
    return c.directory(SRC).changes(this.source);
  }

  /** Runs `go vet` over every package; fails with its findings. */
  @func()
  async vet(): Promise<void> {
    await execFailure("go vet", () => this.env().withExec(["go", "vet", "./..."]).sync());
  }

  /** Fails when a Go file is not gofmt-formatted, naming the files. */
  @func()
  async checkFormat(): Promise<void> {
    const unformatted = (await this.env().withExec(["gofmt", "-l", "."]).stdout()).trim();
    if (unformatted) {
      throw new Error(`these files are not gofmt-formatted (run gofmt -w):\n${unformatted}`);
    }
  }

  /**
   * Fails when regenerating code with controller-gen (the Makefile's `manifests` and `generate`
   * targets, as `make manifests generate` does) changes the tree; passes when the repository
   * does not use controller-gen.
   */
  @func()
  async checkGenerated(): Promise<void> {
    const targets = await this.generationTargets();
    if (targets.length === 0) return;
    const regenerated = this.env()
      .withFile(CONTROLLER_GEN, this.controllerGen())
      // -o: the pinned binary counts as up to date, so the Makefile's own install rule never runs
      .withExec(["make", "-o", "/go/bin/controller-gen", ...targets, "CONTROLLER_GEN=/go/bin/controller-gen"])
      .directory(SRC)
      .withoutDirectory("bin");
    const changes = regenerated.changes(this.source);
    if (await execFailure(`make ${targets.join(" ")}`, () => changes.isEmpty())) return;
    const [added, modified, removed] = await Promise.all([
      changes.addedPaths(),
      changes.modifiedPaths(),
      changes.removedPaths(),
    ]);
    const lines = [
      ...modified.map((p) => `modified: ${p}`),
      ...added.map((p) => `added:    ${p}`),
      ...removed.map((p) => `removed:  ${p}`),
    ];
    throw new Error(
      `generated code is out of date: \`make ${targets.join(" ")}\` changes the tree:\n${lines.join("\n")}`,
    );
  }

  /**
   * controller-gen at controllerGenVersion (`go install` in the Go image), built apart from the
   * source so that editing code does not rebuild it.
   */
  @func()
  controllerGen(): File {
    return this.withCaches(dag.container().from(this.image))
      .withExec(["go", "install", `sigs.k8s.io/controller-tools/cmd/controller-gen@${this.controllerGenVersion}`])
      .file(CONTROLLER_GEN);
  }

  /**
   * The controller binary cross-compiled for `platform` on the build machine's own platform
   * (CGO off, -trimpath, version stamped through -ldflags), as a File.
   *
   * @param platform Target platform, os/arch[/variant].
   * @param version Version stamped into the binary.
   */
  @func()
  build(platform = "linux/amd64", version = "dev"): File {
    const t = goTarget(platform);
    let c = this.env()
      .withEnvVariable("CGO_ENABLED", "0")
      .withEnvVariable("GOOS", t.goos)
      .withEnvVariable("GOARCH", t.goarch);
    if (t.goarm) c = c.withEnvVariable("GOARM", t.goarm);
    const out = `/out/${platformSlug(platform)}/manager`;
    return c
      .withExec([
        "go",
        "build",
        "-trimpath",
        "-ldflags",
        `-s -w -X ${this.versionVariable}=${version}`,
        "-o",
        out,
        this.mainPackage,
      ])
      .file(out);
  }

  /**
   * The controller binary for each platform, as `<os>_<arch>/manager` in one Directory.
   *
   * @param platforms Target platforms, os/arch[/variant].
   * @param version Version stamped into the binaries.
   */
  @func()
  binaries(
    platforms: string[] = ["linux/amd64", "linux/arm64"],
    version = "dev",
  ): Directory {
    return platforms.reduce(
      (dir, p) => dir.withFile(`${platformSlug(p)}/manager`, this.build(p, version)),
      dag.directory(),
    );
  }

  /**
   * Runs the unit tests with coverage over every package except the excluded ones, as the
   * repository's `make test` does; provisions envtest when the module uses controller-runtime.
   * On failure the error names each failing package and test.
   *
   * @param race Run with the race detector (stricter than WVA's own `make test`).
   */
  @func()
  async test(race = false): Promise<void> {
    await this.runTests(race);
  }

  /**
   * Runs the unit tests as `test` does (the same run, served from the cache after `test`) and
   * returns go test's output: the per-package results, or with `full` everything `go test -v`
   * printed (each test's RUN/PASS lines, Ginkgo's suite output).
   *
   * @param race Run with the race detector.
   * @param full The whole -v output, not only the package results. (Not `verbose`: that is
   * `dagger call`'s own flag.)
   */
  @func()
  async testReport(race = false, full = false): Promise<string> {
    const out = await (await this.runTests(race)).stdout();
    return full ? out : packageResults(out);
  }

  /**
   * The coverage profile of the unit tests (cover.out), to export or upload.
   *
   * @param race Run with the race detector.
   */
  @func()
  async coverage(race = false): Promise<File> {
    return (await this.runTests(race)).file(`${SRC}/cover.out`);
  }

  /** Packages the unit tests cover: `go list ./...` minus the excluded ones. */
  @func()
  async testPackages(): Promise<string[]> {
    const listed = await execFailure("go list", () => this.env().withExec(["go", "list", "./..."]).stdout());
    return unitTestPackages(listed, this.excludeFromTests);
  }

  /**
   * The container the unit tests run in: the Go environment plus the tools the repository's
   * tests exec (helm and kubectl on PATH, as on GitHub's runners).
   */
  @func()
  testContainer(): Container {
    return this.env()
      .withFile("/usr/local/bin/helm", toolFrom(this.helmImage, "helm"))
      .withFile("/usr/local/bin/kubectl", toolFrom(this.kubectlImage, "kubectl"));
  }

  /**
   * Runs go test on testPackages' packages, listed in the same exec (goTestScript), turning a
   * failure into an error that names packages and tests.
   */
  private async runTests(race: boolean): Promise<Container> {
    const container = await this.testEnv();
    // Always -v: one run serves test, testReport and coverage, and a failure's output names its tests.
    const flags = race ? ["-race", "-covermode=atomic"] : [];
    const cmd = ["sh", "-c", goTestScript(this.excludeFromTests), "go-test", "go", "test", "-v", ...flags, "-coverprofile=cover.out"];
    try {
      return await container.withExec(cmd).sync();
    } catch (e) {
      if (isExecLike(e)) {
        if (e.exitCode === NO_PACKAGES_EXIT && /no packages left to test/.test(e.stderr)) {
          throw new Error(`no packages left to test after excluding ${this.excludeFromTests.join(", ")}`);
        }
        const failures = failedTests(`${e.stdout}\n${e.stderr}`);
        if (failures.length) {
          throw new Error(`unit tests failed:\n${describeFailures(failures)}\n\n${tail(withoutPassing(e.stdout), 40)}`);
        }
        throw new Error(`go test failed (exit ${e.exitCode}):\n${tail(`${e.stdout}\n${e.stderr}`, 40)}`);
      }
      throw e;
    }
  }

  /**
   * The container `go test` runs in. When the module uses controller-runtime: the given envtest
   * assets, or those setup-envtest fetches (envtestBinaries); KUBEBUILDER_ASSETS points at them.
   */
  private async testEnv(): Promise<Container> {
    const base = this.testContainer();
    if (this.envtestAssets) {
      const found = await this.envtestAssets.glob("**/kube-apiserver");
      if (found.length === 0) {
        throw new Error("--envtest-assets has no kube-apiserver (give the directory setup-envtest fills, or one with kube-apiserver, etcd, kubectl)");
      }
      const dir = found.sort((a, b) => a.length - b.length)[0].replace(/\/?kube-apiserver$/, "");
      return base
        .withMountedDirectory(ENVTEST_ASSETS, this.envtestAssets)
        .withEnvVariable("KUBEBUILDER_ASSETS", dir ? `${ENVTEST_ASSETS}/${dir}` : ENVTEST_ASSETS);
    }
    if (!this.setupEnvtestVersion || !this.envtestKubernetesVersion) return base;
    return base
      .withMountedDirectory(ENVTEST_ASSETS, this.envtestBinaries())
      .withEnvVariable("KUBEBUILDER_ASSETS", ENVTEST_ASSETS);
  }

  /**
   * kube-apiserver, etcd and kubectl of envtestKubernetesVersion as setup-envtest (at
   * setupEnvtestVersion) fetches them, in one Directory. Fetched apart from the source, so editing
   * code neither re-installs setup-envtest nor asks for the binaries again.
   */
  @func()
  envtestBinaries(): Directory {
    return this.withCaches(dag.container().from(this.image))
      .withMountedCache(ENVTEST_DIR, this.envtestCache)
      .withExec(["go", "install", `sigs.k8s.io/controller-runtime/tools/setup-envtest@${this.setupEnvtestVersion}`])
      .withExec(["setup-envtest", "use", this.envtestKubernetesVersion, "--bin-dir", ENVTEST_DIR, "-p", "path"], {
        redirectStdout: "/tmp/kubebuilder-assets",
      })
      // copied out of the cache volume: the binaries are part of the cached result, not of a volume that may be pruned
      .withExec(["sh", "-c", `mkdir -p ${ENVTEST_ASSETS} && cp -a "$(cat /tmp/kubebuilder-assets)/." ${ENVTEST_ASSETS}/`])
      .directory(ENVTEST_ASSETS);
  }

  private async generationTargets(): Promise<string[]> {
    if (!(await this.source.exists("Makefile"))) return [];
    return generationTargets(await this.source.file("Makefile").contents());
  }

  private async lintContainer(args: string[], allowFailure = false): Promise<Container> {
    const base = this.lintImage
      ? this.withCaches(dag.container().from(this.lintImage))
      : this.withCaches(dag.container().from(this.image)).withFile("/usr/local/bin/golangci-lint", await this.linter());
    return base
      .withMountedCache(LINT_CACHE, this.lintCache)
      .withEnvVariable("GOLANGCI_LINT_CACHE", LINT_CACHE)
      .withDirectory(SRC, this.source)
      .withExec(["golangci-lint", ...args], allowFailure ? { expect: ReturnType.Any } : undefined);
  }

  private withCaches(c: Container): Container {
    return c
      .withMountedCache(MOD_CACHE, this.modCache)
      .withMountedCache(BUILD_CACHE, this.buildCache)
      .withEnvVariable("GOMODCACHE", MOD_CACHE)
      .withEnvVariable("GOCACHE", BUILD_CACHE)
      .withEnvVariable("GOTOOLCHAIN", "local")
      .withWorkdir(SRC);
  }
}

/** The `name` binary found on PATH in `image`, as a File (image layouts differ: /usr/bin, /usr/local/bin, …). */
function toolFrom(image: string, name: string): File {
  return dag
    .container()
    .from(image)
    .withExec(["sh", "-c", `p=$(command -v ${name}) || { echo "${name} is not on PATH in ${image}" >&2; exit 1; }; cp "$p" /tmp/${name}`])
    .file(`/tmp/${name}`);
}
