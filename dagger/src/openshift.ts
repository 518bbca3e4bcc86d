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
  readyReplicas,
  specReplicas,
  splitImageRef,
  vaDesiredReplicas,
} from "./lib/autoscaling.js";
import { cleanupPlan, describePlan, resourcesFromList, type Outcome } from "./lib/cleanup.js";
import { assertDnsLabel, diagnosticsScript, errorDetail, failureReason, firstLine, newRunId } from "./lib/e2e-scripts.js";
import { gpuAvailability, gpuPreflight } from "./lib/gpu.js";
import { loadManifestsYaml, validateLoad, type LoadJobOptions } from "./lib/load-job.js";
import {
  KUBECONFIG_CHECK,
  deployValues,
  otherRunsScaling,
  runNames,
  scaleTargetOf,
  type RunNames,
  type ScaleTarget,
} from "./lib/openshift-run.js";
import { parseRepository } from "./lib/tags.js";

const KUBECONFIG = "/run/secrets/kubeconfig";
const CHART = "/chart";
/** Label on everything the run applies itself (the load ConfigMap and Job). */
export const RUN_LABEL = "wva.llm-d.ai/e2e-run";

/** The constructor's arguments by name (see OpenShift's constructor for each one's meaning and default). */
export interface OpenShiftOptions {
  namespace?: string;
  model?: string;
  requestRate?: number;
  numPrompts?: number;
  maxTokens?: number;
  modelService?: string;
  targetUrl?: string;
  prNumber?: number;
  runId?: string;
  toolsImage?: string;
  loadImage?: string;
  workers?: number;
  requiredGpus?: number;
  recommendedGpus?: number;
  gpuResource?: string;
  scaleTimeoutSeconds?: number;
  jobTimeoutSeconds?: number;
  pollIntervalSeconds?: number;
  skipCleanup?: boolean;
  helmSet?: string[];
}

/**
 * The e2e run on a real OpenShift cluster with GPUs: GPU preflight, the controller deployed from
 * the chart with the pull request's image, a ShareGPT-style load against the model server, checks
 * that metrics flow and autoscaling happens, then cleanup that never leaves GPUs held by a
 * failed run (GPU workloads scaled to zero; VariantAutoscaling, HPA and logs kept).
 *
 * Everything a run creates is named after its pull request (`--pr-number`) or CI run
 * (`--run-id`): the controller's namespace and Helm release (`wva-e2e-pr-101`), its controller
 * instance, the load Job. The workload it scales is read from the chart it deploys (the rendered
 * HPA's scaleTargetRef, which the VariantAutoscaling must share), and the chart's CRDs are
 * applied before helm (helm never upgrades `crds/`).
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

  /** The llm-d model service (its Helm release): the chart's `llmd.modelName`; WVA's chart scales its `<name>-decode` Deployment. */
  @func()
  modelService: string;

  /** OpenAI-compatible completions URL the load targets (the inference gateway by default). */
  @func()
  targetUrl: string;

  /** Pull request the run is for (0 = none); every name the run creates carries it. */
  @func()
  prNumber: number;

  /** CI run id (e.g. $GITHUB_RUN_ID), carried by the names when there is no pull request. */
  @func()
  runId: string;

  /** Namespace the controller is installed in: `wva-e2e-pr-<N>` (or `wva-e2e-run-<id>`), created by the run; empty when the run is named per attempt (no PR number or run id). */
  @func()
  controllerNamespace: string;

  /** Helm release name of the controller, the same as its namespace. */
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
   * @param modelService The llm-d model service (Helm release) the chart's llmd.modelName names; the scaled Deployment is read from the chart.
   * @param targetUrl Completions URL the load targets; the llm-d inference gateway of `namespace` by default.
   * @param prNumber Pull request number (0 = none): the controller namespace, release and load Job are named after it.
   * @param runId CI run id (e.g. $GITHUB_RUN_ID): names the run when there is no pull request number.
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
    modelService = "ms-inference-scheduling-llm-d-modelservice",
    targetUrl = "",
    prNumber = 0,
    runId = "",
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
    this.modelService = modelService;
    this.targetUrl =
      targetUrl || `http://infra-inference-scheduling-inference-gateway-istio.${namespace}.svc.cluster.local/v1/completions`;
    this.prNumber = prNumber;
    this.runId = runId;
    // Names without the attempt part; run() checks the inputs before anything happens.
    const named = safeRunNames(prNumber, runId);
    this.controllerNamespace = named?.controllerNamespace ?? "";
    this.release = named?.release ?? "";
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

  /** The run from named options (for callers inside the module and tests); unset options take the constructor's defaults. */
  static create(o: OpenShiftOptions = {}): OpenShift {
    return new OpenShift(
      o.namespace, o.model, o.requestRate, o.numPrompts, o.maxTokens, o.modelService, o.targetUrl, o.prNumber, o.runId,
      o.toolsImage, o.loadImage, o.workers, o.requiredGpus, o.recommendedGpus, o.gpuResource, o.scaleTimeoutSeconds,
      o.jobTimeoutSeconds, o.pollIntervalSeconds, o.skipCleanup, o.helmSet,
    );
  }

  /**
   * Runs the GPU e2e against the cluster of `kubeconfig` (mounted as a secret file, never
   * printed) and returns its result with diagnostics; throws only for bad input (including a
   * kubeconfig that is empty or cannot be used), never for a failed step.
   * Steps: kubeconfig check, GPU preflight, the chart rendered to learn the workload its HPA
   * scales, CRDs applied, controller installed, load, autoscaling checks, cleanup.
   * Success: deletes this run's resources and namespace and restores the model server's replicas.
   * Failure: scales the GPU workloads to zero and keeps VA, HPA, controller and logs.
   *
   * @param kubeconfig Kubeconfig of the OpenShift cluster (e.g. `file://$HOME/.kube/config`).
   * @param image The pull request's controller image, `repository:tag` (pushed beforehand).
   * @param chart The controller's Helm chart directory.
   */
  @func({ cache: "never" })
  async run(kubeconfig: Secret, image: string, chart: Directory): Promise<E2eResult> {
    const { repository, tag } = splitImageRef(image);
    parseRepository(repository, "--image repository");
    const id = newRunId();
    const names = runNames({ prNumber: this.prNumber, runId: this.runId, attempt: id });
    const load = this.loadOptions(names, id);
    this.validate(load);
    const values = deployValues({
      imageRepository: repository, imageTag: tag, namespace: this.namespace, modelService: this.modelService,
      model: this.model, controllerInstance: names.controllerInstance, helmSet: this.helmSet,
    });

    const tools = this.tools(kubeconfig, id);
    // The kubeconfig first: an empty or broken one fails here, as bad input, naming --kubeconfig.
    try {
      await tools.withEnvVariable("WVA_E2E_STEP", "kubeconfig").withExec(["sh", "-c", KUBECONFIG_CHECK]).stdout();
    } catch (e) {
      throw new Error(failureReason(e));
    }

    const log: string[] = [
      `openshift e2e run ${id} (${names.key}): model ${this.model} in ${this.namespace}, ${this.requestRate} req/s, ${this.numPrompts} prompts, ${this.maxTokens} max tokens, image ${image}`,
      `names: release ${names.release}, controller namespace ${names.controllerNamespace}, controller instance ${names.controllerInstance}, load Job ${names.load}`,
    ];
    const withChart = tools.withMountedDirectory(CHART, chart);
    let step = "GPU preflight";
    let outcome: Outcome = "failure";
    let summary = "";
    let deployed = false;
    let target: ScaleTarget | undefined;
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

      step = "read the workload the chart scales";
      const rendered = await this.exec(withChart, ["helm", "template", names.release, CHART, "--namespace", names.controllerNamespace, ...values.flatMap((v) => ["--set", v])]);
      const t = scaleTargetOf(rendered, names.controllerNamespace);
      target = t;
      log.push(`the chart's HPA ${t.hpa} and VariantAutoscaling ${t.va} scale ${t.kind} ${t.namespace}/${t.name}`);
      const others = otherRunsScaling(JSON.parse(await this.kubectl(tools, ["get", "hpa", "-n", t.namespace, "-o", "json"])), t, names.release);
      if (others.length) {
        throw new Error(`another e2e run already scales ${t.kind} ${t.namespace}/${t.name}: ${others.join(", ")}; wait for it to finish (or clean it up) and retry`);
      }

      step = "read the model server";
      const before = JSON.parse(await this.kubectl(tools, ["get", "deployment", t.name, "-n", t.namespace, "-o", "json"]));
      initialReplicas = specReplicas(before);
      if (initialReplicas === 0) {
        // A failed run scaled it to zero; start from one replica like a fresh install.
        await this.kubectl(tools, ["scale", `deployment/${t.name}`, "-n", t.namespace, "--replicas=1"]);
        log.push(`model server ${t.name} was at 0 replicas (left by a failed run); scaled to 1`);
        initialReplicas = 1;
      }
      log.push(`model server ${t.namespace}/${t.name}: ${initialReplicas} replica(s), ${readyReplicas(before)} ready`);

      step = "deploy the controller";
      deployed = true;
      if (await chart.exists("crds")) {
        // helm installs crds/ only on a first install and never upgrades them: apply them first.
        await this.exec(withChart, ["kubectl", "apply", "--server-side", "--force-conflicts", "-f", `${CHART}/crds/`]);
        log.push(`✔ CRDs applied from the chart's crds/`);
      }
      const helm = [
        "helm", "upgrade", "--install", names.release, CHART,
        "--namespace", names.controllerNamespace, "--create-namespace", "--skip-crds",
        ...values.flatMap((v) => ["--set", v]),
        "--wait", "--timeout", "10m",
      ];
      await this.exec(withChart, helm);
      log.push(`✔ controller deployed: ${helm.join(" ")}`);

      step = "start the load";
      await this.exec(tools.withNewFile("/run/load.yaml", loadManifestsYaml(load)), ["kubectl", "apply", "-f", "/run/load.yaml"]);
      log.push(`✔ load Job ${load.name}: ${load.workers} workers → ${load.targetUrl}`);

      step = "wait for the VariantAutoscaling to recommend ≥ 2 replicas";
      const va = await this.poll("VariantAutoscaling", this.scaleTimeoutSeconds, async (n) => {
        const v = vaDesiredReplicas(JSON.parse(await this.kubectl(tools, ["get", "variantautoscalings.llmd.ai", t.va, "-n", t.namespace, "-o", "json"], n)));
        return { done: (v ?? 0) >= 2, state: `${t.va} recommends ${v ?? "nothing yet"}` };
      });
      log.push(`✔ VariantAutoscaling ${va}`);

      step = "wait for the HPA to read its metric and scale to ≥ 2";
      const hpa = await this.poll("HPA", this.scaleTimeoutSeconds, async (n) => {
        const h = hpaState(JSON.parse(await this.kubectl(tools, ["get", "hpa", t.hpa, "-n", t.namespace, "-o", "json"], n)), t.name);
        if (!h) return { done: false, state: `HPA ${t.hpa} does not target ${t.name}` };
        return {
          done: h.metricsFlowing && h.desired >= 2,
          state: `${h.name}: desired ${h.desired}, current ${h.current}, metrics ${h.metrics.join(",") || "none"}${h.problem ? `; ${h.problem}` : ""}`,
        };
      });
      log.push(`✔ HPA ${hpa}`);

      step = "wait for ≥ 2 ready replicas";
      const ready = await this.poll("ready replicas", this.scaleTimeoutSeconds, async (n) => {
        const r = readyReplicas(JSON.parse(await this.kubectl(tools, ["get", "deployment", t.name, "-n", t.namespace, "-o", "json"], n)));
        return { done: r >= 2, state: `${r} ready replica(s)` };
      });
      log.push(`✔ ${t.name}: ${ready}`);

      step = "wait for the load Job";
      const job = await this.poll("load Job", this.jobTimeoutSeconds, async (n) => {
        const j = jobState(JSON.parse(await this.kubectl(tools, ["get", "job", load.name, "-n", load.namespace, "-o", "json"], n)));
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
    if (deployed && target) {
      try {
        diagnostics = await tools
          .withEnvVariable("WVA_E2E_STEP", "diagnostics")
          .withExec(["sh", "-c", diagnosticsScript({ namespaces: [target.namespace, names.controllerNamespace], outDir: "/diagnostics" })])
          .directory("/diagnostics")
          .sync();
      } catch (e) {
        log.push(`(diagnostics could not be collected: ${firstLine(e)})`);
      }
      const cleanupErrors = await this.cleanup(tools, outcome, id, names, target, initialReplicas, log);
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
  private async cleanup(
    tools: Container,
    outcome: Outcome,
    id: string,
    names: RunNames,
    target: ScaleTarget,
    initialReplicas: number | undefined,
    log: string[],
  ): Promise<string> {
    let list: { items?: unknown[] };
    try {
      list = JSON.parse(
        await this.kubectl(
          tools.withEnvVariable("WVA_E2E_STEP", "cleanup-list"),
          ["get", "deployments.apps,statefulsets.apps,horizontalpodautoscalers.autoscaling,variantautoscalings.llmd.ai,jobs.batch,configmaps", "-n", target.namespace, "-o", "json"],
        ),
      );
    } catch (e) {
      log.push(`✘ cleanup: could not list resources: ${firstLine(e)}`);
      return "could not list resources";
    }
    const workload = `${target.kind}/${target.name}`;
    const resources = resourcesFromList(
      list as Parameters<typeof resourcesFromList>[0],
      { label: [RUN_LABEL, id], release: names.release, targets: [workload] },
      initialReplicas === undefined ? {} : { [workload]: initialReplicas },
      this.gpuResource,
    );
    const plan = cleanupPlan(resources, outcome, {
      skipCleanup: this.skipCleanup,
      release: { name: names.release, namespace: names.controllerNamespace },
      runNamespace: names.controllerNamespace,
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
  private loadOptions(names: RunNames, id: string): LoadJobOptions {
    return {
      name: names.load,
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
    assertDnsLabel(this.modelService, "model service");
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

/** The run's names without an attempt id (for the exposed fields), or undefined when the PR number or run id is bad (run() reports it). */
function safeRunNames(prNumber: number, runId: string): RunNames | undefined {
  if (!prNumber && !runId) return undefined; // named per attempt, in run()
  try {
    return runNames({ prNumber, runId, attempt: "000000" });
  } catch {
    return undefined;
  }
}
