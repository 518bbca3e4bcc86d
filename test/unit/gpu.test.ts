import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  GPU_TYPES,
  emulatedGpus,
  gpuAvailability,
  gpuPreflight,
  nodePatchCommands,
  parseQuantity,
  podRequest,
} from "../../dagger/src/lib/gpu.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const nodes = fixture("nodes.json");
const pods = fixture("pods.json");

describe("parseQuantity", () => {
  it("reads plain, decimal-SI, binary-SI and milli quantities", () => {
    expect(parseQuantity("4")).toBe(4);
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("2k")).toBe(2000);
    expect(parseQuantity("1Gi")).toBe(2 ** 30);
    expect(parseQuantity(undefined)).toBe(0);
  });
  it("refuses a value that is not a quantity instead of reading it as 0", () => {
    expect(() => parseQuantity("four")).toThrow(/not a Kubernetes quantity/);
  });
});

describe("podRequest", () => {
  const byName = (n: string) => pods.items.find((p: any) => p.metadata.name === n);
  it("uses the limit when a container sets only a limit", () => {
    expect(podRequest(byName("ms-prefill-5c4b-fghij"))).toBe(2);
  });
  it("counts the largest init container when it exceeds the app containers", () => {
    expect(podRequest(byName("warmup-heavy-0"))).toBe(3);
  });
  it("adds restartable (sidecar) init containers to the app containers", () => {
    expect(podRequest(byName("with-sidecar-0"))).toBe(2);
  });
  it("is 0 for a pod without GPU requests", () => {
    expect(podRequest(byName("prometheus-k8s-0"))).toBe(0);
  });
});

describe("gpuAvailability on a cluster snapshot", () => {
  const a = gpuAvailability(nodes, pods);
  it("sums allocatable GPUs of schedulable nodes only", () => {
    expect(a.nodes).toEqual([
      { name: "gpu-a100-0", allocatable: 8 },
      { name: "gpu-h100-0", allocatable: 4 },
    ]);
    expect(a.cordoned).toEqual(["gpu-h100-1"]);
    expect(a.allocatable).toBe(12);
  });
  it("subtracts Running and Pending pods (unbound Pending included), not Succeeded/Failed or pods on cordoned nodes", () => {
    expect(a.claims.map((c) => `${c.namespace}/${c.name}=${c.gpus}`).sort()).toEqual([
      "llm-d-inference-scheduling/ms-decode-7d9f-abcde=1",
      "llm-d-inference-scheduling/ms-prefill-5c4b-fghij=2",
      "ml-serving/warmup-heavy-0=3",
      "ml-serving/with-sidecar-0=2",
      "research/trainer-0=2",
    ]);
    expect(a.requested).toBe(10);
    expect(a.available).toBe(2);
  });
  it("counts another extended resource when asked", () => {
    expect(gpuAvailability(nodes, pods, "amd.com/gpu").allocatable).toBe(0);
  });
});

describe("gpuPreflight", () => {
  const a = gpuAvailability(nodes, pods);
  it("passes with a warning between required and recommended, naming the holders", () => {
    const p = gpuPreflight(a, 2, 3);
    expect(p).toMatchObject({ ok: true, warning: true });
    expect(p.message).toContain("2 available, 2 required, 3 recommended");
    expect(p.message).toContain("ml-serving/warmup-heavy-0 (Running on gpu-h100-0): 3");
  });
  it("fails below the required count with the numbers and what to do", () => {
    const p = gpuPreflight(a, 4, 6);
    expect(p.ok).toBe(false);
    expect(p.message).toMatch(/^GPU preflight failed: 2 nvidia.com\/gpu available, 4 required \(6 recommended\)/);
    expect(p.message).toContain("12 allocatable on 2 node(s), 10 requested by 5 running/pending pod(s)");
    expect(p.message).toContain("cordoned (not counted): gpu-h100-1");
  });
  it("passes cleanly at or above the recommended count", () => {
    const free = gpuAvailability(nodes, { items: [] });
    expect(gpuPreflight(free, 2, 3)).toMatchObject({ ok: true, warning: false });
  });
  it("refuses recommended < required", () => {
    expect(() => gpuPreflight(a, 3, 2)).toThrow(/recommended/);
  });
});

describe("emulated GPUs", () => {
  const names = ["wva-e2e-control-plane", "wva-e2e-worker", "wva-e2e-worker2"];
  it("gives the mix layout A100, MI300X, Gaudi-2 to the three nodes, with vendor labels and gpu-config", () => {
    const plan = emulatedGpus(names, "mix", 4);
    expect(plan.map((p) => p.labels["gpu-config"])).toEqual(["4A100", "4MI300X", "4Gaudi-2"]);
    expect(plan[0].labels).toEqual({
      "nvidia.com/gpu.product": "NVIDIA-A100-PCIE-80GB",
      "nvidia.com/gpu.count": "4",
      "nvidia.com/gpu.memory": "81920",
      "gpu-config": "4A100",
    });
    expect(plan[1].statusPatch).toEqual({ status: { capacity: { "amd.com/gpu": "4" }, allocatable: { "amd.com/gpu": "4" } } });
  });
  it("cycles the layout when there are more nodes than models", () => {
    const plan = emulatedGpus(["a", "b", "c", "d"], "amd-mix", 2);
    expect(plan.map((p) => p.model.name)).toEqual(["MI300X", "MI250", "MI300X", "MI250"]);
  });
  it("knows the upstream layouts and rejects others", () => {
    expect(Object.keys(GPU_TYPES)).toEqual(expect.arrayContaining(["mix", "nvidia-mix", "amd-mix"]));
    expect(emulatedGpus(names, "nvidia-mix").map((p) => p.model.name)).toEqual(["H100", "A100", "MI300X"]);
    expect(() => emulatedGpus(names, "tpu")).toThrow(/unknown GPU type "tpu"/);
    expect(() => emulatedGpus(names, "mix", 0)).toThrow(/GPUs per node/);
  });
  it("patches through the status subresource so the scheduler sees the capacity", () => {
    const cmds = nodePatchCommands(emulatedGpus(names.slice(0, 1), "nvidia", 8));
    expect(cmds).toEqual([
      ["kubectl", "label", "node", "wva-e2e-control-plane", "--overwrite",
        "nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.count=8", "nvidia.com/gpu.memory=81920", "gpu-config=8H100"],
      ["kubectl", "patch", "node", "wva-e2e-control-plane", "--subresource=status", "--type=merge", "-p",
        '{"status":{"capacity":{"nvidia.com/gpu":"8"},"allocatable":{"nvidia.com/gpu":"8"}}}'],
    ]);
  });
  it("the patched nodes count as GPU capacity for the preflight arithmetic", () => {
    const plan = emulatedGpus(names, "nvidia-mix", 4);
    const patched = { items: plan.map((p) => ({ metadata: { name: p.node, labels: p.labels }, status: p.statusPatch.status })) };
    expect(gpuAvailability(patched, { items: [] }).allocatable).toBe(8); // H100 + A100 nodes; MI300X is amd.com/gpu
  });
});
