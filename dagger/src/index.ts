/**
 * wva: the CI/CD of the Workload-Variant-Autoscaler as typed Dagger functions.
 *
 * `dagger call ci` runs what a pull request runs; the stage functions (lint, build, test, …)
 * can be called one by one, or composed from another module with `dag.wva()`.
 */
import {
  CacheVolume,
  Changeset,
  Container,
  Directory,
  File,
  Secret,
  Service,
  argument,
  check,
  func,
  object,
} from "@dagger.io/dagger";
import { Github } from "./github.js";
import { Chart } from "./chart.js";
import { Image } from "./image.js";
import { commitChart, runRelease } from "./release.js";
import { imageTagList, listArgument } from "./lib/args.js";
import { imagePlatform, imagePlatforms } from "./lib/platform.js";
import { parseReleaseTag, parseRepository } from "./lib/tags.js";
import { Go } from "./go.js";
import { Kind } from "./kind.js";
import { OpenShift } from "./openshift.js";
import { E2eResult } from "./e2e-result.js";
import { E2eRunner } from "./e2e-runner.js";
import { repoE2ePlan } from "./lib/repo-e2e.js";
import { execFailure } from "./lib/exec-output.js";
import { pinsTable, resolvePins, type RepoPins } from "./lib/repo-pins.js";
import { failureReport, runStages, summarize } from "./lib/stages.js";

/** Where the Helm chart lives in a WVA checkout. */
const CHART_PATH = "charts/workload-variant-autoscaler";

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

  /** An image with golangci-lint on PATH to lint in; by default golangci-lint is installed into the Go image. */
  @func()
  golangciLintImage?: string;

  /** controller-gen version the generated-code check uses; the Makefile's CONTROLLER_TOOLS_VERSION when not given. */
  @func()
  controllerGenVersion?: string;

  /** golangci-lint version; the Makefile's GOLANGCI_LINT_VERSION (or the workflow's golangci-lint-action version) when not given. */
  @func()
  golangciLintVersion?: string;

  /** setup-envtest version; the Makefile's ENVTEST_VERSION, else derived from go.mod's controller-runtime. */
  @func()
  envtestVersion?: string;

  /** Kubernetes version of the envtest binaries; the Makefile's ENVTEST_K8S_VERSION, else derived from go.mod's k8s.io/api. */
  @func()
  envtestKubernetesVersion?: string;

  /** Path of the Dockerfile the controller image is built from; without one the image is assembled. */
  @func()
  dockerfile: string;

  /** Static non-root base image of the controller image (pinned by tag; pass a digest to pin harder). */
  @func()
  baseImage: string;

  /** Image with helm v3 and sh (chart lint, package, push). */
  @func()
  helmImage: string;

  /** Image with helm-docs (chart README); may be the helm image when it has both tools. */
  @func()
  helmDocsImage: string;

  /** Image with crane and sh (reads the tags already in the image repository). */
  @func()
  craneImage: string;

  /** Registry image (CNCF distribution) the release dry run pushes to. */
  @func()
  registryImage: string;

  /** Image with git, sh and base64 (commits the released chart files). */
  @func()
  gitImage: string;

  /** Docker-in-Docker image of the Kind e2e's Docker daemon service. */
  @func()
  dockerImage: string;

  /** Kind node image of the e2e cluster (sets its Kubernetes version). */
  @func()
  kindNodeImage: string;

  /** Image with kubectl and helm (Kind and OpenShift e2e). */
  @func()
  kubectlImage: string;

  goModCache?: CacheVolume;
  goBuildCache?: CacheVolume;
  golangciLintCache?: CacheVolume;
  chartDirectory?: Directory;
  envtestAssets?: Directory;
  golangciLintSource?: Directory;

  /**
   * @param source The repository's source tree; defaults to the repository the module is called from.
   * @param goVersion Go version to build with (e.g. 1.24.3); read from go.mod when not given.
   * @param goImage Image for the Go stages; defaults to the official `golang:<goVersion>` image.
   * @param golangciLintImage An image with golangci-lint on PATH to lint in, instead of installing golangci-lint into the Go image.
   * @param controllerGenVersion controller-gen version; default: the Makefile's CONTROLLER_TOOLS_VERSION, else v0.17.2.
   * @param goModCache Cache volume for the Go module cache (default key `wva-go-mod`).
   * @param goBuildCache Cache volume for the Go build cache (default key `wva-go-build-<goVersion>`).
   * @param golangciLintCache Cache volume for golangci-lint (default key `wva-golangci-lint-<goVersion>`).
   * @param chart The Helm chart; defaults to charts/workload-variant-autoscaler in the source.
   * @param baseImage Static non-root base image of the controller image.
   * @param helmImage Image with helm v3 and sh.
   * @param helmDocsImage Image with helm-docs (may be the helm image when it has both).
   * @param craneImage Image with crane and sh, to read existing image tags.
   * @param registryImage Registry image (CNCF distribution) for the release dry run.
   * @param gitImage Image with git, sh and base64, to commit the released chart files.
   * @param dockerImage Docker-in-Docker image of the Kind e2e's Docker daemon.
   * @param kindNodeImage Kind node image of the e2e cluster.
   * @param kubectlImage Image with kubectl and helm for the e2e runs (kubectl is also put on the unit tests' PATH).
   * @param golangciLintVersion golangci-lint version; default: the Makefile's GOLANGCI_LINT_VERSION, else the workflow's golangci-lint-action version, else v2.15.0.
   * @param envtestVersion setup-envtest version; default: the Makefile's ENVTEST_VERSION, else release-0.<controller-runtime minor>.
   * @param envtestKubernetesVersion Kubernetes version of envtest; default: the Makefile's ENVTEST_K8S_VERSION, else 1.<k8s.io/api minor>.
   * @param envtestAssets envtest binaries (kube-apiserver, etcd, kubectl; e.g. setup-envtest's bin dir) to use instead of downloading them.
   * @param dockerfile Path of the Dockerfile the controller image is built from; the image is assembled when it does not exist.
   * @param golangciLintSource A git repository of golangci-lint (with its version tags) that `golangci-lint custom` clones instead of github.com (air-gapped use).
   */
  constructor(
    @argument({
      defaultPath: "/",
      ignore: [".git", "bin", "node_modules", "**/node_modules", ".tools", "dagger/sdk", "cover.out", "*.tgz"],
    })
    source: Directory,
    goVersion?: string,
    goImage?: string,
    golangciLintImage?: string,
    controllerGenVersion?: string,
    goModCache?: CacheVolume,
    goBuildCache?: CacheVolume,
    golangciLintCache?: CacheVolume,
    chart?: Directory,
    baseImage = "gcr.io/distroless/static:nonroot",
    helmImage = "alpine/helm:3.22.0",
    helmDocsImage = "jnorwood/helm-docs:v1.14.2",
    craneImage = "gcr.io/go-containerregistry/crane/debug:v0.22.1",
    registryImage = "registry:3.0.0",
    gitImage = "alpine/git:2.47.2",
    dockerImage = "docker:28.5.1-dind",
    kindNodeImage = "kindest/node:v1.32.0",
    kubectlImage = "alpine/k8s:1.32.1",
    golangciLintVersion?: string,
    envtestVersion?: string,
    envtestKubernetesVersion?: string,
    envtestAssets?: Directory,
    dockerfile = "Dockerfile",
    golangciLintSource?: Directory,
  ) {
    this.source = source;
    this.goVersion = goVersion;
    this.goImage = goImage;
    this.golangciLintImage = golangciLintImage;
    this.controllerGenVersion = controllerGenVersion;
    this.goModCache = goModCache;
    this.goBuildCache = goBuildCache;
    this.golangciLintCache = golangciLintCache;
    this.chartDirectory = chart;
    this.baseImage = baseImage;
    this.helmImage = helmImage;
    this.helmDocsImage = helmDocsImage;
    this.craneImage = craneImage;
    this.registryImage = registryImage;
    this.gitImage = gitImage;
    this.dockerImage = dockerImage;
    this.kindNodeImage = kindNodeImage;
    this.kubectlImage = kubectlImage;
    this.golangciLintVersion = golangciLintVersion;
    this.envtestVersion = envtestVersion;
    this.envtestKubernetesVersion = envtestKubernetesVersion;
    this.envtestAssets = envtestAssets;
    this.dockerfile = dockerfile;
    this.golangciLintSource = golangciLintSource;
  }

  /** The Go toolchain stages, configured for this repository (versions resolved from its files, see `versions`). */
  @func()
  async go(): Promise<Go> {
    const pins = await this.pins();
    return Go.create({
      source: this.source,
      version: pins.go.version,
      image: this.goImage,
      golangciLintVersion: pins.golangciLint.version,
      lintImage: this.golangciLintImage,
      controllerGenVersion: pins.controllerGen.version,
      setupEnvtestVersion: pins.setupEnvtest?.version,
      envtestKubernetesVersion: pins.envtestKubernetes?.version,
      envtestAssets: this.envtestAssets,
      golangciLintSource: this.golangciLintSource,
      helmImage: this.helmImage,
      kubectlImage: this.kubectlImage,
      modCache: this.goModCache,
      buildCache: this.goBuildCache,
      lintCache: this.golangciLintCache,
    });
  }

  /**
   * Every tool version the pipeline uses and where it came from: the repository's go.mod,
   * Makefile and workflows, an argument, or the module's default.
   */
  @func()
  async versions(): Promise<string> {
    const pins = await this.pins();
    const image = (ref: string, what: string) => ({ version: ref, source: what });
    return pinsTable(pins, [
      ["go image", image(this.goImage ?? `golang:${pins.go.version}`, this.goImage ? "argument --go-image" : `golang:<go> (${pins.go.source})`)],
      ["envtest assets", image(this.envtestAssets ? "given" : "setup-envtest download", this.envtestAssets ? "argument --envtest-assets" : "module default")],
      ["image", image((await this.hasDockerfile()) ? this.dockerfile : "assembled", (await this.hasDockerfile()) ? "repository Dockerfile" : "no Dockerfile: binary on --base-image")],
      ["helm", image(this.helmImage, "module default (--helm-image)")],
      ["kubectl", image(this.kubectlImage, "module default (--kubectl-image)")],
      ["kind node", image(this.kindNodeImage, "module default (--kind-node-image)")],
    ]);
  }

  /** Runs golangci-lint (the repository's version and configuration); fails with its findings. */
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

  /** Runs `go vet` over every package; fails with its findings. */
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
    const file = (await this.go()).build(platform, version);
    return execFailure("go build", () => file.sync());
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

  /**
   * Runs the unit tests with coverage over all packages except e2e ones, as `make test` does
   * (envtest provisioned, helm and kubectl on PATH).
   *
   * @param race Run with the race detector (stricter than WVA's own CI).
   */
  @func()
  @check()
  async test(race = false): Promise<void> {
    await (await this.go()).test(race);
  }

  /**
   * Runs the unit tests as `test` does and returns go test's output.
   *
   * @param race Run with the race detector.
   * @param full The whole -v output (every test's RUN/PASS lines, Ginkgo's suite output), not only
   * the package results. (Not `verbose`: that is `dagger call`'s own flag.)
   */
  @func()
  async testReport(race = false, full = false): Promise<string> {
    return (await this.go()).testReport(race, full);
  }

  /**
   * The unit tests' coverage profile (cover.out).
   *
   * @param race Run with the race detector.
   */
  @func()
  async coverage(race = false): Promise<File> {
    return (await this.go()).coverage(race);
  }

  /**
   * Runs the pull-request checks concurrently (what WVA's own PR workflow gates on: lint; build
   * with vet and the controller-gen drift check; unit tests; chart; e2e; plus the controller
   * image) and returns a summary with each stage's time; fails with one error naming every failing
   * stage and showing each one's output. `--strict` adds what WVA does not gate on: the gofmt
   * check and the race detector.
   *
   * @param skip Stages not to run, by name (e.g. `--skip e2e`).
   * @param strict Also gate on gofmt (`format` stage) and run the unit tests with -race.
   */
  @func()
  async ci(skip: string[] = [], strict = false): Promise<string> {
    const all = this.stages(strict);
    const names = this.stages(true).map(([n]) => n);
    const unknown = skip.filter((s) => !names.includes(s));
    if (unknown.length) {
      throw new Error(`unknown stage(s) to skip: ${unknown.join(", ")}; stages are ${names.join(", ")}`);
    }
    const results = await runStages(all.filter(([name]) => !skip.includes(name)));
    const note = strict
      ? "strict: format stage and unit tests with -race included"
      : "not gated (as in WVA's CI): gofmt check and -race; run `ci --strict` to include them";
    const report = failureReport(results);
    if (report) throw new Error(`${report}\n\n${note}`);
    return `${summarize(results)}\n${note}`;
  }

  /** Names of the stages `ci` runs, in report order (for `--skip`); `format` runs only with `--strict`. */
  @func()
  ciStages(): string[] {
    return this.stages(true).map(([name]) => name);
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

  /** The Helm chart with the helm and helm-docs tools: lint, template, docs, package, push. */
  @func()
  async chart(): Promise<Chart> {
    if (!this.chartDirectory && !(await this.source.exists(CHART_PATH))) {
      throw new Error(`the source has no ${CHART_PATH}; pass --chart <chart directory>`);
    }
    const dir = this.chartDirectory ?? this.source.directory(CHART_PATH);
    const hasChartYaml = this.chartDirectory
      ? await this.chartDirectory.exists("Chart.yaml")
      : await this.source.exists(`${CHART_PATH}/Chart.yaml`);
    if (!hasChartYaml) {
      throw new Error(
        this.chartDirectory
          ? "the --chart directory has no Chart.yaml at its root; pass --chart <the chart directory itself, e.g. charts/workload-variant-autoscaler>"
          : `${CHART_PATH} in the source has no Chart.yaml; pass --chart <a Helm chart directory>`,
      );
    }
    return new Chart(dir, this.helmImage, this.helmDocsImage);
  }

  /**
   * Lints the chart (`helm lint --strict`, `helm template`) and, for a helm-docs-managed chart
   * (one with README.md.gotmpl), fails when its README.md is not what helm-docs generates; a
   * hand-written README (no template) is not checked.
   */
  @func()
  @check()
  async helmLint(): Promise<void> {
    const c = await this.chart();
    await Promise.all([c.lint(), c.checkDocs()]);
  }

  /**
   * The controller image for one platform, built from the repository's Dockerfile by the engine's
   * BuildKit (first stage on the build platform, so `go build` cross-compiles; no emulation), with
   * version and revision labels and annotations added. Without a Dockerfile: the binary
   * cross-compiled on the build platform, on a static non-root base, user 65532, entrypoint /manager.
   *
   * @param platform Target platform, os/arch.
   * @param version Version for the image metadata (and stamped into the assembled image's binary).
   * @param revision Git commit for org.opencontainers.image.revision.
   */
  @func()
  async image(platform = "linux/amd64", version = "dev", revision = ""): Promise<Container> {
    imagePlatform(platform);
    const c = await (await this.imageFor(version, revision, [platform])).container(platform);
    return execFailure("image build", () => c.sync());
  }

  /**
   * The Dockerfile's builder stage as the `image` build runs it for `platform` (on the build
   * platform: `platform` and `uname -m` of the result show it), to inspect or debug the build.
   *
   * @param platform Target platform of the image.
   * @param target Name of the builder stage in the Dockerfile.
   */
  @func()
  async imageBuilder(platform = "linux/arm64", target = "builder"): Promise<Container> {
    return (await this.imageFor("dev", "", [platform])).builder(platform, target);
  }

  /**
   * Publishes the controller image (see `image`) as one multi-platform index under each of
   * `tags`; returns the digest references. Registry auth: `--username` and `--password env://CR_TOKEN`.
   *
   * @param tags Image tags to publish, e.g. v0.4.1 latest.
   * @param repository Image repository; its host is the registry logged in to.
   * @param platforms Platforms of the index.
   * @param username Registry user (e.g. CR_USER).
   * @param password Registry token as a Secret (e.g. env://CR_TOKEN).
   * @param version Version for the image metadata.
   * @param revision Git commit for org.opencontainers.image.revision.
   */
  @func({ cache: "never" })
  async publishImage(
    tags: string[],
    repository = "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
    platforms: string[] = ["linux/amd64", "linux/arm64"],
    username?: string,
    password?: Secret,
    version = "dev",
    revision = "",
  ): Promise<string[]> {
    // Everything checked before the first build or push; joined list arguments are split.
    const tagList = imageTagList(listArgument(tags), "--tags");
    if (!tagList.length) throw new Error("no tags given; pass e.g. --tags v0.4.1,latest");
    const platformList = imagePlatforms(listArgument(platforms));
    parseRepository(repository, "--repository");
    return (await this.imageFor(version, revision, platformList)).publish(tagList, repository, platformList, username, password);
  }

  /**
   * The chart directory as release `tag` ships it: Chart.yaml version/appVersion, values.yaml
   * wva.image.repository/tag, README.md regenerated when the chart has a README.md.gotmpl
   * (a hand-written README is kept as it is). Export it to commit by hand:
   * `dagger call chart-for-release --tag v0.4.1 export --path charts/workload-variant-autoscaler`.
   *
   * @param tag Release tag, vMAJOR.MINOR.PATCH[-PRERELEASE].
   * @param imageRepository Image repository written to wva.image.repository.
   */
  @func()
  async chartForRelease(
    tag: string,
    imageRepository = "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
  ): Promise<Directory> {
    return (await (await this.chart()).withRelease(tag, imageRepository)).directory;
  }

  /**
   * Releases the chart alone: applies the release edits, runs helm-docs (README.md.gotmpl charts only) and `helm lint`, packages
   * and pushes it; refuses to overwrite an existing version unless `force`. Returns the chart reference.
   *
   * @param tag Release tag, vMAJOR.MINOR.PATCH[-PRERELEASE].
   * @param imageRepository Image repository written to wva.image.repository.
   * @param registry OCI repository the chart is pushed to.
   * @param username Registry user (e.g. CR_USER).
   * @param password Registry token as a Secret (e.g. env://CR_TOKEN).
   * @param force Push even when this chart version already exists.
   * @param plainHttp Talk to the registry over plain HTTP (a local test registry).
   */
  @func({ cache: "never" })
  async releaseChart(
    tag: string,
    imageRepository = "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
    registry = "oci://ghcr.io/llm-d-incubation/charts",
    username?: string,
    password?: Secret,
    force = false,
    plainHttp = false,
  ): Promise<string> {
    const released = await (await this.chart()).withRelease(tag, imageRepository);
    await released.lint();
    return released.push(registry, username, password, force, plainHttp);
  }

  /**
   * Commits the released chart files (Chart.yaml, values.yaml, and README.md when helm-docs
   * owns it, i.e. the chart has README.md.gotmpl) to `branch` and pushes them. Tags are immutable release pointers, so the commit goes to a branch (main by default,
   * or a release-X.Y branch), never to the tag. Returns `pushed <sha>` or `unchanged <sha>`.
   *
   * @param tag Release tag whose chart files are committed.
   * @param token Git token as a Secret (e.g. env://GITHUB_TOKEN); reaches git only as a secret variable.
   * @param branch Branch the commit is pushed to.
   * @param repositoryUrl HTTPS URL of the repository.
   * @param imageRepository Image repository written to wva.image.repository.
   * @param chartPath Path of the chart in the repository.
   * @param authorName Commit author name.
   * @param authorEmail Commit author email.
   */
  @func({ cache: "never" })
  async commitChart(
    tag: string,
    token: Secret,
    branch = "main",
    repositoryUrl = "https://github.com/llm-d-incubation/workload-variant-autoscaler.git",
    imageRepository = "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
    chartPath = CHART_PATH,
    authorName = "github-actions[bot]",
    authorEmail = "41898282+github-actions[bot]@users.noreply.github.com",
  ): Promise<string> {
    const t = parseReleaseTag(tag);
    const released = await (await this.chart()).withRelease(t.tag, imageRepository);
    return commitChart({
      files: await released.releasedFiles(),
      fileNames: await released.releasedFileNames(),
      token,
      repositoryUrl,
      branch,
      chartPath,
      message: `chore(release): chart ${t.chartVersion} for ${t.tag}`,
      authorName,
      authorEmail,
      gitImage: this.gitImage,
    });
  }

  /**
   * The release: validates the tag, builds the binaries once, publishes the multi-platform image
   * (the tag, plus `latest` when it is the highest stable release), then releases the chart.
   * Returns a summary. `--dry-run` does all of it against a registry service inside the engine
   * and checks that the pushed chart renders the pushed image.
   *
   * @param tag Release tag, vMAJOR.MINOR.PATCH[-PRERELEASE] (v*-test for test releases).
   * @param dryRun Rehearse against an in-engine registry; nothing leaves the engine.
   * @param force Overwrite an existing image tag or chart version.
   * @param imageRepository Image repository.
   * @param chartRegistry OCI repository of the chart.
   * @param username Registry user for image and chart (e.g. CR_USER).
   * @param password Registry token as a Secret (e.g. env://CR_TOKEN).
   * @param platforms Platforms of the image index.
   * @param existingTags Tags already in the image repository; read from the registry when not given.
   * @param revision Git commit for org.opencontainers.image.revision.
   * @param plainHttp Talk to the registries over plain HTTP (a local test registry; image pushes over HTTP need a localhost name or engine registry config).
   * @param skipChart Publish the image only (the tag-push workflow); the chart is released by another run.
   * @param reuseImage When the image tag already exists, release the chart against it instead of refusing (nothing is pushed twice).
   * @param registryService The registry that imageRepository and chartRegistry name, when containers cannot reach it by that name (one on your machine: `tcp://localhost:5000`); both must be on its host, helm and crane reach it as `registry:<port>`.
   */
  @func({ cache: "never" })
  async release(
    tag: string,
    dryRun = false,
    force = false,
    imageRepository = "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
    chartRegistry = "oci://ghcr.io/llm-d-incubation/charts",
    username?: string,
    password?: Secret,
    platforms: string[] = ["linux/amd64", "linux/arm64"],
    existingTags?: string[],
    revision = "",
    plainHttp = false,
    skipChart = false,
    reuseImage = false,
    registryService?: Service,
  ): Promise<string> {
    parseReleaseTag(tag); // a bad tag fails before the chart or the Go toolchain is even looked at
    return runRelease({
      tag,
      dryRun,
      force,
      skipChart,
      reuseImage,
      plainHttp,
      imageRepository,
      chartRegistry,
      username,
      password,
      platforms,
      existingTags,
      chart: skipChart ? undefined : () => this.chart(),
      image: (version, p) => this.imageFor(version, revision, p),
      registryImage: this.registryImage,
      registryService,
    });
  }

  /**
   * The Image object of `version`: the repository's Dockerfile when it has one, else the binaries
   * for `platforms` (built lazily) on the configured base; tags are listed with crane.
   */
  private async imageFor(version: string, revision: string, platforms: string[]): Promise<Image> {
    if (await this.hasDockerfile()) {
      return Image.fromDockerfile(this.source, this.dockerfile, { version, revision, craneImage: this.craneImage });
    }
    const binaries = (await this.go()).binaries(platforms, version);
    return new Image(binaries, version, revision, undefined, undefined, this.baseImage, undefined, this.craneImage);
  }

  private async hasDockerfile(): Promise<boolean> {
    return this.dockerfile !== "" && (await this.source.exists(this.dockerfile));
  }

  /**
   * The hermetic Kind e2e environment: a Docker daemon service inside the engine, a Kind cluster
   * (one control plane + `workers`) with emulated GPUs, Go from the repository's go.mod.
   *
   * @param clusterName Kind cluster name.
   * @param kindVersion Kind version (built with `go install sigs.k8s.io/kind@<version>`).
   * @param workers Worker nodes besides the control plane.
   * @param gpuType Emulated GPU layout: mix, nvidia-mix, amd-mix, nvidia or amd.
   * @param gpusPerNode Emulated GPUs per node.
   * @param kindBinary A kind binary to use instead of building one.
   * @param featureGates Kubernetes feature gates of the cluster, `Name=true|false` (WVA's kind-emulator enables HPAScaleToZero).
   */
  @func()
  async kind(
    clusterName = "wva-e2e",
    kindVersion = "v0.33.0",
    workers = 2,
    gpuType = "mix",
    gpusPerNode = 4,
    kindBinary?: File,
    featureGates: string[] = ["HPAScaleToZero=true"],
  ): Promise<Kind> {
    const go = await this.go();
    return new Kind(
      clusterName, kindVersion, this.kindNodeImage, this.dockerImage, this.kubectlImage, go.image, workers, gpuType, gpusPerNode,
      undefined, undefined, kindBinary, this.goModCache, undefined, featureGates,
    );
  }

  /**
   * The repository's own e2e in a hermetic runner: its make target (default
   * `test-e2e-smoke-with-setup` when the Makefile has it, else `test-e2e`) in a container with its
   * own Docker daemon and the pinned tools WVA's scripts call; the controller image built from
   * the Dockerfile is loaded into that daemon as `IMG` (with `SKIP_BUILD=true`), the kind node
   * image too. `dagger call e-2-e-runner run …`, or `e2e` (which picks it when the target sets up its own cluster).
   *
   * @param target make target; default: the first of test-e2e-smoke-with-setup, test-e2e the Makefile has.
   * @param env Extra environment for make, `KEY=VALUE` (e.g. `SCALE_TO_ZERO_ENABLED=true`).
   * @param focus Ginkgo focus (make FOCUS=…).
   * @param skip Ginkgo skip (make SKIP=…).
   * @param labelFilter Ginkgo label filter, replacing the target's own (e.g. `smoke && !flaky`).
   * @param imageRef make's IMG: the controller image's name in the runner's Docker daemon.
   * @param timeout How long make may run.
   */
  @func()
  async e2eRunner(
    target = "",
    env: string[] = [],
    focus = "",
    skip = "",
    labelFilter = "",
    imageRef = "localhost/workload-variant-autoscaler:e2e",
    timeout = "60m",
  ): Promise<E2eRunner> {
    const plan = repoE2ePlan(await this.makefileText(), target);
    if (!plan.target) throw new Error(plan.reason);
    const [kind, go] = await Promise.all([this.kind(), this.go()]);
    const runner = new E2eRunner(plan.target, kind.binary(), env, focus, skip, labelFilter, imageRef);
    runner.nodeImage = this.kindNodeImage;
    runner.dockerImage = this.dockerImage;
    runner.kubectlImage = this.kubectlImage;
    runner.goImage = go.image;
    runner.timeout = timeout;
    if (this.goModCache) runner.goModCache = this.goModCache;
    return runner;
  }

  /**
   * Runs the e2e and returns the result, passed or not, with diagnostics
   * (`dagger call e-2-e-result diagnostics export --path ./e2e-diagnostics`). With `mode` auto, a
   * repository whose e2e make target sets up its own Kind cluster (WVA's
   * `test-e2e-smoke-with-setup`) runs it in the e2e runner; any other runs on the module's Kind
   * cluster (controller image loaded, chart installed, `go test <packages>`).
   *
   * @param timeout go test -timeout on the module's cluster (default 30m), or how long make may run in the runner (default 60m).
   * @param packages Go packages of the e2e tests (module cluster).
   * @param mode auto, repository (the runner) or module (the module's Kind cluster).
   * @param target make target of the repository's e2e (runner).
   * @param env Extra environment for make, `KEY=VALUE` (runner).
   * @param focus Ginkgo focus (runner).
   * @param labelFilter Ginkgo label filter (runner).
   */
  @func({ cache: "never" })
  async e2eResult(
    timeout = "",
    packages: string[] = ["./test/e2e/..."],
    mode = "auto",
    target = "",
    env: string[] = [],
    focus = "",
    labelFilter = "",
  ): Promise<E2eResult> {
    if (!["auto", "repository", "module"].includes(mode)) throw new Error(`mode ${JSON.stringify(mode)} must be auto, repository or module`);
    const plan = repoE2ePlan(await this.makefileText(), target);
    if (mode === "repository" || (mode === "auto" && plan.ownSetup)) {
      const runner = await this.e2eRunner(target, env, focus, "", labelFilter, undefined, timeout || "60m");
      return runner.run(await this.image(), this.source);
    }
    const [kind, chart, image] = await Promise.all([this.kind(), this.chart(), this.image()]);
    return kind.test(image, chart.directory, this.source, timeout || "30m", packages);
  }

  /**
   * The e2e as a CI stage (see `e2e-result`): fails with the failing step, the log's tail and how
   * to export the diagnostics; returns the summary when it passed.
   *
   * @param timeout go test -timeout on the module's cluster (default 30m), or how long make may run in the runner (default 60m).
   * @param packages Go packages of the e2e tests (module cluster).
   * @param mode auto, repository (the runner) or module (the module's Kind cluster).
   * @param target make target of the repository's e2e (runner).
   * @param env Extra environment for make, `KEY=VALUE` (runner).
   * @param focus Ginkgo focus (runner).
   * @param labelFilter Ginkgo label filter (runner).
   */
  @func({ cache: "never" })
  async e2e(
    timeout = "",
    packages: string[] = ["./test/e2e/..."],
    mode = "auto",
    target = "",
    env: string[] = [],
    focus = "",
    labelFilter = "",
  ): Promise<string> {
    return (await this.e2eResult(timeout, packages, mode, target, env, focus, labelFilter)).check();
  }

  private async makefileText(): Promise<string | undefined> {
    return (await this.source.exists("Makefile")) ? this.source.file("Makefile").contents() : undefined;
  }

  /**
   * The GPU e2e on an OpenShift cluster: GPU preflight, the controller deployed with `image`
   * into its own namespace and release named after the pull request (`wva-e2e-pr-<N>`), the
   * chart's CRDs applied first, a ShareGPT-style load, autoscaling checks on the workload the
   * chart's HPA scales, then cleanup (success: delete this run's resources; failure: GPU
   * workloads scaled to zero, VA/HPA/logs kept). Returns the result with diagnostics; gate on it
   * with `… diagnostics export --path d && jq -e .passed d/result.json` or `… check`.
   *
   * @param kubeconfig Kubeconfig of the cluster, as a secret (e.g. file://$KUBECONFIG); an empty or unusable one fails first.
   * @param image The pull request's controller image, repository:tag (already pushed).
   * @param namespace Namespace of the model server (llm-d); the chart's VA and HPA go there.
   * @param model Model the load asks for.
   * @param requestRate Requests per second of the load.
   * @param numPrompts Requests in total.
   * @param maxTokens max_tokens of each request.
   * @param skipCleanup Keep everything, whatever the outcome.
   * @param modelService The llm-d model service (Helm release), set as the chart's llmd.modelName; the Deployment scaled is read from the rendered chart (WVA's: `<modelService>-decode`).
   * @param targetUrl Completions URL of the load; the llm-d inference gateway of `namespace` by default.
   * @param requiredGpus GPUs that must be free to start.
   * @param recommendedGpus GPUs that should be free.
   * @param loadImage Image of the load workers (curl + sh).
   * @param helmSet Extra `--set key=value` for the chart (applied last).
   * @param prNumber Pull request number (e.g. ${{ github.event.pull_request.number }}); 0 for none. Every name the run creates carries it.
   * @param runId CI run id (e.g. $GITHUB_RUN_ID); names the run when there is no pull request number.
   */
  @func({ cache: "never" })
  async openshiftE2e(
    kubeconfig: Secret,
    image: string,
    namespace = "llm-d-inference-scheduling",
    model = "unsloth/Meta-Llama-3.1-8B",
    requestRate = 20,
    numPrompts = 3000,
    maxTokens = 400,
    skipCleanup = false,
    modelService = "ms-inference-scheduling-llm-d-modelservice",
    targetUrl = "",
    requiredGpus = 2,
    recommendedGpus = 3,
    loadImage = "quay.io/curl/curl:8.11.1",
    helmSet: string[] = [],
    prNumber = 0,
    runId = "",
  ): Promise<E2eResult> {
    const run = OpenShift.create({
      namespace, model, requestRate, numPrompts, maxTokens, modelService, targetUrl, prNumber, runId,
      toolsImage: this.kubectlImage, loadImage, requiredGpus, recommendedGpus, skipCleanup, helmSet,
    });
    return run.run(kubeconfig, image, (await this.chart()).directory);
  }

  /** The pull-request stages by name, in report order; `strict` adds the format stage and -race. */
  private stages(strict: boolean): [string, () => Promise<unknown>][] {
    const stages: [string, () => Promise<unknown>][] = [
      ["lint", () => this.lint()],
      // WVA's `make build`: manifests generate fmt vet, then go build
      ["build", () => this.buildStage()],
      ["test", () => this.test(strict)],
      ["image", () => this.image()],
      ["chart", () => this.helmLint()],
      ["e2e", () => this.e2e()],
    ];
    if (strict) stages.splice(1, 0, ["format", () => this.checkFormat()]);
    return stages;
  }

  /** vet, the drift check and the build at once; fails naming each part that failed. */
  private async buildStage(): Promise<void> {
    const parts = await runStages([
      ["vet", () => this.vet()],
      ["generated", () => this.checkGenerated()],
      ["go build", () => this.build()],
    ]);
    const failed = parts.filter((p) => !p.ok);
    if (failed.length) throw new Error(failed.map((p) => `${p.name}: ${p.error}`).join("\n\n"));
  }

  /** The versions this repository pins, resolved once per object (arguments win). */
  private pins(): Promise<RepoPins> {
    let p = pinsCache.get(this);
    if (!p) {
      p = this.readPins();
      pinsCache.set(this, p);
      p.catch(() => pinsCache.delete(this));
    }
    return p;
  }

  private async readPins(): Promise<RepoPins> {
    if (!(await this.source.exists("go.mod"))) {
      throw new Error("the source has no go.mod at its root; pass --source <a Go module> or --go-version");
    }
    const text = (path: string) => this.source.file(path).contents();
    const [goMod, makefile, workflowNames] = await Promise.all([
      text("go.mod"),
      this.source.exists("Makefile").then((e) => (e ? text("Makefile") : undefined)),
      this.source.exists(".github/workflows").then((e) => (e ? this.source.glob(".github/workflows/*.y*ml") : [])),
    ]);
    const workflows = Object.fromEntries(
      await Promise.all(workflowNames.map(async (n) => [n.replace(/^\/+/, ""), await text(n)] as const)),
    );
    return resolvePins(
      { goMod, makefile, workflows },
      {
        go: this.goVersion,
        golangciLint: this.golangciLintVersion,
        controllerGen: this.controllerGenVersion,
        setupEnvtest: this.envtestVersion,
        envtestKubernetes: this.envtestKubernetesVersion,
      },
    );
  }
}

/** Resolved pins per Wva object (not a field: fields are serialised between function calls). */
const pinsCache = new WeakMap<Wva, Promise<RepoPins>>();
