import { CacheSharingMode, CacheVolume, Container, Directory, File, ReturnType, dag, func, object } from "@dagger.io/dagger";
import { E2eResult } from "./e2e-result.js";
import { assertGoDuration, errorDetail, failureReason, shellJoin } from "./lib/e2e-scripts.js";
import { goDurationSeconds, makeCommand, makeFailureReason, parseEnv, repoE2eDefaultEnv, runnerScript, stripAnsi } from "./lib/repo-e2e.js";

const OUT = "/e2e-out";

/**
 * The repository's own e2e, hermetic: its Makefile target (WVA: `make test-e2e-smoke-with-setup`)
 * runs in a container with a Docker daemon of its own (kind's kubeconfig on 127.0.0.1 works, no
 * host Docker socket) and the tools WVA's scripts call, each pinned: docker, kind, kubectl, helm,
 * yq, make, go, python3, git, curl, openssl, jq. The kind node image and the controller image
 * (under the `IMG` the target is given, with `SKIP_BUILD=true`) are put into that daemon from the
 * engine before make runs. The result carries make's output and diagnostics.
 */
@object()
export class E2eRunner {
  /** The make target that runs the e2e. */
  @func()
  target: string;

  /** Extra environment for make, `KEY=VALUE` (on top of what WVA's CI sets). */
  @func()
  env: string[];

  /** Ginkgo focus (make FOCUS=…). */
  @func()
  focus: string;

  /** Ginkgo skip (make SKIP=…). */
  @func()
  skip: string;

  /** Ginkgo label filter, overriding the target's own (through $(FOCUS_ARGS)). */
  @func()
  labelFilter: string;

  /** Name the controller image gets in the runner's Docker daemon: make's IMG. */
  @func()
  imageRef: string;

  /** Kind node image, put into the daemon under this name (the repository's kind configs use it). */
  @func()
  nodeImage: string;

  /** Docker-in-Docker image the runner is built on (its dockerd and docker CLI). */
  @func()
  dockerImage: string;

  /** Image kubectl and helm are taken from. */
  @func()
  kubectlImage: string;

  /** Go image: the runner's Go toolchain, and where yq is built. */
  @func()
  goImage: string;

  /** yq version (`go install github.com/mikefarah/yq/v4@<version>`). */
  @func()
  yqVersion: string;

  /** How long make may run (Go duration). */
  @func()
  timeout: string;

  /** Namespaces whose resources, events and pod logs the diagnostics collect. */
  @func()
  namespaces: string[];

  kindBinary: File;
  goModCache: CacheVolume;

  /**
   * @param target The make target that runs the e2e.
   * @param kindBinary The kind binary (the module's Kind.binary()).
   * @param env Extra environment for make, `KEY=VALUE`.
   * @param focus Ginkgo focus (make FOCUS=…).
   * @param skip Ginkgo skip (make SKIP=…).
   * @param labelFilter Ginkgo label filter, overriding the target's own.
   * @param imageRef make's IMG: the controller image's name in the runner's Docker daemon.
   * @param nodeImage Kind node image, under the name the repository's kind configs use.
   * @param dockerImage Docker-in-Docker image the runner is built on.
   * @param kubectlImage Image with kubectl and helm.
   * @param goImage Go image (toolchain, and the yq build).
   * @param yqVersion yq version.
   * @param timeout How long make may run.
   * @param namespaces Namespaces the diagnostics cover.
   * @param goModCache Go module cache.
   */
  constructor(
    target: string,
    kindBinary: File,
    env: string[] = [],
    focus = "",
    skip = "",
    labelFilter = "",
    imageRef = "localhost/workload-variant-autoscaler:e2e",
    nodeImage = "kindest/node:v1.32.0",
    dockerImage = "docker:28.5.1-dind",
    kubectlImage = "alpine/k8s:1.32.1",
    goImage = "golang:1.26",
    yqVersion = "v4.45.4",
    timeout = "60m",
    namespaces: string[] = ["workload-variant-autoscaler-system", "workload-variant-autoscaler-monitoring", "llm-d-sim", "kube-system"],
    goModCache?: CacheVolume,
  ) {
    this.target = target;
    this.kindBinary = kindBinary;
    this.env = env;
    this.focus = focus;
    this.skip = skip;
    this.labelFilter = labelFilter;
    this.imageRef = imageRef;
    this.nodeImage = nodeImage;
    this.dockerImage = dockerImage;
    this.kubectlImage = kubectlImage;
    this.goImage = goImage;
    this.yqVersion = yqVersion;
    this.timeout = timeout;
    this.namespaces = namespaces;
    this.goModCache = goModCache ?? dag.cacheVolume("wva-go-mod");
  }

  /**
   * The runner: the Docker-in-Docker image with make, git, python3, curl, openssl, jq and bash
   * from its distribution (apk on docker:dind's Alpine, apt-get on a Debian one), the Go toolchain
   * of `goImage`, kind, kubectl, helm and yq; Go caches mounted, the Docker daemon's storage on a
   * cache volume of its own.
   */
  @func()
  container(): Container {
    const fromImage = (image: string, tool: string) =>
      dag.container().from(image).withExec(["sh", "-c", `cp "$(command -v ${tool})" /${tool}`]).file(`/${tool}`);
    const yq = dag
      .container()
      .from(this.goImage)
      .withMountedCache("/go/pkg/mod", this.goModCache)
      .withEnvVariable("CGO_ENABLED", "0")
      .withEnvVariable("GOBIN", "/out")
      .withExec(["go", "install", `github.com/mikefarah/yq/v4@${this.yqVersion}`])
      .file("/out/yq");
    return dag
      .container()
      .from(this.dockerImage)
      .withExec(["sh", "-c", RUNNER_PACKAGES])
      .withDirectory("/usr/local/go", dag.container().from(this.goImage).directory("/usr/local/go"))
      .withFile("/usr/local/bin/kind", this.kindBinary)
      .withFile("/usr/local/bin/kubectl", fromImage(this.kubectlImage, "kubectl"))
      .withFile("/usr/local/bin/helm", fromImage(this.kubectlImage, "helm"))
      .withFile("/usr/local/bin/yq", yq)
      .withEnvVariable("GOPATH", "/root/go")
      .withEnvVariable("GOTOOLCHAIN", "auto")
      .withEnvVariable("PATH", "/root/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
      .withEnvVariable("DOCKER_TLS_CERTDIR", "")
      .withoutEnvVariable("DOCKER_HOST")
      .withMountedCache("/root/go/pkg/mod", this.goModCache)
      .withMountedCache("/root/.cache/go-build", dag.cacheVolume("wva-go-build-e2e-runner"))
      .withMountedCache("/var/lib/docker", dag.cacheVolume("wva-e2e-runner-docker"), { sharing: CacheSharingMode.Private });
  }

  /**
   * Runs the repository's e2e target in the runner on `source`, with `image` as the controller
   * image (IMG). Never throws for a failing run: the result says which make target failed and
   * why (the scripts' own error line), and carries make's output and the diagnostics (kind export
   * logs of every cluster, docker state, events, resources and pod logs).
   *
   * @param image The controller image (the one built from the repository's Dockerfile).
   * @param source The repository.
   */
  @func({ cache: "never" })
  async run(image: Container, source: Directory): Promise<E2eResult> {
    assertGoDuration(this.timeout);
    const makefile = (await source.exists("Makefile")) ? await source.file("Makefile").contents() : "";
    const make = makeCommand(makefile, this.target, { focus: this.focus, skip: this.skip, labelFilter: this.labelFilter });
    const env = { ...repoE2eDefaultEnv(this.imageRef), ...parseEnv(this.env) };
    const log = [
      `e2e runner: ${shellJoin(make)} in ${this.dockerImage} (own Docker daemon), IMG=${this.imageRef}, node image ${this.nodeImage}`,
      `environment: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}`,
    ];
    const script = runnerScript({
      make,
      env,
      nodeImage: this.nodeImage,
      nodeTarball: "/images/node.tar",
      img: this.imageRef,
      imgTarball: "/images/controller.tar",
      namespaces: this.namespaces,
      timeoutSeconds: goDurationSeconds(this.timeout),
      outDir: OUT,
    });
    let passed = false;
    let summary: string;
    let diagnostics: Directory | undefined;
    try {
      const ran = await this.container()
        .withMountedFile("/images/node.tar", dag.container().from(this.nodeImage).asTarball())
        .withMountedFile("/images/controller.tar", image.asTarball())
        .withDirectory("/src", source)
        .withWorkdir("/src")
        .withEnvVariable("WVA_E2E_RUN", `${Date.now()}`)
        .withExec(["bash", "-c", script], { insecureRootCapabilities: true, expect: ReturnType.Any })
        .sync();
      const [code, makeLog, stdout, stderr] = await Promise.all([
        ran.file(`${OUT}/exit-code`).contents(),
        ran.file(`${OUT}/make.log`).contents().catch(() => ""),
        ran.stdout(),
        ran.stderr(),
      ]);
      diagnostics = ran.directory(`${OUT}/diagnostics`).withNewFile("make.log", makeLog);
      const exit = Number(code.trim());
      passed = exit === 0;
      log.push(stripAnsi(stdout).trimEnd(), stderr.trim() ? stripAnsi(stderr).trimEnd() : "");
      if (passed) summary = `${shellJoin(make)} passed`;
      else if (exit === 125) summary = `the runner could not start make: ${stderr.trim().split("\n").at(-1) ?? "see the log"}`;
      else {
        const why = makeFailureReason(makeLog);
        summary = `${shellJoin(make)} failed (exit ${exit})${why.target ? ` in ${why.target}` : ""}${why.error ? `: ${why.error}` : ""}`;
      }
    } catch (e) {
      summary = `the e2e runner failed: ${failureReason(e)}`;
      log.push(errorDetail(e));
    }
    log.push(passed ? "✔ passed" : `✘ ${summary}`);
    return new E2eResult("kind", passed, summary, log.filter(Boolean).join("\n") + "\n", diagnostics);
  }
}

/**
 * What the runner installs from its image's distribution: apk on docker:dind (Alpine), apt-get on
 * a Debian-based Docker-in-Docker image. What WVA's scripts call besides the pinned binaries.
 */
const RUNNER_PACKAGES = [
  "set -e",
  "if command -v apk >/dev/null; then",
  "  apk add --no-cache bash make git python3 py3-pip curl openssl jq coreutils ca-certificates",
  "elif command -v apt-get >/dev/null; then",
  "  apt-get update -qq",
  "  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bash make git python3 python3-pip python3-venv curl openssl jq ca-certificates >/dev/null",
  "  rm -rf /var/lib/apt/lists/*",
  "else",
  '  echo "the Docker-in-Docker image has neither apk nor apt-get" >&2; exit 1',
  "fi",
].join("\n");
