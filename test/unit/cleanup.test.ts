import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cleanupPlan, describePlan, kubectlType, resourcesFromList, type RunIdentity } from "../../dagger/src/lib/cleanup.js";

const list = JSON.parse(readFileSync(new URL("./fixtures/run-resources.json", import.meta.url), "utf8"));
const DECODE = "ms-inference-scheduling-llm-d-modelservice-decode";
const run: RunIdentity = {
  label: ["wva.llm-d.ai/e2e-run", "lk3x9a-1a2b3c"],
  release: "wva-e2e",
  targets: [`Deployment/${DECODE}`],
};
const resources = resourcesFromList(list, run, { [`Deployment/${DECODE}`]: 1 });
const release = { name: "wva-e2e", namespace: "workload-variant-autoscaler-system" };
const cmd = (s: { command?: string[] }) => s.command?.join(" ");

describe("resourcesFromList", () => {
  it("marks what this run created (run label or Helm release) and the workload it drives", () => {
    const owned = resources.filter((r) => r.ownedByRun).map((r) => `${r.kind}/${r.name}`);
    expect(owned.sort()).toEqual([
      "ConfigMap/wva-e2e-load-1a2b3c",
      `HorizontalPodAutoscaler/${DECODE}-hpa`,
      "Job/wva-e2e-load-1a2b3c",
      `VariantAutoscaling/${DECODE}`,
    ]);
    expect(resources.filter((r) => r.targeted).map((r) => r.name)).toEqual([DECODE]);
  });
  it("reads GPUs per replica from the pod template and the replicas", () => {
    const decode = resources.find((r) => r.name === DECODE)!;
    expect(decode).toMatchObject({ gpusPerReplica: 1, replicas: 3, initialReplicas: 1, group: "apps" });
    expect(resources.find((r) => r.name.endsWith("gateway-istio"))!.gpusPerReplica).toBe(0);
  });
  it("names types the way kubectl resolves them", () => {
    expect(kubectlType({ kind: "VariantAutoscaling", group: "llmd.ai" })).toBe("variantautoscaling.llmd.ai");
    expect(kubectlType({ kind: "ConfigMap", group: "" })).toBe("configmap");
  });
});

describe("cleanup after a failed run", () => {
  const plan = cleanupPlan(resources, "failure", { release });
  it("scales the driven GPU workload to zero, first", () => {
    expect(plan[0]).toMatchObject({ action: "scale", name: DECODE, replicas: 0 });
    expect(cmd(plan[0])).toBe(`kubectl scale deployment.apps/${DECODE} -n llm-d-inference-scheduling --replicas=0`);
    expect(plan[0].reason).toContain("3 GPU(s)");
  });
  it("deletes nothing: VA, HPA, Job, controller release stay for debugging", () => {
    expect(plan.filter((s) => s.action === "delete" || s.action === "uninstall")).toEqual([]);
    const kept = (kind: string) => plan.find((s) => s.kind === kind && s.action === "keep");
    expect(kept("VariantAutoscaling")?.reason).toBe("kept for debugging");
    expect(kept("HorizontalPodAutoscaler")?.reason).toBe("kept for debugging");
    expect(kept("HelmRelease")).toBeDefined();
  });
  it("never touches GPU workloads the run does not drive", () => {
    const prefill = plan.find((s) => s.name.endsWith("prefill"))!;
    expect(prefill).toMatchObject({ action: "keep", reason: "not created by this run" });
  });
  it("does not scale a GPU workload that is already at zero", () => {
    const atZero = resources.map((r) => (r.name === DECODE ? { ...r, replicas: 0 } : r));
    expect(cleanupPlan(atZero, "failure").some((s) => s.action === "scale")).toBe(false);
  });
});

describe("cleanup after a successful run", () => {
  const plan = cleanupPlan(resources, "success", { release });
  it("deletes this run's resources, consumers first, then uninstalls the release", () => {
    const deletes = plan.filter((s) => s.action === "delete").map((s) => `${s.kind}/${s.name}`);
    expect(deletes).toEqual([
      "Job/wva-e2e-load-1a2b3c",
      `HorizontalPodAutoscaler/${DECODE}-hpa`,
      `VariantAutoscaling/${DECODE}`,
      "ConfigMap/wva-e2e-load-1a2b3c",
    ]);
    expect(cmd(plan.find((s) => s.kind === "Job")!)).toBe(
      "kubectl delete job.batch wva-e2e-load-1a2b3c -n llm-d-inference-scheduling --ignore-not-found --wait=false",
    );
    expect(cmd(plan.find((s) => s.action === "uninstall")!)).toBe(
      "helm uninstall wva-e2e -n workload-variant-autoscaler-system --wait --timeout 5m",
    );
  });
  it("puts the model server back to the replicas it had before the run", () => {
    expect(plan.find((s) => s.kind === "Deployment" && s.name === DECODE)).toMatchObject({ action: "scale", replicas: 1 });
  });
  it("leaves other runs' and the platform's resources alone", () => {
    const untouched = plan.filter((s) => !s.command).map((s) => s.name);
    expect(untouched).toEqual(expect.arrayContaining(["wva-e2e-load-ffffff", "kube-root-ca.crt", "infra-inference-scheduling-inference-gateway-istio"]));
    expect(plan.some((s) => s.action === "scale" && s.replicas === 0)).toBe(false);
  });
});

describe("skip-cleanup", () => {
  it("keeps everything whatever the outcome", () => {
    for (const outcome of ["success", "failure"] as const) {
      const plan = cleanupPlan(resources, outcome, { skipCleanup: true, release });
      expect(plan.every((s) => s.action === "keep" && !s.command)).toBe(true);
      expect(plan).toHaveLength(resources.length + 1);
    }
  });
});

it("describePlan prints one line per step with the target replicas", () => {
  const text = describePlan(cleanupPlan(resources, "failure", { release }));
  expect(text.split("\n")[0]).toBe(`scale Deployment llm-d-inference-scheduling/${DECODE} → 0 (failed run: free its 3 GPU(s))`);
});
