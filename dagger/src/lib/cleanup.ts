/**
 * What the OpenShift run leaves behind, decided from the cluster's own resource list:
 * - success: delete what this run created, put pre-existing GPU workloads back as they were;
 * - failure: free the GPUs (scale this run's GPU workloads, and the model server it drives, to
 *   zero) but keep the VariantAutoscaling, the HPA, the controller and the load Job for debugging;
 * - skip-cleanup: touch nothing.
 * Pure functions, no Dagger.
 */
import { podRequest, type PodJson, NVIDIA_GPU } from "./gpu.js";

/** How a run ended. */
export type Outcome = "success" | "failure";

/** A namespaced resource the plan may act on. */
export interface RunResource {
  /** Kubernetes kind, e.g. `Deployment`, `HorizontalPodAutoscaler`, `VariantAutoscaling`. */
  kind: string;
  /** API group (`apps`, `autoscaling`, `llmd.ai`; empty for core). */
  group: string;
  name: string;
  namespace: string;
  /** true when this run created it (run label or Helm release annotation). */
  ownedByRun: boolean;
  /** true for a pre-existing workload the run drives (the model server it loads and scales). */
  targeted: boolean;
  /** GPUs one replica requests (0 for anything that is not a GPU workload). */
  gpusPerReplica: number;
  /** Current spec.replicas of a scalable workload. */
  replicas?: number;
  /** spec.replicas recorded before the run started, for workloads the run did not create. */
  initialReplicas?: number;
}

/** One step of a cleanup plan. */
export interface CleanupStep {
  action: "delete" | "scale" | "uninstall" | "keep";
  kind: string;
  name: string;
  namespace: string;
  /** Target replicas of a scale step. */
  replicas?: number;
  /** Why, in a few words (shown in the run's log). */
  reason: string;
  /** The command that performs it (none for keep). */
  command?: string[];
}

/** Kinds that run pods and can be scaled; their pod templates are where GPU requests live. */
const SCALABLE = new Set(["Deployment", "StatefulSet", "LeaderWorkerSet"]);
/** Resources kept on failure for debugging. */
const KEEP_ON_FAILURE = new Set(["VariantAutoscaling", "HorizontalPodAutoscaler", "ScaledObject"]);
/** Deletion order on success: consumers of the workloads first. */
const DELETE_ORDER = ["Job", "HorizontalPodAutoscaler", "ScaledObject", "VariantAutoscaling", "Deployment", "StatefulSet", "LeaderWorkerSet", "Service", "ConfigMap"];

interface ItemJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    replicas?: number;
    template?: PodJson;
    leaderWorkerTemplate?: { workerTemplate?: PodJson; size?: number };
  };
}

/** What identifies this run's resources. */
export interface RunIdentity {
  /** Label every resource the run applies carries, `[key, value]`. */
  label: [string, string];
  /** Helm release the run installed (its resources carry `meta.helm.sh/release-name`). */
  release?: string;
  /** Pre-existing workloads the run drives, as `<Kind>/<name>` (e.g. `Deployment/ms-…-decode`). */
  targets?: string[];
}

/**
 * Reads a `kubectl get <kinds> -o json` list into RunResources. `initialReplicas` (by
 * `<Kind>/<name>`) are the replicas recorded before the run, for workloads it did not create.
 */
export function resourcesFromList(
  list: { items?: ItemJson[] },
  run: RunIdentity,
  initialReplicas: Record<string, number> = {},
  gpuResource: string = NVIDIA_GPU,
): RunResource[] {
  return (list.items ?? []).map((it) => {
    const kind = it.kind ?? "";
    const apiVersion = it.apiVersion ?? "";
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const labels = it.metadata?.labels ?? {};
    const annotations = it.metadata?.annotations ?? {};
    const ownedByRun =
      labels[run.label[0]] === run.label[1] ||
      (run.release !== undefined && annotations["meta.helm.sh/release-name"] === run.release);
    let gpusPerReplica = 0;
    if (SCALABLE.has(kind)) {
      const lws = it.spec?.leaderWorkerTemplate;
      const template = lws?.workerTemplate ?? it.spec?.template;
      gpusPerReplica = template ? podRequest({ spec: template.spec }, gpuResource) * (lws?.size ?? 1) : 0;
    }
    const key = `${kind}/${it.metadata?.name ?? ""}`;
    return {
      targeted: (run.targets ?? []).includes(key),
      kind,
      group,
      name: it.metadata?.name ?? "",
      namespace: it.metadata?.namespace ?? "",
      ownedByRun,
      gpusPerReplica,
      replicas: SCALABLE.has(kind) ? (it.spec?.replicas ?? 1) : undefined,
      initialReplicas: initialReplicas[key],
    };
  });
}

/** The kubectl name of a resource type: `deployment.apps`, `variantautoscaling.llmd.ai`, `configmap`. */
export function kubectlType(r: Pick<RunResource, "kind" | "group">): string {
  return r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase();
}

/** Options of a cleanup plan. */
export interface CleanupOptions {
  /** Keep everything, whatever the outcome. */
  skipCleanup?: boolean;
  /** Helm release this run installed, uninstalled on success. */
  release?: { name: string; namespace: string };
  /** Namespace this run created (its name carries the run's key), deleted on success after the release. */
  runNamespace?: string;
}

/** Decides what to do with each resource; the order of the steps is the order to run them in. */
export function cleanupPlan(resources: RunResource[], outcome: Outcome, o: CleanupOptions = {}): CleanupStep[] {
  const at = (r: RunResource) => ({ kind: r.kind, name: r.name, namespace: r.namespace });
  const keep = (r: RunResource, reason: string): CleanupStep => ({ action: "keep", ...at(r), reason });
  const scale = (r: RunResource, replicas: number, reason: string): CleanupStep => ({
    action: "scale",
    ...at(r),
    replicas,
    reason,
    command: ["kubectl", "scale", `${kubectlType(r)}/${r.name}`, "-n", r.namespace, `--replicas=${replicas}`],
  });
  const del = (r: RunResource, reason: string): CleanupStep => ({
    action: "delete",
    ...at(r),
    reason,
    command: ["kubectl", "delete", kubectlType(r), r.name, "-n", r.namespace, "--ignore-not-found", "--wait=false"],
  });
  const namespaceStep = (action: "delete" | "keep", reason: string): CleanupStep[] =>
    o.runNamespace
      ? [
          {
            action,
            kind: "Namespace",
            name: o.runNamespace,
            namespace: o.runNamespace,
            reason,
            ...(action === "delete" ? { command: ["kubectl", "delete", "namespace", o.runNamespace, "--ignore-not-found", "--wait=false"] } : {}),
          },
        ]
      : [];
  const releaseStep = (action: "uninstall" | "keep", reason: string): CleanupStep[] =>
    o.release
      ? [
          {
            action,
            kind: "HelmRelease",
            name: o.release.name,
            namespace: o.release.namespace,
            reason,
            ...(action === "uninstall"
              ? { command: ["helm", "uninstall", o.release.name, "-n", o.release.namespace, "--wait", "--timeout", "5m"] }
              : {}),
          },
        ]
      : [];

  if (o.skipCleanup) {
    return [...resources.map((r) => keep(r, "skip-cleanup set")), ...releaseStep("keep", "skip-cleanup set"), ...namespaceStep("keep", "skip-cleanup set")];
  }

  if (outcome === "failure") {
    const steps = resources.map((r): CleanupStep => {
      if (SCALABLE.has(r.kind) && r.gpusPerReplica > 0 && (r.ownedByRun || r.targeted)) {
        return (r.replicas ?? 0) > 0
          ? scale(r, 0, `failed run: free its ${r.gpusPerReplica * (r.replicas ?? 0)} GPU(s)`)
          : keep(r, "GPU workload already at 0 replicas");
      }
      if (KEEP_ON_FAILURE.has(r.kind)) return keep(r, "kept for debugging");
      return keep(r, r.ownedByRun ? "kept for debugging (holds no GPU)" : "not created by this run");
    });
    // Free GPUs first, then report what stays.
    return [
      ...steps.filter((s) => s.action === "scale"),
      ...steps.filter((s) => s.action !== "scale"),
      ...releaseStep("keep", "kept for debugging"),
      ...namespaceStep("keep", "kept for debugging"),
    ];
  }

  const rank = (k: string) => (DELETE_ORDER.includes(k) ? DELETE_ORDER.indexOf(k) : DELETE_ORDER.length);
  const owned = resources.filter((r) => r.ownedByRun).sort((a, b) => rank(a.kind) - rank(b.kind));
  const others = resources.filter((r) => !r.ownedByRun);
  return [
    ...owned.map((r) => del(r, "created by this run")),
    ...releaseStep("uninstall", "installed by this run"),
    ...namespaceStep("delete", "created by this run"),
    ...others.map((r) =>
      SCALABLE.has(r.kind) && r.targeted && r.initialReplicas !== undefined && r.initialReplicas !== r.replicas
        ? scale(r, r.initialReplicas, `restore the ${r.initialReplicas} replica(s) it had before the run`)
        : keep(r, "not created by this run"),
    ),
  ];
}

/** One line per step, for the run's log: `scale Deployment llm-d/decode → 0 (failed run: …)`. */
export function describePlan(steps: CleanupStep[]): string {
  return steps
    .map((s) => {
      const what = `${s.kind} ${s.namespace}/${s.name}`;
      const to = s.action === "scale" ? ` → ${s.replicas}` : "";
      return `${s.action} ${what}${to} (${s.reason})`;
    })
    .join("\n");
}
