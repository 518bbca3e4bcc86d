/**
 * The OpenShift GPU run against the fake engine: kubeconfig handling, preflight, the workload
 * read from the rendered chart, CRDs before helm, per-PR names, load, autoscaling polls, and the
 * cleanup that follows success, failure or skip-cleanup.
 */
import { readFileSync } from "node:fs";
import { dag } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { OpenShift, type OpenShiftOptions } from "../../dagger/src/openshift.js";
import { Wva } from "../../dagger/src/index.js";
import { FakeError, withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";

const fixture = (name: string) => readFileSync(new URL(`../unit/fixtures/${name}`, import.meta.url), "utf8");
const NS = "llm-d-inference-scheduling";
const DECODE = "ms-inference-scheduling-llm-d-modelservice-decode";
const KUBECONFIG_TEXT = "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user: {token: sha256~supersecretclustertoken}\n";
const IMAGE = "ghcr.io/llm-d-incubation/workload-variant-autoscaler:ref-1a2b3c4d";

const lastExec = (path: Step[]) => [...path].reverse().find((s) => s.name === "withExec")?.args.args as string[] | undefined;
const execFailure = (stderr: string) =>
  new FakeError("process did not complete successfully: exit code: 1", { _type: "EXEC_ERROR", cmd: [], exitCode: 1, stdout: "", stderr });
const env = (path: Step[], name: string) => path.find((s) => s.name === "withEnvVariable" && s.args.name === name)?.args.value as string | undefined;

/** The chart's objects as WVA's chart names them for `release` (fullname = <release>-workload-variant-autoscaler). */
const hpaName = (release: string) => `${release}-workload-variant-autoscaler-hpa`;
const vaName = (release: string) => `${release}-workload-variant-autoscaler-va`;

interface ClusterState {
  /** Free GPUs: the fixture cluster has 2. */
  noGpus?: boolean;
  vaReplicas?: number;
  hpaDesired?: number;
  ready?: number;
  job?: "complete" | "failed" | "running";
  /** Make this command fail (first word(s) match), with this stderr. */
  failing?: string;
  failingStderr?: string;
  /** What `helm template` renders: the HPA's and the VA's targets (default: the decode Deployment). */
  hpaTarget?: string;
  vaTarget?: string;
  /** HPAs already in the model namespace (e.g. another run's). */
  otherHpas?: unknown[];
}

/** A cluster whose kubectl and helm answers come from the unit fixtures and `s`. */
function cluster(s: ClusterState = {}) {
  let release = "";
  return (e: FakeEngine) =>
    e.on((path) => {
      const leaf = path.at(-1)!;
      if (leaf.name !== "stdout") return undefined;
      const args = lastExec(path) ?? [];
      const cmd = args.join(" ");
      if (s.failing && cmd.startsWith(s.failing)) return execFailure(s.failingStderr ?? `${s.failing}: simulated failure`);
      if (cmd.startsWith("helm template ")) {
        release = args[2];
        return renderedChart(release, s.hpaTarget ?? DECODE, s.vaTarget ?? DECODE);
      }
      if (cmd === "kubectl get nodes -o json") return s.noGpus ? JSON.stringify({ items: [] }) : fixture("nodes.json");
      if (cmd === "kubectl get pods -A -o json") return fixture("pods.json");
      if (cmd === `kubectl get hpa -n ${NS} -o json`) return JSON.stringify({ items: s.otherHpas ?? [] });
      if (cmd === `kubectl get deployment ${DECODE} -n ${NS} -o json`) {
        const polled = !!env(path, "WVA_E2E_POLL");
        return JSON.stringify({ spec: { replicas: 1 }, status: { readyReplicas: polled ? (s.ready ?? 2) : 1 } });
      }
      if (cmd === `kubectl get variantautoscalings.llmd.ai ${vaName(release)} -n ${NS} -o json`)
        return JSON.stringify({ metadata: { name: vaName(release) }, status: { desiredOptimizedAlloc: { numReplicas: s.vaReplicas ?? 2 } } });
      if (cmd === `kubectl get hpa ${hpaName(release)} -n ${NS} -o json`)
        return JSON.stringify({
          metadata: { name: hpaName(release) },
          spec: { scaleTargetRef: { kind: "Deployment", name: DECODE } },
          status: { desiredReplicas: s.hpaDesired ?? 2, currentReplicas: 1, currentMetrics: [{ type: "External", external: { metric: { name: "wva_desired_replicas" }, current: { averageValue: "2" } } }] },
        });
      if (cmd.startsWith("kubectl get job wva-e2e-load-")) {
        const j = s.job ?? "complete";
        const conditions = j === "running" ? [] : [{ type: j === "complete" ? "Complete" : "Failed", status: "True", reason: j === "failed" ? "BackoffLimitExceeded" : undefined }];
        return JSON.stringify({ status: { succeeded: j === "complete" ? 10 : 0, conditions } });
      }
      if (cmd.startsWith("kubectl get deployments.apps,statefulsets.apps")) return runResources(path, release);
      return undefined;
    });
}

/** What `helm template` of WVA's chart renders for the per-model objects (the rest does not matter here). */
function renderedChart(release: string, hpaTarget: string, vaTarget: string): string {
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: `${release}-workload-variant-autoscaler-controller-manager`, namespace: `${release}` } },
    { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: hpaName(release), namespace: NS }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: hpaTarget } } },
    { apiVersion: "llmd.ai/v1alpha1", kind: "VariantAutoscaling", metadata: { name: vaName(release), namespace: NS }, spec: { scaleTargetRef: { kind: "Deployment", name: vaTarget } } },
  ].map((d) => `---\n${stringify(d)}`).join("");
}

/** The resources the cleanup lists: the fixture's VA/HPA as this run's release made them, its load Job/ConfigMap with this run's label and name. */
function runResources(path: Step[], release: string): string {
  const id = env(path, "WVA_E2E_RUN")!;
  const key = release.replace(/^wva-e2e-/, "");
  const list = JSON.parse(fixture("run-resources.json").replaceAll("lk3x9a-1a2b3c", id));
  for (const it of list.items) {
    const md = it.metadata;
    if (md.annotations?.["meta.helm.sh/release-name"] === "wva-e2e") md.annotations["meta.helm.sh/release-name"] = release;
    if (it.kind === "HorizontalPodAutoscaler") md.name = hpaName(release);
    if (it.kind === "VariantAutoscaling") md.name = vaName(release);
    if (md.name === "wva-e2e-load-1a2b3c") md.name = `wva-e2e-load-${key}-${id.replace(/[^a-z0-9]/g, "").slice(-6)}`;
  }
  return JSON.stringify(list);
}

const fast = (o: OpenShiftOptions = {}) => OpenShift.create({ prNumber: 101, scaleTimeoutSeconds: 3, jobTimeoutSeconds: 3, pollIntervalSeconds: 0, ...o });
const kubeconfig = (text = KUBECONFIG_TEXT) => dag.setSecret("kubeconfig", text);
const commands = (e: FakeEngine) => e.execs().map((a) => a.join(" "));
/** A chart directory with a crds/ folder, as WVA's has. */
const wvaLikeChart = () => dag.directory().withNewFile("Chart.yaml", "name: workload-variant-autoscaler\n").withNewFile("crds/llmd.ai_variantautoscalings.yaml", "kind: CustomResourceDefinition\n");

describe("a passing run", () => {
  test("checks the kubeconfig first, mounted as a secret file, never as text in a layer or argument", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster());
    expect(result!.passed).toBe(true);
    const mounts = engine.steps("withMountedSecret");
    expect(mounts[0].args.path).toBe("/run/secrets/kubeconfig");
    expect(engine.steps("withEnvVariable").find((s) => s.args.name === "KUBECONFIG")!.args.value).toBe("/run/secrets/kubeconfig");
    const [first] = engine.execs();
    expect(first.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(first[2]).toContain("the kubeconfig (--kubeconfig)");
    const sent = engine.queries.filter((q) => !q.includes("setSecret")).join("\n");
    expect(sent).not.toContain("supersecretclustertoken");
    expect(result!.log).not.toContain("supersecretclustertoken");
  });

  test("learns the workload from the rendered chart, applies its CRDs, then installs with the PR image into the PR's own namespace and release", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, wvaLikeChart()), cluster());
    expect(result!.passed, result!.log).toBe(true);
    const cmds = commands(engine);
    const values = [
      "--set wva.image.repository=ghcr.io/llm-d-incubation/workload-variant-autoscaler --set wva.image.tag=ref-1a2b3c4d",
      `--set llmd.namespace=${NS} --set llmd.modelName=ms-inference-scheduling-llm-d-modelservice --set llmd.modelID=unsloth/Meta-Llama-3.1-8B`,
      "--set va.enabled=true --set hpa.enabled=true --set wva.namespaceScoped=false --set wva.controllerInstance=wva-e2e-pr-101",
    ].join(" ");
    const render = cmds.findIndex((c) => c === `helm template wva-e2e-pr-101 /chart --namespace wva-e2e-pr-101 ${values}`);
    const crds = cmds.indexOf("kubectl apply --server-side --force-conflicts -f /chart/crds/");
    const install = cmds.indexOf(`helm upgrade --install wva-e2e-pr-101 /chart --namespace wva-e2e-pr-101 --create-namespace --skip-crds ${values} --wait --timeout 10m`);
    expect([render, crds, install].every((i) => i >= 0), cmds.join("\n")).toBe(true);
    expect(render).toBeLessThan(crds);
    expect(crds).toBeLessThan(install);
    // The Deployment it reads, scales and waits for is the one the chart's HPA names.
    expect(result!.log).toContain(`the chart's HPA ${hpaName("wva-e2e-pr-101")} and VariantAutoscaling ${vaName("wva-e2e-pr-101")} scale Deployment ${NS}/${DECODE}`);
    expect(cmds.filter((c) => c.startsWith(`kubectl get deployment ${DECODE} -n ${NS}`)).length).toBeGreaterThanOrEqual(2);
    expect(cmds).toContain(`kubectl get variantautoscalings.llmd.ai ${vaName("wva-e2e-pr-101")} -n ${NS} -o json`);
    expect(cmds).toContain(`kubectl get hpa ${hpaName("wva-e2e-pr-101")} -n ${NS} -o json`);
    const load = engine.steps("withNewFile").find((s) => s.args.path === "/run/load.yaml")!;
    const [cm, job] = parseAllDocuments(load.args.contents).map((d) => d.toJS());
    expect(job.metadata.name).toMatch(/^wva-e2e-load-pr-101-[0-9a-f]{6}$/);
    expect(cm.metadata.name).toBe(job.metadata.name);
    const jobEnv = Object.fromEntries(job.spec.template.spec.containers[0].env.map((x: any) => [x.name, x.value]));
    expect(jobEnv).toMatchObject({ TOTAL: "3000", INTERVAL: "0.500" });
    expect(job.metadata.namespace).toBe(NS);
    expect(cmds).toContain("kubectl apply -f /run/load.yaml");
    expect(result!.summary).toMatch(/^autoscaling validated: VA .*recommends 2, HPA .*desired 2.*metrics wva_desired_replicas.*, 2 ready replica\(s\)$/);
  });

  test("a chart without crds/ applies none", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster());
    expect(result!.passed).toBe(true);
    expect(commands(engine).some((c) => c.includes("/chart/crds/"))).toBe(false);
  });

  test("cleans up only its own: this run's Job, ConfigMap, VA and HPA, its release and namespace; restores the model server", async () => {
    const { engine } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster());
    const cmds = commands(engine);
    expect(cmds.filter((c) => c.startsWith("kubectl delete")).map((c) => c.split(" ").slice(2, 4).join(" "))).toEqual([
      expect.stringMatching(/^job\.batch wva-e2e-load-pr-101-[0-9a-f]{6}$/),
      `horizontalpodautoscaler.autoscaling ${hpaName("wva-e2e-pr-101")}`,
      `variantautoscaling.llmd.ai ${vaName("wva-e2e-pr-101")}`,
      expect.stringMatching(/^configmap wva-e2e-load-pr-101-[0-9a-f]{6}$/),
      "namespace wva-e2e-pr-101",
    ]);
    expect(cmds).toContain("helm uninstall wva-e2e-pr-101 -n wva-e2e-pr-101 --wait --timeout 5m");
    expect(cmds).toContain("kubectl delete namespace wva-e2e-pr-101 --ignore-not-found --wait=false");
    expect(cmds).toContain(`kubectl scale deployment.apps/${DECODE} -n ${NS} --replicas=1`);
    expect(cmds.some((c) => c.includes("--replicas=0"))).toBe(false);
    // the older run's Job is not ours
    expect(cmds.some((c) => c.includes("wva-e2e-load-ffffff"))).toBe(false);
  });

  test("polls are distinct execs (no cached answer) and bounded", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster({ vaReplicas: 1 }));
    expect(result!.passed).toBe(false);
    expect(result!.summary).toMatch(/VariantAutoscaling: still not there after 3s \(3 polls\); last state: .*-va recommends 1/);
    const polls = engine.chains
      .filter((c) => c.at(-1)!.name === "stdout" && (lastExec(c) ?? []).includes("variantautoscalings.llmd.ai"))
      .map((c) => env(c, "WVA_E2E_POLL"));
    expect(polls).toEqual(["0", "1", "2"]);
  });
});

describe("two concurrent runs", () => {
  /** Every name a run created or acted on: release, namespaces, controller instance, Job, HPA and VA names in its commands. */
  async function namesOf(prNumber: number): Promise<{ names: string[]; log: string }> {
    const { engine, result } = await withFakeEngine(async () => fast({ prNumber }).run(kubeconfig(), IMAGE, dag.directory()), cluster());
    expect(result!.passed).toBe(true);
    // Names in the commands it ran (release, namespaces, HPA, VA, Job, ConfigMap, controller instance) and of the objects it applied.
    const load = engine.steps("withNewFile").find((s) => s.args.path === "/run/load.yaml")!;
    const applied = parseAllDocuments(load.args.contents).map((d) => d.toJS().metadata.name as string);
    const text = commands(engine).join("\n");
    const names = [...new Set([...(text.match(/wva-e2e-[a-z0-9-]+/g) ?? []), ...applied])].sort();
    return { names, log: result!.log };
  }

  test("PR 101 and PR 102 create and clean up disjoint objects", async () => {
    const a = await namesOf(101);
    const b = await namesOf(102);
    console.log(`PR 101: ${a.names.join(", ")}\nPR 102: ${b.names.join(", ")}`);
    expect(a.names.filter((n) => b.names.includes(n))).toEqual([]);
    for (const n of a.names) expect(n).toContain("pr-101");
    for (const n of b.names) expect(n).toContain("pr-102");
    expect(a.names).toEqual(expect.arrayContaining(["wva-e2e-pr-101", hpaName("wva-e2e-pr-101"), vaName("wva-e2e-pr-101")]));
    expect(a.log).toMatch(/names: release wva-e2e-pr-101, controller namespace wva-e2e-pr-101, controller instance wva-e2e-pr-101, load Job wva-e2e-load-pr-101-[0-9a-f]{6}/);
  });

  test("without a PR number, the CI run id names the run", async () => {
    const { engine, result } = await withFakeEngine(async () => fast({ prNumber: 0, runId: "12345678901" }).run(kubeconfig(), IMAGE, dag.directory()), cluster());
    expect(result!.passed).toBe(true);
    expect(commands(engine).some((c) => c.startsWith("helm upgrade --install wva-e2e-run-12345678901 /chart --namespace wva-e2e-run-12345678901"))).toBe(true);
  });

  test("a run refuses to scale a Deployment another run's HPA already scales, and touches nothing", async () => {
    const other = { metadata: { name: hpaName("wva-e2e-pr-102"), annotations: { "meta.helm.sh/release-name": "wva-e2e-pr-102" } }, spec: { scaleTargetRef: { kind: "Deployment", name: DECODE } } };
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster({ otherHpas: [other] }));
    expect(result!.passed).toBe(false);
    expect(result!.summary).toContain(`another e2e run already scales Deployment ${NS}/${DECODE}: ${hpaName("wva-e2e-pr-102")} (release wva-e2e-pr-102)`);
    const cmds = commands(engine);
    expect(cmds.some((c) => /^helm upgrade|^kubectl (apply|scale|delete)|^helm uninstall/.test(c))).toBe(false);
  });
});

describe("the chart decides the workload", () => {
  test("an HPA and a VA that target different Deployments stop the run before anything is installed", async () => {
    const { engine, result } = await withFakeEngine(
      async () => fast().run(kubeconfig(), IMAGE, dag.directory()),
      cluster({ hpaTarget: `${DECODE}-decode`, vaTarget: DECODE }),
    );
    expect(result!.passed).toBe(false);
    expect(result!.summary).toMatch(/^could not read the workload the chart scales: the chart's HPA .* scales llm-d-inference-scheduling\/Deployment\/ms-inference-scheduling-llm-d-modelservice-decode-decode but its VariantAutoscaling .* targets .*modelservice-decode;/);
    expect(commands(engine).some((c) => c.startsWith("helm upgrade"))).toBe(false);
  });

  test("--helm-set comes last, so a chart with other value names can still be pointed at its workload", async () => {
    const { engine } = await withFakeEngine(async () => fast({ helmSet: ["llmd.deploymentName=my-decode"] }).run(kubeconfig(), IMAGE, dag.directory()), cluster());
    const render = commands(engine).find((c) => c.startsWith("helm template"))!;
    expect(render.endsWith("--set wva.controllerInstance=wva-e2e-pr-101 --set llmd.deploymentName=my-decode")).toBe(true);
  });
});

describe("a failing run", () => {
  test("a failing helm install: GPU workload scaled to zero, no delete of VA/HPA, release and namespace kept, diagnostics collected", async () => {
    const { engine, result } = await withFakeEngine(
      async () => fast().run(kubeconfig(), IMAGE, dag.directory()),
      cluster({ failing: "helm upgrade" }),
    );
    expect(result!.passed).toBe(false);
    expect(result!.summary).toBe("could not deploy the controller: helm upgrade: simulated failure");
    expect(result!.log).toContain("helm upgrade: simulated failure");
    const cmds = commands(engine);
    expect(cmds).toContain(`kubectl scale deployment.apps/${DECODE} -n ${NS} --replicas=0`);
    expect(cmds.filter((c) => c.startsWith("kubectl delete") || c.startsWith("helm uninstall"))).toEqual([]);
    expect(cmds.some((c) => c.includes("kubectl apply -f /run/load.yaml"))).toBe(false);
    expect(result!.log).toMatch(/keep VariantAutoscaling .* \(kept for debugging\)/);
    expect(result!.log).toMatch(/keep HorizontalPodAutoscaler .* \(kept for debugging\)/);
    expect(result!.log).toMatch(/keep Namespace wva-e2e-pr-101\/wva-e2e-pr-101 \(kept for debugging\)/);
    const diag = engine.execs().find((a) => a[0] === "sh" && a[2].includes("kubectl logs"))!;
    expect(diag[2]).toContain(`for ns in ${NS} wva-e2e-pr-101; do`);
    // diagnostics are collected before anything is scaled down
    const order = cmds.map((c, i) => [c, i] as const);
    const diagAt = order.find(([c]) => c.includes("kubectl logs"))![1];
    const scaleAt = order.find(([c]) => c.includes("--replicas=0"))![1];
    expect(diagAt).toBeLessThan(scaleAt);
  });

  test("a failed load Job fails the run at once and triggers the failure cleanup", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster({ job: "failed" }));
    expect(result!.summary).toBe("could not wait for the load Job: load Job failed: BackoffLimitExceeded:");
    expect(commands(engine).filter((c) => c.startsWith("kubectl get job")).length).toBe(1);
    expect(commands(engine)).toContain(`kubectl scale deployment.apps/${DECODE} -n ${NS} --replicas=0`);
  });

  test("skip-cleanup keeps everything even after a failure", async () => {
    const { engine, result } = await withFakeEngine(async () => fast({ skipCleanup: true }).run(kubeconfig(), IMAGE, dag.directory()), cluster({ hpaDesired: 1 }));
    expect(result!.passed).toBe(false);
    const cmds = commands(engine);
    expect(cmds.some((c) => /kubectl (scale|delete)|helm uninstall/.test(c))).toBe(false);
    expect(result!.log).toContain("cleanup (skipped):");
  });

  test("too few free GPUs: a clear message, nothing rendered, deployed or cleaned", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster({ noGpus: true }));
    expect(result!.passed).toBe(false);
    expect(result!.summary).toMatch(/^GPU preflight failed: 0 nvidia.com\/gpu available, 2 required \(3 recommended\)\. nvidia.com\/gpu: 0 allocatable on 0 node\(s\), 14 requested by 6 running\/pending pod\(s\)/);
    expect(result!.log).toContain("Wait for other runs to finish or free GPUs, then retry.");
    expect(commands(engine).slice(1)).toEqual(["kubectl get nodes -o json", "kubectl get pods -A -o json"]);
  });
});

describe("bad input", () => {
  test("fails before any call to the cluster", async () => {
    for (const [run, msg] of [
      [() => fast().run(kubeconfig(), "ghcr.io/x/wva", dag.directory()), /no tag/],
      [() => fast().run(kubeconfig(), "GHCR.io/X/wva:v1", dag.directory()), /--image repository .*lowercase/],
      [() => OpenShift.create({ namespace: "Bad NS" }).run(kubeconfig(), IMAGE, dag.directory()), /DNS label/],
      [() => OpenShift.create({ requestRate: 0 }).run(kubeconfig(), IMAGE, dag.directory()), /request rate/],
      [() => OpenShift.create({ requiredGpus: 4, recommendedGpus: 3 }).run(kubeconfig(), IMAGE, dag.directory()), /recommended GPUs/],
      [() => OpenShift.create({ prNumber: -3 }).run(kubeconfig(), IMAGE, dag.directory()), /--pr-number must be a pull request number/],
      [() => OpenShift.create({ runId: "run id; rm" }).run(kubeconfig(), IMAGE, dag.directory()), /--run-id .* must be up to 20 letters/],
    ] as const) {
      const { engine, error } = await withFakeEngine(run, cluster());
      expect(String(error)).toMatch(msg);
      expect(engine.execs()).toEqual([]);
    }
  });

  test.each([
    ["", "the kubeconfig (--kubeconfig) is empty; pass the cluster's kubeconfig"],
    ["not: [a kubeconfig", 'the kubeconfig (--kubeconfig) cannot be used: error: error loading config file "/run/secrets/kubeconfig": yaml: line 1: did not find expected node content'],
  ])("a kubeconfig %j fails first, naming --kubeconfig, before any other command", async (text, stderr) => {
    const { engine, error } = await withFakeEngine(
      async () => fast().run(kubeconfig(text), IMAGE, dag.directory()),
      cluster({ failing: "sh -c set -u\nfail()", failingStderr: `${stderr}; pass the cluster's kubeconfig, e.g. --kubeconfig file://$HOME/.kube/config\n` }),
    );
    expect(String(error)).toContain("the kubeconfig (--kubeconfig)");
    expect(String(error)).not.toMatch(/localhost:8080/);
    expect(engine.execs()).toHaveLength(1);
    expect(engine.execs()[0][2]).toMatch(/^set -u\nfail\(\)/);
  });
});

describe("Wva.openshiftE2e", () => {
  test("passes the spec's defaults, the PR number and the source's chart", async () => {
    const src = dag.directory().withNewFile("charts/workload-variant-autoscaler/Chart.yaml", "name: wva\n");
    const { engine, result } = await withFakeEngine(
      async () => new Wva(src).openshiftE2e(kubeconfig(), IMAGE, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 77, "999"),
      cluster(),
    );
    expect(result!.log).toMatch(/^openshift e2e run \S+ \(pr-77\): model unsloth\/Meta-Llama-3.1-8B in llm-d-inference-scheduling, 20 req\/s, 3000 prompts, 400 max tokens/);
    const chart = engine.steps("withMountedDirectory").find((s) => s.args.path === "/chart")!;
    expect(engine.origin(chart.args.source)!.at(-1)).toEqual({ name: "directory", args: { path: "charts/workload-variant-autoscaler" } });
    expect(engine.steps("from").map((s) => s.args.address)).toContain("alpine/k8s:1.32.1");
    expect(commands(engine).some((c) => c.startsWith("helm upgrade --install wva-e2e-pr-77 /chart --namespace wva-e2e-pr-77"))).toBe(true);
  }, 120_000);
});
