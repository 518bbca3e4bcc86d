import {
  CacheSharingMode,
  CacheVolume,
  Container,
  Directory,
  File,
  ReturnType,
  Service,
  dag,
  func,
  object,
} from "@dagger.io/dagger";
import { E2eResult } from "./e2e-result.js";
import { splitImageRef } from "./lib/autoscaling.js";
import {
  assertDnsLabel,
  assertGoDuration,
  commandsScript,
  diagnosticsScript,
  e2eTestScript,
  errorDetail,
  failureReason,
  firstLine,
  kindCreateScript,
  newRunId,
  kindLoadImageScript,
  nodeImageLoadScript,
} from "./lib/e2e-scripts.js";
import { emulatedGpus, nodePatchCommands } from "./lib/gpu.js";
import { kindConfigYaml, nodeNames, parseFeatureGates, rewriteKubeconfigServer } from "./lib/kind-config.js";

const DOCKER_PORT = 2375;
const KUBECONFIG = "/root/.kube/config";

/**
 * A Kind cluster with emulated GPUs, hermetic inside Dagger: a Docker daemon runs as a service
 * (no host Docker socket), Kind creates one control plane and the workers in it, and the nodes
 * get GPU labels and `<vendor>/gpu` capacity as the upstream Kind emulator does. `test` loads a
 * controller image, installs the chart with it and runs the repository's e2e tests.
 */
@object()
export class Kind {
  /** Kind cluster name (node containers are `<name>-control-plane`, `<name>-worker`, …). */
  @func()
  clusterName: string;

  /** Kind version, built from sigs.k8s.io/kind with `go install`. */
  @func()
  kindVersion: string;

  /** Node image of every node (pins the Kubernetes version). */
  @func()
  nodeImage: string;

  /** Docker-in-Docker image the Docker daemon service runs. */
  @func()
  dockerImage: string;

  /** Image with kubectl and helm the cluster is driven from. */
  @func()
  toolsImage: string;

  /** Go image that builds Kind and runs the e2e tests (use the repository's Go version). */
  @func()
  goImage: string;

  /** Worker nodes besides the control plane. */
  @func()
  workers: number;

  /** Emulated GPU layout: mix, nvidia-mix, amd-mix, nvidia or amd. */
  @func()
  gpuType: string;

  /** Emulated GPUs per node. */
  @func()
  gpusPerNode: number;

  /** Hostname the Docker daemon service (and so the API server) is bound under. */
  @func()
  alias: string;

  /** Port the API server is published on by the Docker daemon. */
  @func()
  apiServerPort: number;

  /** Kubernetes feature gates of every component, `Name=true|false` (WVA's setup enables HPAScaleToZero). */
  @func()
  featureGates: string[];

  kindBinary?: File;
  goModCache: CacheVolume;
  goBuildCache: CacheVolume;

  /**
   * @param clusterName Kind cluster name.
   * @param kindVersion Kind version (`go install sigs.k8s.io/kind@<version>`).
   * @param nodeImage Node image, pinned; it sets the Kubernetes version.
   * @param dockerImage Docker-in-Docker image of the Docker daemon service.
   * @param toolsImage Image with kubectl and helm.
   * @param goImage Go image that builds Kind and runs the e2e tests.
   * @param workers Worker nodes besides the one control plane.
   * @param gpuType Emulated GPU layout: mix, nvidia-mix, amd-mix, nvidia or amd.
   * @param gpusPerNode Emulated GPUs per node.
   * @param alias Hostname of the Docker daemon service, also in the API server certificate.
   * @param apiServerPort Port the API server is published on.
   * @param kindBinary A kind binary to use instead of building one (air-gapped users).
   * @param goModCache Go module cache for building Kind and the tests (default `wva-go-mod`).
   * @param goBuildCache Go build cache (default `wva-go-build-kind`).
   * @param featureGates Kubernetes feature gates of the cluster, `Name=true|false`.
   */
  constructor(
    clusterName = "wva-e2e",
    kindVersion = "v0.33.0",
    nodeImage = "kindest/node:v1.32.0",
    dockerImage = "docker:28.5.1-dind",
    toolsImage = "alpine/k8s:1.32.1",
    goImage = "golang:1.26",
    workers = 2,
    gpuType = "mix",
    gpusPerNode = 4,
    alias = "kind",
    apiServerPort = 6443,
    kindBinary?: File,
    goModCache?: CacheVolume,
    goBuildCache?: CacheVolume,
    featureGates: string[] = ["HPAScaleToZero=true"],
  ) {
    this.clusterName = clusterName;
    this.kindVersion = kindVersion;
    this.nodeImage = nodeImage;
    this.dockerImage = dockerImage;
    this.toolsImage = toolsImage;
    this.goImage = goImage;
    this.workers = workers;
    this.gpuType = gpuType;
    this.gpusPerNode = gpusPerNode;
    this.alias = alias;
    this.apiServerPort = apiServerPort;
    this.kindBinary = kindBinary;
    this.goModCache = goModCache ?? dag.cacheVolume("wva-go-mod");
    this.goBuildCache = goBuildCache ?? dag.cacheVolume("wva-go-build-kind");
    this.featureGates = featureGates;
  }

  /** The Kind cluster config (kind.x-k8s.io/v1alpha4): nodes, node image, API server address and certSANs, feature gates. */
  @func()
  config(): File {
    return dag.file(
      "kind-config.yaml",
      kindConfigYaml({
        nodeImage: this.nodeImage,
        workers: this.workers,
        alias: this.alias,
        apiServerPort: this.apiServerPort,
        featureGates: parseFeatureGates(this.featureGates),
      }),
    );
  }

  /**
   * The Docker daemon the cluster's nodes run in, as a service: Docker API on tcp/2375 (no TLS),
   * and once `kubeconfig` or `test` created the cluster, the Kubernetes API on `apiServerPort`.
   */
  @func()
  cluster(): Service {
    return dag
      .container()
      .from(this.dockerImage)
      .withEnvVariable("DOCKER_TLS_CERTDIR", "")
      .withMountedCache("/var/lib/docker", dag.cacheVolume(`wva-kind-docker-${this.clusterName}`), {
        sharing: CacheSharingMode.Private,
      })
      .withExposedPort(DOCKER_PORT)
      .asService({
        args: ["dockerd", `--host=tcp://0.0.0.0:${DOCKER_PORT}`, "--host=unix:///var/run/docker.sock", "--tls=false"],
        useEntrypoint: true,
        insecureRootCapabilities: true,
      });
  }

  /** The kind binary: the one given, or built with `go install sigs.k8s.io/kind@<kindVersion>`. */
  @func()
  binary(): File {
    if (this.kindBinary) return this.kindBinary;
    return dag
      .container()
      .from(this.goImage)
      .withMountedCache("/go/pkg/mod", this.goModCache)
      .withMountedCache("/root/.cache/go-build", this.goBuildCache)
      .withEnvVariable("CGO_ENABLED", "0")
      .withExec(["go", "install", `sigs.k8s.io/kind@${this.kindVersion}`])
      .file("/go/bin/kind");
  }

  /** A container with kind, kubectl, helm and the docker CLI, bound to the Docker daemon service. */
  @func()
  container(): Container {
    return dag
      .container()
      .from(this.toolsImage)
      .withFile("/usr/local/bin/docker", dag.container().from(this.dockerImage).file("/usr/local/bin/docker"))
      .withFile("/usr/local/bin/kind", this.binary())
      .withServiceBinding(this.alias, this.cluster())
      .withEnvVariable("DOCKER_HOST", `tcp://${this.alias}:${DOCKER_PORT}`);
  }

  /**
   * Creates the cluster (with emulated GPUs) and returns its kubeconfig, whose server is
   * `https://<alias>:<apiServerPort>`: usable from a container that binds `cluster()` under `alias`
   * in the same session.
   */
  @func({ cache: "never" })
  async kubeconfig(): Promise<File> {
    const { kubeconfig } = await this.up(newRunId());
    return dag.file("kubeconfig", kubeconfig);
  }

  /**
   * Runs the e2e: creates the cluster with emulated GPUs, loads `image` into the nodes, installs
   * the chart with it (and waits), then runs `go test <packages> -timeout <timeout>` from
   * `source` with KUBECONFIG set and the controller port-forwarded at WVA_E2E_URL. Never throws
   * for a failing step or test: the result says what failed and carries the diagnostics.
   *
   * @param image The controller image to test (loaded from its tarball, never pushed).
   * @param chart The controller's Helm chart directory.
   * @param source The repository whose e2e tests run (a Go module).
   * @param timeout go test -timeout.
   * @param packages Go packages of the e2e tests.
   * @param namespace Namespace the chart is installed in.
   * @param release Helm release name.
   * @param imageRef Name the image gets inside the cluster (repository:tag, never pulled).
   * @param helmSet Extra `--set key=value` for the chart.
   * @param controllerSelector Label selector of the controller's pod (port-forwarded for the tests).
   * @param controllerPort Port of the controller's /healthz (the chart's `wva.healthProbePort`).
   * @param installTimeout How long `helm --wait` waits for the chart's workloads (Go duration).
   */
  @func({ cache: "never" })
  async test(
    image: Container,
    chart: Directory,
    source: Directory,
    timeout = "30m",
    packages: string[] = ["./test/e2e/..."],
    namespace = "workload-variant-autoscaler-system",
    release = "wva",
    imageRef = "localhost/workload-variant-autoscaler:e2e",
    helmSet: string[] = [],
    controllerSelector = "control-plane=controller-manager",
    controllerPort = 8081,
    installTimeout = "5m",
  ): Promise<E2eResult> {
    // Validate everything before the first side effect.
    assertGoDuration(timeout);
    assertGoDuration(installTimeout, "install timeout");
    assertDnsLabel(namespace, "namespace");
    assertDnsLabel(release, "release name");
    const { repository, tag } = splitImageRef(imageRef);
    for (const s of helmSet) if (!/^[^=\s]+=/.test(s)) throw new Error(`--helm-set ${JSON.stringify(s)} must be key=value`);
    if (packages.length === 0) throw new Error("no e2e test packages given");

    parseFeatureGates(this.featureGates);
    const id = newRunId();
    const log: string[] = [
      `kind e2e run ${id}: cluster ${this.clusterName}, ${this.workers + 1} nodes (${this.nodeImage}), GPUs ${this.gpuType} x${this.gpusPerNode}` +
        (this.featureGates.length ? `, feature gates ${this.featureGates.join(",")}` : ""),
    ];
    let ready: Container | undefined;
    let step = "create the cluster";
    let passed = false;
    let summary = "";
    try {
      let since = Date.now();
      /** seconds since the last step ended, and restart the count */
      const took = () => {
        const s = Math.round((Date.now() - since) / 1000);
        since = Date.now();
        return `${s}s`;
      };
      const up = await this.up(id, (line) => log.push(line), (s) => {
        step = s;
        if (s === "create the cluster") took();
      });
      ready = up.container;
      log.push(`✔ cluster created in ${took()}; GPUs: ${up.gpus}`);

      step = "load the controller image";
      await ready
        .withMountedFile("/images/wva.tar", image.asTarball())
        .withExec(["sh", "-c", kindLoadImageScript({ cluster: this.clusterName, tarball: "/images/wva.tar", ref: imageRef })])
        .sync();
      log.push(`✔ image loaded into the nodes as ${imageRef} in ${took()}`);

      step = "install the chart";
      const helm = [
        "helm", "upgrade", "--install", release, "/chart",
        "--namespace", namespace, "--create-namespace",
        "--set", `wva.image.repository=${repository}`,
        "--set", `wva.image.tag=${tag}`,
        "--set", "wva.imagePullPolicy=IfNotPresent",
        ...helmSet.flatMap((s) => ["--set", s]),
        "--wait", "--timeout", installTimeout,
      ];
      const installed = await ready.withMountedDirectory("/chart", chart).withExec(helm).stdout();
      log.push(`✔ chart installed in ${took()}: ${helm.join(" ")}`, installed.trim());

      step = "run the e2e tests";
      const goTest = ["go", "test", ...packages, "-timeout", timeout, "-count=1", "-v"];
      const tests = this.goTestContainer(id, up.kubeconfig, source, namespace).withExec(
        [
          "bash", "-c",
          e2eTestScript({ namespace, selector: controllerSelector, port: controllerPort, localPort: 18080, goTest, outputFile: "/tmp/go-test.txt" }),
        ],
        { expect: ReturnType.Any },
      );
      const code = await tests.exitCode();
      const output = (await tests.stdout()) + (await tests.stderr());
      log.push(`$ ${goTest.join(" ")}`, output.trimEnd(), `(tests ran in ${took()})`);
      passed = code === 0;
      summary = passed ? `e2e tests passed (${goTest.join(" ")})` : `e2e tests failed (exit ${code})`;
    } catch (e) {
      summary = `could not ${step}: ${failureReason(e)}`;
      log.push(`✘ ${step}:`, errorDetail(e));
    }

    let diagnostics: Directory | undefined;
    // Without a kubeconfig (the cluster never came up) kind's own logs of the nodes it kept are what is left.
    const diagnosing = ready ?? this.container().withEnvVariable("WVA_E2E_RUN", id);
    try {
      diagnostics = await diagnosing
        .withExec(["sh", "-c", diagnosticsScript({ namespaces: [namespace, "kube-system"], outDir: "/diagnostics", kindCluster: this.clusterName })])
        .directory("/diagnostics")
        .sync();
    } catch (e) {
      log.push(`(diagnostics could not be collected: ${firstLine(e)})`);
    }
    try {
      await this.cluster().stop();
    } catch {
      // the session ends it anyway
    }
    log.push(passed ? "✔ passed" : `✘ ${summary}`);
    return new E2eResult("kind", passed, summary, log.join("\n") + "\n", diagnostics);
  }

  /**
   * Starts the Docker daemon, creates the cluster, gives its nodes emulated GPUs, and returns a
   * tools container whose kubectl talks to it. The run id keeps Dagger from reusing cached
   * results of a previous run (its cluster is gone).
   */
  private async up(
    id: string,
    log: (line: string) => void = () => {},
    stepping: (step: string) => void = () => {},
  ): Promise<{ container: Container; kubeconfig: string; gpus: string }> {
    // Started explicitly, the daemon (and the cluster in it) stays up between the steps' execs.
    await this.cluster().start();
    const base = this.container().withEnvVariable("WVA_E2E_RUN", id);
    stepping("load the node image");
    log(`✔ node image ${this.nodeImage}: ${await this.loadNodeImage(base)}`);
    stepping("create the cluster");
    const created = base
      .withMountedFile("/kind/config.yaml", this.config())
      .withExec(["sh", "-c", kindCreateScript({
        cluster: this.clusterName,
        configPath: "/kind/config.yaml",
        kubeconfigPath: "/kind/kubeconfig",
        wait: "5m",
        server: `https://${this.alias}:${this.apiServerPort}`,
      })]);
    const kubeconfig = rewriteKubeconfigServer(
      await created.file("/kind/kubeconfig").contents(),
      `https://${this.alias}:${this.apiServerPort}`,
    );
    const ready = base.withNewFile(KUBECONFIG, kubeconfig, { permissions: 0o600 }).withEnvVariable("KUBECONFIG", KUBECONFIG);
    const nodes = nodeNames(await ready.withExec(["kubectl", "get", "nodes", "-o", "json"]).stdout());
    const plan = emulatedGpus(nodes, this.gpuType, this.gpusPerNode);
    const patched = ready.withExec([
      "sh", "-c",
      commandsScript(nodePatchCommands(plan)) + "\nkubectl taint nodes --all node-role.kubernetes.io/control-plane- >/dev/null 2>&1 || true",
    ]);
    await patched.sync();
    return { container: patched, kubeconfig, gpus: plan.map((p) => `${p.node}=${p.labels["gpu-config"]}`).join(", ") };
  }

  /**
   * Puts the node image into the Docker daemon from the engine (which pulls it, through its
   * registry mirrors where it has them), so kind never pulls: the daemon's storage is a cache
   * volume, so this happens once per daemon. Returns what happened.
   */
  private async loadNodeImage(tools: Container): Promise<string> {
    const present = await tools.withExec(["sh", "-c", nodeImageLoadScript({ ref: this.nodeImage })]).stdout();
    if (present.trim() === "present") return "already in the Docker daemon";
    const started = Date.now();
    await tools
      .withMountedFile("/images/node.tar", dag.container().from(this.nodeImage).asTarball())
      .withExec(["sh", "-c", nodeImageLoadScript({ ref: this.nodeImage, tarball: "/images/node.tar" })])
      .sync();
    return `loaded into the Docker daemon from the engine (docker load, ${Math.round((Date.now() - started) / 1000)}s)`;
  }

  /** Go container for the tests: caches, source at /src, kubectl, the cluster's kubeconfig and the env the suite reads. */
  private goTestContainer(id: string, kubeconfig: string, source: Directory, namespace: string): Container {
    const kubectl = dag
      .container()
      .from(this.toolsImage)
      .withExec(["sh", "-c", 'cp "$(command -v kubectl)" /kubectl'])
      .file("/kubectl");
    return dag
      .container()
      .from(this.goImage)
      .withMountedCache("/go/pkg/mod", this.goModCache)
      .withMountedCache("/root/.cache/go-build", this.goBuildCache)
      .withFile("/usr/local/bin/kubectl", kubectl)
      .withServiceBinding(this.alias, this.cluster())
      .withNewFile(KUBECONFIG, kubeconfig, { permissions: 0o600 })
      .withEnvVariable("KUBECONFIG", KUBECONFIG)
      .withEnvVariable("WVA_E2E_RUN", id)
      .withEnvVariable("ENVIRONMENT", "kind-emulator")
      .withEnvVariable("USE_SIMULATOR", "true")
      .withEnvVariable("GPU_TYPE", this.gpuType)
      .withEnvVariable("WVA_NAMESPACE", namespace)
      .withEnvVariable("CONTROLLER_NAMESPACE", namespace)
      .withEnvVariable("DELETE_CLUSTER", "false")
      .withDirectory("/src", source)
      .withWorkdir("/src");
  }
}
