import {
  Container,
  Directory,
  Secret,
  dag,
  func,
  object,
} from "@dagger.io/dagger";
import { E2eResult } from "./e2e-result.js";
import {
  hpaState,
  jobState,
  maxVaDesiredReplicas,
  readyReplicas,
  specReplicas,
  splitImageRef,
} from "./lib/autoscaling.js";
import { cleanupPlan, describePlan, resourcesFromList, type Outcome } from "./lib/cleanup.js";
import { assertDnsLabel, diagnosticsScript, errorDetail, failureReason, firstLine, newRunId } from "./lib/e2e-scripts.js";
import { gpuAvailability, gpuPreflight } from "./lib/gpu.js";
import { loadManifestsYaml, validateLoad, type LoadJobOptions } from "./lib/load-job.js";

const KUBECONFIG = "/run/secrets/kubeconfig";
/** Label on everything the run applies itself (the load ConfigMap and Job). */
export const RUN_LABEL = "wva.llm-d.ai/e2e-run";

/**
 * The e2e run on a real OpenShift cluster with GPUs: GPU preflight, the controller deployed from
 * the chart with the pull request's image, a ShareGPT-style load against the model server, checks
 * that metrics flow and autoscaling happens, then cleanup that never leaves GPUs held by a
 * failed run (GPU workloads scaled to zero; VariantAutoscaling, HPA and logs kept).
 */
@object()
export class OpenShift {
  /** Namespace of the model server (llm-d) the load is sent to and the VA/HPA live in. */
  @func()
  namespace: string;

  /** Model the server serves and the load asks for. */
  @func()
  model: string;

  /** Requests per second of the load. */
  @func()
  requestRate: number;

  /** Requests the load sends in total. */
  @func()
  numPrompts: number;

  /** max_tokens of each request. */
  @func()
  maxTokens: number;

  /** The model server's Deployment, which the HPA scales. */
  @func()
  deployment: string;

  /** OpenAI-compatible completions URL the load targets (the inference gateway by default). */
  @func()
  targetUrl: string;

  /** Namespace the controller is installed in. */
  @func()
  controllerNamespace: string;

  /** Helm release name of the controller. */
  @func()
  release: string;

  /** Image with kubectl and helm (oc optional) the run drives the cluster from. */
  @func()
  toolsImage: string;

  /** Image of the load workers (curl and a POSIX shell). */
  @func()
  loadImage: string;

  /** Parallel load worker pods. */
  @func()
  workers: number;

  /** GPUs that must be free for the run to start. */
  @func()
  requiredGpus: number;

  /** GPUs that should be free for scale-up to succeed (fewer gives a warning). */
  @func()
  recommendedGpus: number;

  /** Extended resource counted as GPUs. */
  @func()
  gpuResource: string;

  /** Seconds allowed for each autoscaling check (VA, HPA, ready replicas). */
  @func()
  scaleTimeoutSeconds: number;

  /** Seconds allowed for the load Job to finish. */
  @func()
  jobTimeoutSeconds: number;

  /** Seconds between two polls of the cluster. */
  @func()
  pollIntervalSeconds: number;

  /** Keep everything the run created or changed, whatever the outcome. */
  @func()
  skipCleanup: boolean;

  /** Extra `--set key=value` for the chart. */
  @func()
  helmSet: string[];

  /**
   * @param namespace Namespace of the model server, the VA and the HPA.
   * @param model Model the load asks for.
   * @param requestRate Requests per second of the load.
   * @param numPrompts Requests in total.
   * @param maxTokens max_tokens of each request.
   * @param deployment The model server's Deployment.
   * @param targetUrl Completions URL the load targets; the llm-d inference gateway of `namespace` by default.
   * @param controllerNamespace Namespace of the controller.
   * @param release Helm release name of the controller.
   * @param toolsImage Image with kubectl and helm.
   * @param loadImage Image of the load workers.
   * @param workers Parallel load worker pods.
   * @param requiredGpus GPUs that must be free to start.
   * @param recommendedGpus GPUs that should be free.
   * @param gpuResource Extended resource counted as GPUs.
   * @param scaleTimeoutSeconds Seconds allowed for each autoscaling check.
   * @param jobTimeoutSeconds Seconds allowed for the load Job.
   * @param pollIntervalSeconds Seconds between polls.
   * @param skipCleanup Keep everything, whatever the outcome.
   * @param helmSet Extra `--set key=value` for the chart.
   */
  constructor(
    namespace = "llm-d-inference-scheduling",
    model = "unsloth/Meta-Llama-3.1-8B",
    requestRate = 20,
    numPrompts = 3000,
    maxTokens = 400,
    deployment = "ms-inference-scheduling-llm-d-modelservice-decode",
    targetUrl = "",
    controllerNamespace = "workload-variant-autoscaler-system",
    release = "wva-e2e",
    toolsImage = "alpine/k8s:1.32.1",
    loadImage = "quay.io/curl/curl:8.11.1",
    workers = 10,
    requiredGpus = 2,
    recommendedGpus = 3,
    gpuResource = "nvidia.com/gpu",
    scaleTimeoutSeconds = 600,
    jobTimeoutSeconds = 1800,
    pollIntervalSeconds = 10,
    skipCleanup = false,
    helmSet: string[] = [],
  ) {
    this.namespace = namespace;
    this.model = model;
    this.requestRate = requestRate;
    this.numPrompts = numPrompts;
    this.maxTokens = maxTokens;
    this.deployment = deployment;
    this.targetUrl =
      targetUrl || `http://infra-inference-scheduling-inference-gateway-istio.${namespace}.svc.cluster.local/v1/completions`;
    this.controllerNamespace = controllerNamespace;
    this.release = release;
    this.toolsImage = toolsImage;
    this.loadImage = loadImage;
    this.workers = workers;
    this.requiredGpus = requiredGpus;
    this.recommendedGpus = recommendedGpus;
    this.gpuResource = gpuResource;
    this.scaleTimeoutSeconds = scaleTimeoutSeconds;
    this.jobTimeoutSeconds = jobTimeoutSeconds;
    this.pollIntervalSeconds = pollIntervalSeconds;
    this.skipCleanup = skipCleanup;
    this.helmSet = helmSet;
  }

  /**
   * Runs the GPU e2e against the cluster of `kubeconfig` (mounted as a secret file, never
   * printed) and returns its result with diagnostics; never throws for a failed step.
   * Success: deletes this run's resources and restores the model server's replicas.
   * Failure: scales the GPU workloads to zero and keeps VA, HPA, controller and logs.
   *
   * @param kubeconfig Kubeconfig of the OpenShift cluster (e.g. `file://$HOME/.kube/config`).
   * @param image The pull request's controller image, `repository:tag` (pushed beforehand).
   * @param chart The controller's Helm chart directory.
   */
  @func({ cache: "never" })
  async run(kubeconfig: Secret, image: string, chart: Directory): Promise<E2eResult> {
    const { repository, tag } = splitImageRef(image);
    const id = newRunId();
    const load = this.loadOptions(id);
    this.validate(load);

    const log: string[] = [
      `openshift e2e run ${id}: model ${this.model} in ${this.namespace}, ${this.requestRate} req/s, ${this.numPrompts} prompts, ${this.maxTokens} max tokens, image ${image}`,
    ];
    const tools = this.tools(kubeconfig, id);
    let step = "GPU preflight";
    let outcome: Outcome = "failure";
    let summary = "";
    let deployed = false;
    let initialReplicas: number | undefined;
    try {
      const nodes = JSON.parse(await this.kubectl(tools, ["get", "nodes", "-o", "json"]));
      const pods = JSON.parse(await this.kubectl(tools, ["get", "pods", "-A", "-o", "json"]));
      const preflight = gpuPreflight(gpuAvailability(nodes, pods, this.gpuResource), this.requiredGpus, this.recommendedGpus);
      log.push(preflight.message);
      if (!preflight.ok) {
        // Nothing was deployed: nothing to clean up, and the message says everything.
        log.push(`✘ ${firstLine(preflight.message)}`);
        return new E2eResult("openshift", false, firstLine(preflight.message), log.join("\n") + "\n");
      }

      step = "read the model server";
      const before = JSON.parse(await this.kubectl(tools, ["get", "deployment", this.deployment, "-n", this.namespace, "-o", "json"]));
      initialReplicas = specReplicas(before);
      if (initialReplicas === 0) {
        // A failed run scaled it to zero; start from one replica like a fresh install.
        await this.kubectl(tools, ["scale", `deployment/${this.deployment}`, "-n", this.namespace, "--replicas=1"]);
        log.push(`model server ${this.deployment} was at 0 replicas (left by a failed run); scaled to 1`);
        initialReplicas = 1;
      }
      log.push(`model server ${this.namespace}/${this.deployment}: ${initialReplicas} replica(s), ${readyReplicas(before)} ready`);

      step = "deploy the controller";
      deployed = true;
      const helm = [
        "helm", "upgrade", "--install", this.release, "/chart",
        "--namespace", this.controllerNamespace, "--create-namespace",
        "--set", `wva.image.repository=${repository}`,
        "--set", `wva.image.tag=${tag}`,
        "--set", `llmd.namespace=${this.namespace}`,
        "--set", `llmd.modelName=${this.deployment}`,
        "--set", `llmd.modelID=${this.model}`,
        "--set", "va.enabled=true",
        "--set", "hpa.enabled=true",
        ...this.helmSet.flatMap((s) => ["--set", s]),
        "--wait", "--timeout", "10m",
      ];
      await this.exec(tools.withMountedDirectory("/chart", chart), helm);
      log.push(`✔ controller deployed: ${helm.join(" ")}`);

      step = "start the load";
      await this.exec(tools.withNewFile("/run/load.yaml", loadManifestsYaml(load)), ["kubectl", "apply", "-f", "/run/load.yaml"]);
      log.push(`✔ load Job ${load.name}: ${load.workers} workers → ${load.targetUrl}`);

      step = "wait for the VariantAutoscaling to recommend ≥ 2 replicas";
      const va = await this.poll("VariantAutoscaling", this.scaleTimeoutSeconds, async (n) => {
        const v = maxVaDesiredReplicas(JSON.parse(await this.kubectl(tools, ["get", "variantautoscalings.llmd.ai", "-n", this.namespace, "-o", "json"], n)));
        return { done: (v ?? 0) >= 2, state: `recommends ${v ?? "nothing yet"}` };
      });
      log.push(`✔ VariantAutoscaling ${va}`);

      step = "wait for the HPA to read its metric and scale to ≥ 2";
      const hpa = await this.poll("HPA", this.scaleTimeoutSeconds, async (n) => {
        const h = hpaState(JSON.parse(await this.kubectl(tools, ["get", "hpa", "-n", this.namespace, "-o", "json"], n)), this.deployment);
        if (!h) return { done: false, state: `no HPA targets ${this.deployment}` };
        return {
          done: h.metricsFlowing && h.desired >= 2,
          state: `${h.name}: desired ${h.desired}, current ${h.current}, metrics ${h.metrics.join(",") || "none"}${h.problem ? `; ${h.problem}` : ""}`,
        };
      });
      log.push(`✔ HPA ${hpa}`);

      step = "wait for ≥ 2 ready replicas";
      const ready = await this.poll("ready replicas", this.scaleTimeoutSeconds, async (n) => {
        const r = readyReplicas(JSON.parse(await this.kubectl(tools, ["get", "deployment", this.deployment, "-n", this.namespace, "-o", "json"], n)));
        return { done: r >= 2, state: `${r} ready replica(s)` };
      });
      log.push(`✔ ${this.deployment}: ${ready}`);

      step = "wait for the load Job";
      const job = await this.poll("load Job", this.jobTimeoutSeconds, async (n) => {
        const j = jobState(JSON.parse(await this.kubectl(tools, ["get", "job", load.name, "-n", this.namespace, "-o", "json"], n)));
        if (j.state === "failed") throw new Error(`load Job failed: ${j.detail}`);
        return { done: j.state === "complete", state: j.detail };
      }, false);
      log.push(`✔ load Job complete: ${job}`);

      outcome = "success";
      summary = `autoscaling validated: VA ${va}, HPA ${hpa}, ${ready}`;
    } catch (e) {
      summary = `could not ${step}: ${failureReason(e)}`;
      log.push(`✘ ${step}:`, errorDetail(e));
    }

    let diagnostics: Directory | undefined;
    if (deployed) {
      try {
        diagnostics = await tools
          .withEnvVariable("WVA_E2E_STEP", "diagnostics")
          .withExec(["sh", "-c", diagnosticsScript({ namespaces: [this.namespace, this.controllerNamespace], outDir: "/diagnostics" })])
          .directory("/diagnostics")
          .sync();
      } catch (e) {
        log.push(`(diagnostics could not be collected: ${firstLine(e)})`);
      }
      const cleanupErrors = await this.cleanup(tools, outcome, id, initialReplicas, log);
      if (cleanupErrors && outcome === "success") {
        outcome = "failure";
        summary = `run passed but cleanup failed: ${cleanupErrors}`;
      }
    }
    const passed = outcome === "success";
    log.push(passed ? `✔ ${summary}` : `✘ ${summary}`);
    return new E2eResult("openshift", passed, summary, log.join("\n") + "\n", diagnostics);
  }

  /** Plans and runs the cleanup for `outcome`; returns the failures (empty when all steps ran). */
  private async cleanup(tools: Container, outcome: Outcome, id: string, initialReplicas: number | undefined, log: string[]): Promise<string> {
    let list: { items?: unknown[] };
    try {
      list = JSON.parse(
        await this.kubectl(
          tools.withEnvVariable("WVA_E2E_STEP", "cleanup-list"),
          ["get", "deployments.apps,statefulsets.apps,horizontalpodautoscalers.autoscaling,variantautoscalings.llmd.ai,jobs.batch,configmaps", "-n", this.namespace, "-o", "json"],
        ),
      );
    } catch (e) {
      log.push(`✘ cleanup: could not list resources: ${firstLine(e)}`);
      return "could not list resources";
    }
    const target = `Deployment/${this.deployment}`;
    const resources = resourcesFromList(
      list as Parameters<typeof resourcesFromList>[0],
      { label: [RUN_LABEL, id], release: this.release, targets: [target] },
      initialReplicas === undefined ? {} : { [target]: initialReplicas },
      this.gpuResource,
    );
    const plan = cleanupPlan(resources, outcome, {
      skipCleanup: this.skipCleanup,
      release: { name: this.release, namespace: this.controllerNamespace },
    });
    log.push(`cleanup (${this.skipCleanup ? "skipped" : outcome}):`, describePlan(plan));
    const failures: string[] = [];
    for (const [i, s] of plan.entries()) {
      if (!s.command) continue;
      try {
        await this.exec(tools.withEnvVariable("WVA_E2E_STEP", `cleanup-${i}`), s.command);
      } catch (e) {
        failures.push(`${s.action} ${s.kind} ${s.name}: ${firstLine(e)}`);
      }
    }
    if (failures.length) log.push("✘ cleanup steps failed:", ...failures);
    return failures.join("; ");
  }

  /** The load Job settings of this run. */
  private loadOptions(id: string): LoadJobOptions {
    return {
      name: `wva-e2e-load-${id.split("-").pop()}`,
      namespace: this.namespace,
      image: this.loadImage,
      targetUrl: this.targetUrl,
      model: this.model,
      requestRate: this.requestRate,
      numPrompts: this.numPrompts,
      maxTokens: this.maxTokens,
      workers: this.workers,
      runLabel: [RUN_LABEL, id],
      activeDeadlineSeconds: this.jobTimeoutSeconds,
    };
  }

  /** Every input checked before the first call to the cluster. */
  private validate(load: LoadJobOptions): void {
    assertDnsLabel(this.namespace, "namespace");
    assertDnsLabel(this.controllerNamespace, "controller namespace");
    assertDnsLabel(this.release, "release name");
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(this.deployment)) throw new Error(`deployment ${JSON.stringify(this.deployment)} is not a valid name`);
    for (const s of this.helmSet) if (!/^[^=\s]+=/.test(s)) throw new Error(`helm set ${JSON.stringify(s)} must be key=value`);
    for (const [v, what] of [[this.scaleTimeoutSeconds, "scale timeout"], [this.jobTimeoutSeconds, "job timeout"]] as const) {
      if (!(v > 0)) throw new Error(`${what} must be > 0 seconds, got ${v}`);
    }
    if (!(this.pollIntervalSeconds >= 0)) throw new Error(`poll interval must be ≥ 0 seconds, got ${this.pollIntervalSeconds}`);
    validateLoad(load);
    // gpuPreflight validates the GPU counts; check them now so a typo fails before any call.
    if (this.recommendedGpus < this.requiredGpus) throw new Error(`recommended GPUs (${this.recommendedGpus}) must be ≥ required (${this.requiredGpus})`);
  }

  /** kubectl/helm container with the kubeconfig mounted as a secret file; the run id busts exec caching. */
  private tools(kubeconfig: Secret, id: string): Container {
    return dag
      .container()
      .from(this.toolsImage)
      .withMountedSecret(KUBECONFIG, kubeconfig)
      .withEnvVariable("KUBECONFIG", KUBECONFIG)
      .withEnvVariable("WVA_E2E_RUN", id);
  }

  /** Runs a command and returns its stdout (throws the exec error on failure). */
  private async exec(c: Container, args: string[]): Promise<string> {
    return c.withExec(args).stdout();
  }

  /** `kubectl <args>` stdout; `attempt` makes each poll a distinct exec. */
  private async kubectl(tools: Container, args: string[], attempt?: number): Promise<string> {
    const c = attempt === undefined ? tools : tools.withEnvVariable("WVA_E2E_POLL", String(attempt));
    return this.exec(c, ["kubectl", ...args]);
  }

  /**
   * Polls `check` every pollIntervalSeconds until it reports done or `timeoutSeconds` pass;
   * returns the last state, or throws with it on timeout. A failing kubectl call is retried
   * unless `retryErrors` is false.
   */
  private async poll(
    what: string,
    timeoutSeconds: number,
    check: (attempt: number) => Promise<{ done: boolean; state: string }>,
    retryErrors = true,
  ): Promise<string> {
    const interval = Math.max(this.pollIntervalSeconds, 0);
    const attempts = Math.max(1, Math.ceil(timeoutSeconds / Math.max(interval, 1)));
    let state = "no answer yet";
    for (let n = 0; n < attempts; n++) {
      try {
        const r = await check(n);
        state = r.state;
        if (r.done) return state;
      } catch (e) {
        if (!retryErrors) throw e;
        state = `error: ${firstLine(e)}`;
      }
      if (interval > 0 && n < attempts - 1) await new Promise((r) => setTimeout(r, interval * 1000));
    }
    throw new Error(`${what}: still not there after ${timeoutSeconds}s (${attempts} polls); last state: ${state}`);
  }
}
