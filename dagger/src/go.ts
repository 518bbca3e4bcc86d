import {
  CacheVolume,
  Changeset,
  Container,
  Directory,
  ExecError,
  File,
  ReturnType,
  dag,
  func,
  object,
} from "@dagger.io/dagger";
import { envtestVersions, parseGoMod } from "./lib/gomod.js";
import { describeFailures, failedTests, unitTestPackages } from "./lib/gotest.js";
import { generationTargets } from "./lib/makefile.js";
import { goTarget, platformSlug } from "./lib/platform.js";

const SRC = "/src";
const MOD_CACHE = "/go/pkg/mod";
const BUILD_CACHE = "/root/.cache/go-build";
const LINT_CACHE = "/root/.cache/golangci-lint";
const ENVTEST_DIR = "/root/.local/share/kubebuilder-envtest";

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

  /** Image golangci-lint runs in (golangci-lint v2 with a Go toolchain). */
  @func()
  lintImage: string;

  /** controller-gen version the generated-code check regenerates with. */
  @func()
  controllerGenVersion: string;

  /** Package path fragments excluded from unit tests (WVA excludes its e2e suites). */
  @func()
  excludeFromTests: string[];

  /** Go variable the build stamps with the version, through -ldflags -X. */
  @func()
  versionVariable: string;

  /** Main package (or file) the controller binary is built from. */
  @func()
  mainPackage: string;

  modCache: CacheVolume;
  buildCache: CacheVolume;
  lintCache: CacheVolume;
  envtestCache: CacheVolume;

  /**
   * @param source The Go module's source tree (its root holds go.mod).
   * @param version Go version to build with, e.g. 1.24.3.
   * @param image Image for the Go stages; the official Go image of `version` by default.
   * @param lintImage Image with golangci-lint v2.
   * @param controllerGenVersion controller-gen version for the generated-code check.
   * @param excludeFromTests Package path fragments excluded from unit tests.
   * @param versionVariable Go variable stamped with the version at build time.
   * @param mainPackage Main package (or file) of the controller binary.
   * @param modCache Cache volume for the Go module cache.
   * @param buildCache Cache volume for the Go build cache.
   * @param lintCache Cache volume for golangci-lint's cache.
   */
  constructor(
    source: Directory,
    version: string,
    image?: string,
    lintImage = "golangci/golangci-lint:v2.15.0",
    controllerGenVersion = "v0.17.2",
    excludeFromTests: string[] = ["/e2e"],
    versionVariable = "main.version",
    mainPackage = "./cmd/main.go",
    modCache?: CacheVolume,
    buildCache?: CacheVolume,
    lintCache?: CacheVolume,
  ) {
    this.source = source;
    this.version = version;
    this.image = image ?? `golang:${version}`;
    this.lintImage = lintImage;
    this.controllerGenVersion = controllerGenVersion;
    this.excludeFromTests = excludeFromTests;
    this.versionVariable = versionVariable;
    this.mainPackage = mainPackage;
    this.modCache = modCache ?? dag.cacheVolume("wva-go-mod");
    this.buildCache = buildCache ?? dag.cacheVolume(`wva-go-build-${version}`);
    this.lintCache = lintCache ?? dag.cacheVolume(`wva-golangci-lint-${version}`);
    this.envtestCache = dag.cacheVolume("wva-envtest");
  }

  /**
   * A container with the Go caches mounted, modules downloaded and the source at /src.
   * Modules are downloaded from go.mod/go.sum alone, so editing code does not re-download them.
   */
  @func()
  env(): Container {
    return this.withCaches(dag.container().from(this.image))
      .withDirectory(SRC, this.source, { include: ["go.mod", "go.sum"] })
      .withExec(["go", "mod", "download"])
      .withDirectory(SRC, this.source);
  }

  /** Runs golangci-lint v2 over every package with the repository's own .golangci.yml. */
  @func()
  async lint(): Promise<void> {
    await this.lintContainer(["golangci-lint", "run", "--timeout", "10m", "./..."]).sync();
  }

  /** Runs golangci-lint with --fix and returns the fixes as a changeset to apply; writes nothing. */
  @func()
  lintFix(): Changeset {
    return this.lintContainer(["golangci-lint", "run", "--fix", "--timeout", "10m", "./..."], true)
      .directory(SRC)
      .changes(this.source);
  }

  /** Runs `go vet` over every package. */
  @func()
  async vet(): Promise<void> {
    await this.env().withExec(["go", "vet", "./..."]).sync();
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
      .withExec([
        "go",
        "install",
        `sigs.k8s.io/controller-tools/cmd/controller-gen@${this.controllerGenVersion}`,
      ])
      // -o: the pinned binary counts as up to date, so the Makefile's own install rule never runs
      .withExec(["make", "-o", "/go/bin/controller-gen", ...targets, "CONTROLLER_GEN=/go/bin/controller-gen"])
      .directory(SRC)
      .withoutDirectory("bin");
    const changes = regenerated.changes(this.source);
    if (await changes.isEmpty()) return;
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
   * Runs the unit tests with the race detector and coverage over every package except the
   * excluded ones; provisions envtest assets when the module uses controller-runtime. On failure
   * the error names each failing package and test.
   */
  @func()
  async test(): Promise<void> {
    await this.runTests();
  }

  /** The coverage profile of the unit tests (cover.out), to export or upload. */
  @func()
  async coverage(): Promise<File> {
    return (await this.runTests()).file(`${SRC}/cover.out`);
  }

  /** Packages the unit tests cover: `go list ./...` minus the excluded ones. */
  @func()
  async testPackages(): Promise<string[]> {
    const listed = await this.env().withExec(["go", "list", "./..."]).stdout();
    return unitTestPackages(listed, this.excludeFromTests);
  }

  /** Runs go test, turning a failure into an error that names packages and tests. */
  private async runTests(): Promise<Container> {
    const [packages, { container, prefix }] = await Promise.all([this.testPackages(), this.testEnv()]);
    if (packages.length === 0) {
      throw new Error(`no packages left to test after excluding ${this.excludeFromTests.join(", ")}`);
    }
    const cmd = [...prefix, "go", "test", "-race", "-covermode=atomic", "-coverprofile=cover.out", ...packages];
    try {
      return await container.withExec(cmd).sync();
    } catch (e) {
      if (e instanceof ExecError) {
        const failures = failedTests(`${e.stdout}\n${e.stderr}`);
        if (failures.length) {
          throw new Error(`unit tests failed:\n${describeFailures(failures)}\n\n${tail(e.stdout, 40)}`);
        }
      }
      throw e;
    }
  }

  /**
   * The container `go test` runs in, and the command prefix it needs: when the module uses
   * controller-runtime, setup-envtest (at the release matching it) fetches kube-apiserver and
   * etcd for the matching Kubernetes version and KUBEBUILDER_ASSETS points at them.
   */
  private async testEnv(): Promise<{ container: Container; prefix: string[] }> {
    const envtest = envtestVersions(parseGoMod(await this.source.file("go.mod").contents()));
    if (!envtest) return { container: this.env(), prefix: [] };
    const container = this.env()
      .withMountedCache(ENVTEST_DIR, this.envtestCache)
      .withExec(["go", "install", `sigs.k8s.io/controller-runtime/tools/setup-envtest@${envtest.setupEnvtest}`])
      .withExec(["setup-envtest", "use", envtest.kubernetes, "--bin-dir", ENVTEST_DIR, "-p", "path"], {
        redirectStdout: "/tmp/kubebuilder-assets",
      });
    const prefix = ["sh", "-c", 'KUBEBUILDER_ASSETS="$(cat /tmp/kubebuilder-assets)" exec "$@"', "go-test"];
    return { container, prefix };
  }

  private async generationTargets(): Promise<string[]> {
    if (!(await this.source.exists("Makefile"))) return [];
    return generationTargets(await this.source.file("Makefile").contents());
  }

  private lintContainer(args: string[], allowFailure = false): Container {
    return this.withCaches(dag.container().from(this.lintImage))
      .withMountedCache(LINT_CACHE, this.lintCache)
      .withEnvVariable("GOLANGCI_LINT_CACHE", LINT_CACHE)
      .withDirectory(SRC, this.source)
      .withExec(args, allowFailure ? { expect: ReturnType.Any } : undefined);
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

function tail(s: string, n: number): string {
  return s.trim().split("\n").slice(-n).join("\n");
}
