/**
 * The OpenShift GPU run against the fake engine: kubeconfig handling, preflight, deploy, load,
 * autoscaling polls, and the cleanup that follows success, failure or skip-cleanup.
 */
import { readFileSync } from "node:fs";
import { dag } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { OpenShift } from "../../dagger/src/openshift.js";
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

/** The run resources the cleanup lists, with the load Job/ConfigMap relabelled to this run's id. */
function runResources(path: Step[]): string {
  const id = path.find((s) => s.name === "withEnvVariable" && s.args.name === "WVA_E2E_RUN")!.args.value;
  return fixture("run-resources.json").replaceAll("lk3x9a-1a2b3c", id);
}

interface ClusterState {
  /** Free GPUs: the fixture cluster has 2. */
  noGpus?: boolean;
  vaReplicas?: number;
  hpaDesired?: number;
  ready?: number;
  job?: "complete" | "failed" | "running";
  /** Make this command fail (first word(s) match). */
  failing?: string;
}

/** A cluster whose kubectl answers come from the unit fixtures and `s`. */
function cluster(s: ClusterState = {}) {
  return (e: FakeEngine) =>
    e.on((path) => {
      const leaf = path.at(-1)!;
      if (leaf.name !== "stdout") return undefined;
      const cmd = (lastExec(path) ?? []).join(" ");
      if (s.failing && cmd.startsWith(s.failing)) return execFailure(`${s.failing}: simulated failure`);
      if (cmd === "kubectl get nodes -o json") return s.noGpus ? JSON.stringify({ items: [] }) : fixture("nodes.json");
      if (cmd === "kubectl get pods -A -o json") return fixture("pods.json");
      if (cmd === `kubectl get deployment ${DECODE} -n ${NS} -o json`) {
        const polled = path.some((p) => p.name === "withEnvVariable" && p.args.name === "WVA_E2E_POLL");
        return JSON.stringify({ spec: { replicas: 1 }, status: { readyReplicas: polled ? (s.ready ?? 2) : 1 } });
      }
      if (cmd === `kubectl get variantautoscalings.llmd.ai -n ${NS} -o json`)
        return JSON.stringify({ items: [{ metadata: { name: DECODE }, status: { desiredOptimizedAlloc: { numReplicas: s.vaReplicas ?? 2 } } }] });
      if (cmd === `kubectl get hpa -n ${NS} -o json`)
        return JSON.stringify({
          items: [{
            metadata: { name: `${DECODE}-hpa` },
            spec: { scaleTargetRef: { kind: "Deployment", name: DECODE } },
            status: { desiredReplicas: s.hpaDesired ?? 2, currentReplicas: 1, currentMetrics: [{ type: "External", external: { metric: { name: "wva_desired_replicas" }, current: { averageValue: "2" } } }] },
          }],
        });
      if (cmd.startsWith("kubectl get job wva-e2e-load-")) {
        const j = s.job ?? "complete";
        const conditions = j === "running" ? [] : [{ type: j === "complete" ? "Complete" : "Failed", status: "True", reason: j === "failed" ? "BackoffLimitExceeded" : undefined }];
        return JSON.stringify({ status: { succeeded: j === "complete" ? 10 : 0, conditions } });
      }
      if (cmd.startsWith("kubectl get deployments.apps,statefulsets.apps")) return runResources(path);
      return undefined;
    });
}

const fast = () =>
  new OpenShift(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 3, 3, 0);
const kubeconfig = () => dag.setSecret("kubeconfig", KUBECONFIG_TEXT);
const commands = (e: FakeEngine) => e.execs().map((a) => a.join(" "));

describe("a passing run", () => {
  test("mounts the kubeconfig as a secret file, never as text in a layer or argument", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster());
    expect(result!.passed).toBe(true);
    const mounts = engine.steps("withMountedSecret");
    expect(mounts[0].args.path).toBe("/run/secrets/kubeconfig");
    expect(engine.steps("withEnvVariable").find((s) => s.args.name === "KUBECONFIG")!.args.value).toBe("/run/secrets/kubeconfig");
    const sent = engine.queries.filter((q) => !q.includes("setSecret")).join("\n");
    expect(sent).not.toContain("supersecretclustertoken");
    expect(result!.log).not.toContain("supersecretclustertoken");
  });

  test("deploys the chart with the PR image and the spec's model settings, then the load Job", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster());
    const helm = commands(engine).find((c) => c.startsWith("helm upgrade"))!;
    expect(helm).toContain("--set wva.image.repository=ghcr.io/llm-d-incubation/workload-variant-autoscaler --set wva.image.tag=ref-1a2b3c4d");
    expect(helm).toContain(`--set llmd.namespace=${NS} --set llmd.modelName=${DECODE} --set llmd.modelID=unsloth/Meta-Llama-3.1-8B`);
    expect(helm).toContain("--set va.enabled=true --set hpa.enabled=true");
    const load = engine.steps("withNewFile").find((s) => s.args.path === "/run/load.yaml")!;
    const [, job] = parseAllDocuments(load.args.contents).map((d) => d.toJS());
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ TOTAL: "3000", INTERVAL: "0.500" });
    expect(job.metadata.namespace).toBe(NS);
    expect(commands(engine)).toContain("kubectl apply -f /run/load.yaml");
    expect(result!.summary).toMatch(/^autoscaling validated: VA recommends 2, HPA .*desired 2.*metrics wva_desired_replicas.*, 2 ready replica\(s\)$/);
  });

  test("cleans up: deletes this run's Job, ConfigMap, VA and HPA, uninstalls the release, restores the model server", async () => {
    const { engine } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster());
    const cmds = commands(engine);
    expect(cmds.filter((c) => c.startsWith("kubectl delete")).map((c) => c.split(" ").slice(2, 4).join(" "))).toEqual([
      expect.stringMatching(/^job\.batch wva-e2e-load-[0-9a-f]{6}$/),
      `horizontalpodautoscaler.autoscaling ${DECODE}-hpa`,
      `variantautoscaling.llmd.ai ${DECODE}`,
      expect.stringMatching(/^configmap wva-e2e-load-[0-9a-f]{6}$/),
    ]);
    expect(cmds).toContain("helm uninstall wva-e2e -n workload-variant-autoscaler-system --wait --timeout 5m");
    expect(cmds).toContain(`kubectl scale deployment.apps/${DECODE} -n ${NS} --replicas=1`);
    expect(cmds.some((c) => c.includes("--replicas=0"))).toBe(false);
    // the older run's Job is not ours
    expect(cmds.some((c) => c.includes("wva-e2e-load-ffffff"))).toBe(false);
  });

  test("polls are distinct execs (no cached answer) and bounded", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster({ vaReplicas: 1 }));
    expect(result!.passed).toBe(false);
    expect(result!.summary).toMatch(/VariantAutoscaling: still not there after 3s \(3 polls\); last state: recommends 1/);
    const polls = engine.chains
      .filter((c) => c.at(-1)!.name === "stdout" && (lastExec(c) ?? []).includes("variantautoscalings.llmd.ai"))
      .map((c) => c.find((s) => s.name === "withEnvVariable" && s.args.name === "WVA_E2E_POLL")!.args.value);
    expect(polls).toEqual(["0", "1", "2"]);
  });
});

describe("a failing run", () => {
  test("a failing helm install: GPU workload scaled to zero, no delete of VA/HPA, release kept, diagnostics collected", async () => {
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
    expect(cmds.some((c) => c.includes("kubectl apply"))).toBe(false);
    expect(result!.log).toMatch(/keep VariantAutoscaling .* \(kept for debugging\)/);
    expect(result!.log).toMatch(/keep HorizontalPodAutoscaler .* \(kept for debugging\)/);
    const diag = engine.execs().find((a) => a[0] === "sh" && a[2].includes("kubectl logs"))!;
    expect(diag[2]).toContain(`for ns in ${NS} workload-variant-autoscaler-system; do`);
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
    const skip = new OpenShift(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 3, 3, 0, true);
    const { engine, result } = await withFakeEngine(async () => skip.run(kubeconfig(), IMAGE, dag.directory()), cluster({ hpaDesired: 1 }));
    expect(result!.passed).toBe(false);
    const cmds = commands(engine);
    expect(cmds.some((c) => /kubectl (scale|delete)|helm uninstall/.test(c))).toBe(false);
    expect(result!.log).toContain("cleanup (skipped):");
  });

  test("too few free GPUs: a clear message, nothing deployed, nothing cleaned", async () => {
    const { engine, result } = await withFakeEngine(async () => fast().run(kubeconfig(), IMAGE, dag.directory()), cluster({ noGpus: true }));
    expect(result!.passed).toBe(false);
    expect(result!.summary).toMatch(/^GPU preflight failed: 0 nvidia.com\/gpu available, 2 required \(3 recommended\)\. nvidia.com\/gpu: 0 allocatable on 0 node\(s\), 14 requested by 6 running\/pending pod\(s\)/);
    expect(result!.log).toContain("Wait for other runs to finish or free GPUs, then retry.");
    expect(commands(engine)).toEqual(["kubectl get nodes -o json", "kubectl get pods -A -o json"]);
  });

  test("bad input fails before any call to the cluster", async () => {
    for (const [run, msg] of [
      [() => fast().run(kubeconfig(), "ghcr.io/x/wva", dag.directory()), /no tag/],
      [() => new OpenShift("Bad NS").run(kubeconfig(), IMAGE, dag.directory()), /DNS label/],
      [() => new OpenShift(undefined, undefined, 0).run(kubeconfig(), IMAGE, dag.directory()), /request rate/],
      [
        () =>
          new OpenShift(undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 4, 3)
            .run(kubeconfig(), IMAGE, dag.directory()),
        /recommended GPUs/,
      ],
    ] as const) {
      const { engine, error } = await withFakeEngine(run, cluster());
      expect(String(error)).toMatch(msg);
      expect(engine.execs()).toEqual([]);
    }
  });
});

describe("Wva.openshiftE2e", () => {
  test("passes the spec's defaults and the source's chart", async () => {
    const src = dag.directory().withNewFile("charts/workload-variant-autoscaler/Chart.yaml", "name: wva\n");
    const { engine, result } = await withFakeEngine(async () => new Wva(src).openshiftE2e(kubeconfig(), IMAGE), cluster());
    expect(result!.log).toMatch(/^openshift e2e run \S+: model unsloth\/Meta-Llama-3.1-8B in llm-d-inference-scheduling, 20 req\/s, 3000 prompts, 400 max tokens/);
    const chart = engine.steps("withMountedDirectory").find((s) => s.args.path === "/chart")!;
    expect(engine.origin(chart.args.source)!.at(-1)).toEqual({ name: "directory", args: { path: "charts/workload-variant-autoscaler" } });
    expect(engine.steps("from").map((s) => s.args.address)).toContain("alpine/k8s:1.32.1");
  }, 120_000);
});
