/**
 * GPUs in a Kubernetes cluster, without Dagger:
 * - how many GPUs are free, from `kubectl get nodes -o json` and `kubectl get pods -A -o json`
 *   (the OpenShift run's preflight);
 * - which labels and status patches make Kind nodes look like GPU nodes (emulated GPUs).
 */

/** The extended resource the preflight counts by default. */
export const NVIDIA_GPU = "nvidia.com/gpu";

// ---------------------------------------------------------------------------------------------
// Quantities

/**
 * The value of a Kubernetes quantity (`"4"`, `"500m"`, `"2k"`, `"1Gi"`) as a number.
 * Throws on a string that is not a quantity, so a malformed cluster answer is never read as 0.
 */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined || q === null) return 0;
  if (typeof q === "number") return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(q)}`);
  const factor: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  return Number(m[1]) * factor[m[2] ?? ""];
}

// ---------------------------------------------------------------------------------------------
// GPU arithmetic (preflight)

interface ResourceList {
  [name: string]: string | number | undefined;
}
interface ContainerJson {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}
/** The parts of a Pod the arithmetic reads. */
export interface PodJson {
  metadata?: { name?: string; namespace?: string };
  spec?: { nodeName?: string; containers?: ContainerJson[]; initContainers?: ContainerJson[] };
  status?: { phase?: string };
}
/** The parts of a Node the arithmetic reads. */
export interface NodeJson {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: { allocatable?: ResourceList; capacity?: ResourceList };
}

/** What a container asks for: its request, or its limit when only a limit is set (as the API server defaults it). */
function containerRequest(c: ContainerJson, resource: string): number {
  const r = c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource];
  return parseQuantity(r);
}

/**
 * The amount of a resource a pod holds, as the scheduler counts it: the larger of (a) the sum of
 * its app containers plus restartable (sidecar) init containers and (b) the largest plain init
 * container plus the sidecars started before it.
 */
export function podRequest(pod: PodJson, resource: string = NVIDIA_GPU): number {
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  let sidecars = 0;
  let initPeak = 0;
  for (const c of inits) {
    const r = containerRequest(c, resource);
    if (c.restartPolicy === "Always") sidecars += r;
    else initPeak = Math.max(initPeak, sidecars + r);
  }
  const running = containers.reduce((s, c) => s + containerRequest(c, resource), 0) + sidecars;
  return Math.max(running, initPeak);
}

/** GPUs requested by one pod that holds or waits for them. */
export interface GpuClaim {
  namespace: string;
  name: string;
  phase: string;
  node?: string;
  gpus: number;
}

/** The preflight's view of the cluster's GPUs. */
export interface GpuAvailability {
  resource: string;
  /** Allocatable GPUs per schedulable node that has any. */
  nodes: { name: string; allocatable: number }[];
  /** Nodes with GPUs that are cordoned (not counted). */
  cordoned: string[];
  allocatable: number;
  /** Pods in phase Running or Pending that request GPUs (Succeeded/Failed pods hold none). */
  claims: GpuClaim[];
  requested: number;
  available: number;
}

/**
 * Allocatable GPUs on schedulable nodes minus the GPUs requested by Running and Pending pods.
 * Pending pods count even when not yet bound to a node: they will take GPUs first.
 */
export function gpuAvailability(
  nodeList: { items?: NodeJson[] },
  podList: { items?: PodJson[] },
  resource: string = NVIDIA_GPU,
): GpuAvailability {
  const nodes: GpuAvailability["nodes"] = [];
  const cordoned: string[] = [];
  for (const n of nodeList.items ?? []) {
    const allocatable = parseQuantity(n.status?.allocatable?.[resource]);
    if (allocatable <= 0) continue;
    const name = n.metadata?.name ?? "?";
    if (n.spec?.unschedulable) cordoned.push(name);
    else nodes.push({ name, allocatable });
  }
  const cordonedSet = new Set(cordoned);
  const claims: GpuClaim[] = [];
  for (const p of podList.items ?? []) {
    const phase = p.status?.phase ?? "Unknown";
    if (phase !== "Running" && phase !== "Pending") continue;
    const gpus = podRequest(p, resource);
    if (gpus <= 0) continue;
    // GPUs held on a cordoned node were not counted as allocatable; don't subtract them twice.
    if (p.spec?.nodeName && cordonedSet.has(p.spec.nodeName)) continue;
    claims.push({
      namespace: p.metadata?.namespace ?? "",
      name: p.metadata?.name ?? "?",
      phase,
      node: p.spec?.nodeName,
      gpus,
    });
  }
  const allocatable = nodes.reduce((s, n) => s + n.allocatable, 0);
  const requested = claims.reduce((s, c) => s + c.gpus, 0);
  return { resource, nodes, cordoned, allocatable, claims, requested, available: Math.max(0, allocatable - requested) };
}

/** The preflight's decision. */
export interface GpuPreflight {
  /** false: fewer GPUs free than required, the run must not start. */
  ok: boolean;
  /** true when enough to run but fewer than recommended (scale-up may stall). */
  warning: boolean;
  message: string;
}

/** Compares free GPUs against the required and recommended counts, with a message that says why. */
export function gpuPreflight(a: GpuAvailability, required = 2, recommended = 3): GpuPreflight {
  if (!Number.isInteger(required) || required < 0) throw new Error(`required GPUs must be a whole number ≥ 0, got ${required}`);
  if (recommended < required) throw new Error(`recommended GPUs (${recommended}) must be ≥ required (${required})`);
  const head = `${a.resource}: ${a.allocatable} allocatable on ${a.nodes.length} node(s), ${a.requested} requested by ${a.claims.length} running/pending pod(s), ${a.available} available`;
  const holders = a.claims
    .slice()
    .sort((x, y) => y.gpus - x.gpus)
    .map((c) => `  ${c.namespace}/${c.name} (${c.phase}${c.node ? ` on ${c.node}` : ""}): ${c.gpus}`);
  const detail = [
    ...a.nodes.map((n) => `  node ${n.name}: ${n.allocatable} allocatable`),
    ...(a.cordoned.length ? [`  cordoned (not counted): ${a.cordoned.join(", ")}`] : []),
    ...(holders.length ? ["GPU holders:", ...holders] : []),
  ].join("\n");
  if (a.available < required) {
    return {
      ok: false,
      warning: false,
      message: `GPU preflight failed: ${a.available} ${a.resource} available, ${required} required (${recommended} recommended). ${head}.\n${detail}\nWait for other runs to finish or free GPUs, then retry.`,
    };
  }
  if (a.available < recommended) {
    return {
      ok: true,
      warning: true,
      message: `GPU preflight passed with a warning: ${a.available} available, ${required} required, ${recommended} recommended; scale-up beyond ${a.available} replicas will stay Pending. ${head}.\n${detail}`,
    };
  }
  return { ok: true, warning: false, message: `GPU preflight passed: ${head} (required ${required}, recommended ${recommended}).` };
}

// ---------------------------------------------------------------------------------------------
// Emulated GPUs on Kind nodes

/** One emulated accelerator model. */
export interface GpuModel {
  /** Short name used in `gpu-config` (`4H100`). */
  name: string;
  /** Label/resource domain: `nvidia.com`, `amd.com`, `intel.com`. */
  vendor: string;
  /** Value of `<vendor>/gpu.product`. */
  product: string;
  /** Memory per GPU in MiB, value of `<vendor>/gpu.memory`. */
  memoryMiB: number;
}

/** The accelerator models the emulation knows. */
export const GPU_MODELS: Record<string, GpuModel> = {
  H100: { name: "H100", vendor: "nvidia.com", product: "NVIDIA-H100-80GB-HBM3", memoryMiB: 81920 },
  A100: { name: "A100", vendor: "nvidia.com", product: "NVIDIA-A100-PCIE-80GB", memoryMiB: 81920 },
  MI300X: { name: "MI300X", vendor: "amd.com", product: "AMD-MI300X-192G", memoryMiB: 196608 },
  MI250: { name: "MI250", vendor: "amd.com", product: "AMD-MI250-128G", memoryMiB: 131072 },
  "Gaudi-2": { name: "Gaudi-2", vendor: "intel.com", product: "Intel-Gaudi-2-96GB", memoryMiB: 98304 },
};

/** Cluster GPU layouts (node i gets model i mod n), as the upstream Kind emulator names them. */
export const GPU_TYPES: Record<string, string[]> = {
  mix: ["A100", "MI300X", "Gaudi-2"],
  "nvidia-mix": ["H100", "A100", "MI300X"],
  "amd-mix": ["MI300X", "MI250"],
  nvidia: ["H100"],
  amd: ["MI300X"],
};

/** The emulated GPUs of one node. */
export interface NodeGpus {
  node: string;
  model: GpuModel;
  count: number;
  /** Labels to set (`<vendor>/gpu.product|count|memory`, `gpu-config`). */
  labels: Record<string, string>;
  /** Merge patch for the node's status subresource (capacity and allocatable `<vendor>/gpu`). */
  statusPatch: { status: { capacity: Record<string, string>; allocatable: Record<string, string> } };
}

/** Which emulated GPUs each node gets; nodes keep the order given (control plane first). */
export function emulatedGpus(nodes: string[], gpuType = "mix", gpusPerNode = 4): NodeGpus[] {
  const layout = GPU_TYPES[gpuType];
  if (!layout) throw new Error(`unknown GPU type ${JSON.stringify(gpuType)}; known: ${Object.keys(GPU_TYPES).join(", ")}`);
  if (!Number.isInteger(gpusPerNode) || gpusPerNode < 1) throw new Error(`GPUs per node must be a whole number ≥ 1, got ${gpusPerNode}`);
  if (nodes.length === 0) throw new Error("no nodes to give GPUs to");
  return nodes.map((node, i) => {
    const model = GPU_MODELS[layout[i % layout.length]];
    const resource = `${model.vendor}/gpu`;
    const count = String(gpusPerNode);
    return {
      node,
      model,
      count: gpusPerNode,
      labels: {
        [`${model.vendor}/gpu.product`]: model.product,
        [`${model.vendor}/gpu.count`]: count,
        [`${model.vendor}/gpu.memory`]: String(model.memoryMiB),
        "gpu-config": `${gpusPerNode}${model.name}`,
      },
      statusPatch: { status: { capacity: { [resource]: count }, allocatable: { [resource]: count } } },
    };
  });
}

/**
 * kubectl commands that apply the emulation: `kubectl label node … --overwrite` and
 * `kubectl patch node … --subresource=status --type=merge -p <json>` per node.
 */
export function nodePatchCommands(plan: NodeGpus[]): string[][] {
  return plan.flatMap((p) => [
    ["kubectl", "label", "node", p.node, "--overwrite", ...Object.entries(p.labels).map(([k, v]) => `${k}=${v}`)],
    ["kubectl", "patch", "node", p.node, "--subresource=status", "--type=merge", "-p", JSON.stringify(p.statusPatch)],
  ]);
}
