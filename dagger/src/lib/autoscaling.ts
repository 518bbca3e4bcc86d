/**
 * Reading the autoscaling state of a model deployment from `kubectl get … -o json`: what the
 * VariantAutoscaling recommends, whether the HPA reacted and sees its metric, how many replicas
 * are ready, whether the load Job finished. Plus image references as the chart wants them.
 * Pure functions, no Dagger.
 */

interface VaJson {
  metadata?: { name?: string };
  spec?: { scaleTargetRef?: { name?: string }; modelID?: string };
  status?: {
    desiredOptimizedAlloc?: { numReplicas?: number; accelerator?: string };
    currentAlloc?: { numReplicas?: number };
  };
}

/** The replicas a VariantAutoscaling recommends (`status.desiredOptimizedAlloc.numReplicas`), if any. */
export function vaDesiredReplicas(va: VaJson): number | undefined {
  const n = va.status?.desiredOptimizedAlloc?.numReplicas;
  return typeof n === "number" ? n : undefined;
}

/** The highest recommendation among the VariantAutoscalings of a list (undefined when none has one). */
export function maxVaDesiredReplicas(list: { items?: VaJson[] }): number | undefined {
  const values = (list.items ?? []).map(vaDesiredReplicas).filter((n): n is number => n !== undefined);
  return values.length ? Math.max(...values) : undefined;
}

interface HpaJson {
  metadata?: { name?: string };
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    lastScaleTime?: string;
    currentMetrics?: {
      type?: string;
      external?: { metric?: { name?: string }; current?: { value?: string; averageValue?: string } };
      pods?: { metric?: { name?: string }; current?: { averageValue?: string } };
      object?: { metric?: { name?: string }; current?: { value?: string } };
      resource?: { name?: string; current?: { averageUtilization?: number } };
    }[];
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

/** The state of the HPA that scales the model deployment. */
export interface HpaState {
  name: string;
  desired: number;
  current: number;
  /** The HPA reads a current value for at least one metric (the metrics pipeline works). */
  metricsFlowing: boolean;
  /** Names of the metrics it reads a value for. */
  metrics: string[];
  /** Message of a False `ScalingActive` / `AbleToScale` condition, when any. */
  problem?: string;
}

/** Reads an HPA, or the first HPA of a list that targets `deployment` when given. */
export function hpaState(hpaOrList: HpaJson | { items?: HpaJson[] }, deployment?: string): HpaState | undefined {
  const items = "items" in hpaOrList ? (hpaOrList.items ?? []) : [hpaOrList as HpaJson];
  const hpa = items.find((h) => !deployment || h.spec?.scaleTargetRef?.name === deployment);
  if (!hpa) return undefined;
  const metrics: string[] = [];
  for (const m of hpa.status?.currentMetrics ?? []) {
    const name = m.external?.metric?.name ?? m.pods?.metric?.name ?? m.object?.metric?.name ?? m.resource?.name;
    const value =
      m.external?.current?.value ?? m.external?.current?.averageValue ?? m.pods?.current?.averageValue ?? m.object?.current?.value ?? m.resource?.current?.averageUtilization;
    if (name && value !== undefined && value !== null) metrics.push(name);
  }
  const bad = (hpa.status?.conditions ?? []).find((c) => (c.type === "ScalingActive" || c.type === "AbleToScale") && c.status === "False");
  return {
    name: hpa.metadata?.name ?? "",
    desired: hpa.status?.desiredReplicas ?? 0,
    current: hpa.status?.currentReplicas ?? 0,
    metricsFlowing: metrics.length > 0,
    metrics,
    problem: bad ? `${bad.type}=False (${bad.reason ?? "?"}): ${bad.message ?? ""}` : undefined,
  };
}

/** Ready replicas of a Deployment (0 when the field is absent, as the API omits zero). */
export function readyReplicas(deployment: { status?: { readyReplicas?: number } }): number {
  return deployment.status?.readyReplicas ?? 0;
}

/** spec.replicas of a Deployment (the API defaults it to 1). */
export function specReplicas(deployment: { spec?: { replicas?: number } }): number {
  return deployment.spec?.replicas ?? 1;
}

/** State of a Job: still running, complete, or failed (with the reason). */
export function jobState(job: {
  status?: { succeeded?: number; failed?: number; active?: number; conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
}): { state: "running" | "complete" | "failed"; detail: string } {
  const conds = job.status?.conditions ?? [];
  const failed = conds.find((c) => c.type === "Failed" && c.status === "True");
  if (failed) return { state: "failed", detail: `${failed.reason ?? "Failed"}: ${failed.message ?? ""}`.trim() };
  if (conds.some((c) => c.type === "Complete" && c.status === "True")) {
    return { state: "complete", detail: `${job.status?.succeeded ?? 0} worker(s) succeeded` };
  }
  return { state: "running", detail: `${job.status?.active ?? 0} active, ${job.status?.succeeded ?? 0} succeeded, ${job.status?.failed ?? 0} failed` };
}

/**
 * Splits an image reference into the chart's `repository` and `tag` (a registry port is kept in
 * the repository). Digest references are refused: `wva.image.tag` must be a tag.
 */
export function splitImageRef(ref: string): { repository: string; tag: string } {
  const r = ref.trim();
  if (!r || /\s/.test(r)) throw new Error(`not an image reference: ${JSON.stringify(ref)}`);
  if (r.includes("@")) throw new Error(`image ${JSON.stringify(ref)} is a digest reference; the chart needs a tag (repository:tag)`);
  const slash = r.lastIndexOf("/");
  const colon = r.lastIndexOf(":");
  if (colon <= slash) throw new Error(`image ${JSON.stringify(ref)} has no tag; pass repository:tag (e.g. ghcr.io/org/wva:ref-1a2b3c4d)`);
  const repository = r.slice(0, colon);
  const tag = r.slice(colon + 1);
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`image ${JSON.stringify(ref)} has an invalid tag ${JSON.stringify(tag)}`);
  return { repository, tag };
}
