/**
 * wva: the CI/CD of the Workload-Variant-Autoscaler as typed Dagger functions.
 *
 * `dagger call ci` runs what a pull request runs; the stage functions (lint, build, test, …)
 * can be called one by one, or composed from another module with `dag.wva()`.
 */
import {
  CacheVolume,
  Changeset,
  Directory,
  File,
  Secret,
  argument,
  check,
  func,
  object,
} from "@dagger.io/dagger";
import { Github } from "./github.js";
import { Go } from "./go.js";
import { goVersionOf } from "./lib/gomod.js";
import { failureReport, runStages, summarize } from "./lib/stages.js";

/** The CI/CD pipeline of the Workload-Variant-Autoscaler: checks, builds, tests and releases. */
@object()
export class Wva {
  /** The repository's source tree (a Go module with go.mod at its root). */
  @func()
  source: Directory;

  /** Go version to build with; read from go.mod (`toolchain` over `go`) when not given. */
  @func()
  goVersion?: string;

  /** Image for the Go stages; the official Go image of the Go version when not given. */
  @func()
  goImage?: string;

  /** Image with golangci-lint v2 the lint stage runs in. */
  @func()
  golangciLintImage: string;

  /** controller-gen version the generated-code check regenerates with. */
  @func()
  controllerGenVersion: string;

  goModCache?: CacheVolume;
  goBuildCache?: CacheVolume;
  golangciLintCache?: CacheVolume;

  /**
   * @param source The repository's source tree; defaults to the repository the module is called from.
   * @param goVersion Go version to build with (e.g. 1.24.3); read from go.mod when not given.
   * @param goImage Image for the Go stages; defaults to the official `golang:<goVersion>` image.
   * @param golangciLintImage Image with golangci-lint v2 for the lint stage.
   * @param controllerGenVersion controller-gen version the generated-code check uses.
   * @param goModCache Cache volume for the Go module cache (default key `wva-go-mod`).
   * @param goBuildCache Cache volume for the Go build cache (default key `wva-go-build-<goVersion>`).
   * @param golangciLintCache Cache volume for golangci-lint (default key `wva-golangci-lint-<goVersion>`).
   */
  constructor(
    @argument({
      defaultPath: "/",
      ignore: [".git", "bin", "node_modules", "**/node_modules", ".tools", "dagger/sdk", "cover.out", "*.tgz"],
    })
    source: Directory,
    goVersion?: string,
    goImage?: string,
    golangciLintImage = "golangci/golangci-lint:v2.15.0",
    controllerGenVersion = "v0.17.2",
    goModCache?: CacheVolume,
    goBuildCache?: CacheVolume,
    golangciLintCache?: CacheVolume,
  ) {
    this.source = source;
    this.goVersion = goVersion;
    this.goImage = goImage;
    this.golangciLintImage = golangciLintImage;
    this.controllerGenVersion = controllerGenVersion;
    this.goModCache = goModCache;
    this.goBuildCache = goBuildCache;
    this.golangciLintCache = golangciLintCache;
  }

  /** The Go toolchain stages, configured for this repository (Go version resolved from go.mod). */
  @func()
  async go(): Promise<Go> {
    const version = this.goVersion ?? (await this.goVersionFromSource());
    return new Go(
      this.source,
      version,
      this.goImage,
      this.golangciLintImage,
      this.controllerGenVersion,
      undefined,
      undefined,
      undefined,
      this.goModCache,
      this.goBuildCache,
      this.golangciLintCache,
    );
  }

  /** Runs golangci-lint v2 with the repository's .golangci.yml. */
  @func()
  @check()
  async lint(): Promise<void> {
    await (await this.go()).lint();
  }

  /** golangci-lint's automatic fixes, as a changeset to apply (`dagger call lint-fix export --path .`). */
  @func()
  async lintFix(): Promise<Changeset> {
    return (await this.go()).lintFix();
  }

  /** Runs `go vet` over every package. */
  @func()
  @check()
  async vet(): Promise<void> {
    await (await this.go()).vet();
  }

  /** Fails when a Go file is not gofmt-formatted. */
  @func()
  @check()
  async checkFormat(): Promise<void> {
    await (await this.go()).checkFormat();
  }

  /** Fails when `make manifests generate` (controller-gen) would change the tree. */
  @func()
  @check()
  async checkGenerated(): Promise<void> {
    await (await this.go()).checkGenerated();
  }

  /**
   * The controller binary for one platform, cross-compiled (CGO off, -trimpath, version stamped).
   *
   * @param platform Target platform, os/arch[/variant].
   * @param version Version stamped into the binary.
   */
  @func()
  async build(platform = "linux/amd64", version = "dev"): Promise<File> {
    return (await this.go()).build(platform, version);
  }

  /**
   * The controller binary for several platforms, as `<os>_<arch>/manager` in one Directory.
   *
   * @param platforms Target platforms, os/arch[/variant].
   * @param version Version stamped into the binaries.
   */
  @func()
  async binaries(
    platforms: string[] = ["linux/amd64", "linux/arm64"],
    version = "dev",
  ): Promise<Directory> {
    return (await this.go()).binaries(platforms, version);
  }

  /** Runs the unit tests (race detector, coverage) over all packages except e2e ones. */
  @func()
  @check()
  async test(): Promise<void> {
    await (await this.go()).test();
  }

  /** The unit tests' coverage profile (cover.out). */
  @func()
  async coverage(): Promise<File> {
    return (await this.go()).coverage();
  }

  /**
   * Runs every pull-request check concurrently and returns a summary of the stages; fails with
   * one error naming every failing stage and showing each one's output.
   *
   * @param skip Stages not to run, by name (e.g. `--skip e2e`).
   */
  @func()
  async ci(skip: string[] = []): Promise<string> {
    const all = this.stages();
    const unknown = skip.filter((s) => !all.some(([name]) => name === s));
    if (unknown.length) {
      throw new Error(
        `unknown stage(s) to skip: ${unknown.join(", ")}; stages are ${all.map(([n]) => n).join(", ")}`,
      );
    }
    const results = await runStages(all.filter(([name]) => !skip.includes(name)));
    const report = failureReport(results);
    if (report) throw new Error(report);
    return summarize(results);
  }

  /** Names of the stages `ci` runs, in report order (for `--skip`). */
  @func()
  ciStages(): string[] {
    return this.stages().map(([name]) => name);
  }

  /**
   * The GitHub automation (prow commands, labeler, auto-merge, LGTM removal, docs PRs) for a repository.
   *
   * @param token GitHub token (e.g. env://GITHUB_TOKEN); read only when a request is sent, sent only in the Authorization header.
   * @param repository The repository as owner/name (e.g. "$GITHUB_REPOSITORY").
   * @param apiUrl Base URL of the GitHub REST API.
   */
  @func()
  github(token: Secret, repository: string, apiUrl = "https://api.github.com"): Github {
    return new Github(token, repository, apiUrl, this.source);
  }

  /** The pull-request stages by name, in report order. */
  private stages(): [string, () => Promise<unknown>][] {
    return [
      ["lint", () => this.lint()],
      ["vet", () => this.vet()],
      ["format", () => this.checkFormat()],
      ["generated", () => this.checkGenerated()],
      ["build", async () => (await this.build()).sync()],
      ["test", () => this.test()],
    ];
  }

  private async goVersionFromSource(): Promise<string> {
    if (!(await this.source.exists("go.mod"))) {
      throw new Error("the source has no go.mod at its root; pass --source <a Go module> or --go-version");
    }
    return goVersionOf(await this.source.file("go.mod").contents());
  }
}
