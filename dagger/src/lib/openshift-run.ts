/**
 * What one OpenShift e2e run is called and what it deploys, as pure functions:
 * - the names it creates, all carrying the pull request number (or the CI run id), so two runs
 *   never deploy into, scale or clean up each other's objects;
 * - the chart values it installs with;
 * - the workload it scales, read from the chart it deploys (`helm template` output: the HPA's
 *   scaleTargetRef and the VariantAutoscaling's), never from an assumed value name;
 * - a check that no other e2e run's HPA already scales that workload;
 * - the kubeconfig check that runs before anything else.
 * No Dagger here.
 */
import { parseAllDocuments } from "yaml";

/** Prefix of every release, namespace and Job an e2e run creates. */
export const RUN_PREFIX = "wva-e2e";

/** The names one run creates. */
export interface RunNames {
  /** `pr-<number>`, or `run-<id>` without a pull request: what every name carries. */
  key: string;
  /** Helm release of the controller and its VA/HPA, e.g. `wva-e2e-pr-101`. */
  release: string;
  /** Namespace the controller is installed in (created by the run), e.g. `wva-e2e-pr-101`. */
  controllerNamespace: string;
  /** `wva.controllerInstance`: the controller reconciles only VAs with this instance label, and the HPA reads only its metrics. */
  controllerInstance: string;
  /** The load ConfigMap and Job, e.g. `wva-e2e-load-pr-101-1a2b3c` (a new suffix each attempt). */
  load: string;
}

/**
 * The names of a run for pull request `prNumber` (0 = none) or CI run `runId`; `attempt` is
 * this attempt's random id (its last 6 characters go into the load Job name). Throws on a PR
 * number or run id that cannot be part of a Kubernetes name.
 */
export function runNames(o: { prNumber?: number; runId?: string; attempt: string }): RunNames {
  const pr = o.prNumber ?? 0;
  if (!Number.isSafeInteger(pr) || pr < 0) throw new Error(`--pr-number must be a pull request number (or 0 for none), got ${pr}`);
  const runId = (o.runId ?? "").trim().toLowerCase();
  if (runId && !/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/.test(runId)) {
    throw new Error(`--run-id ${JSON.stringify(o.runId)} must be up to 20 letters, digits or '-' (e.g. "$GITHUB_RUN_ID")`);
  }
  const attempt = o.attempt.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (attempt.length < 6) throw new Error(`run attempt id ${JSON.stringify(o.attempt)} is too short`);
  const key = pr > 0 ? `pr-${pr}` : runId ? `run-${runId}` : `run-${attempt}`;
  const base = `${RUN_PREFIX}-${key}`;
  return {
    key,
    release: base,
    controllerNamespace: base,
    controllerInstance: base,
    load: `${RUN_PREFIX}-load-${key}-${attempt.slice(-6)}`,
  };
}

/** What the run installs the chart with. */
export interface DeployOptions {
  imageRepository: string;
  imageTag: string;
  /** Namespace of the model server (llm-d); the chart puts its VA and HPA there. */
  namespace: string;
  /** The llm-d model service (its Helm release name): WVA's chart scales its `<name>-decode` Deployment. */
  modelService: string;
  model: string;
  controllerInstance: string;
  /** The user's extra `key=value`, applied last (they win). */
  helmSet: string[];
}

/**
 * The `--set` values of the run's install (and of the render it reads its target from):
 * the PR's image, the model server's namespace, model service and model, VA and HPA on, a
 * cluster-scoped controller (it runs in its own namespace and watches the model's) with this
 * run's controller instance; then the user's `helmSet`.
 */
export function deployValues(o: DeployOptions): string[] {
  return [
    `wva.image.repository=${o.imageRepository}`,
    `wva.image.tag=${o.imageTag}`,
    `llmd.namespace=${o.namespace}`,
    `llmd.modelName=${o.modelService}`,
    `llmd.modelID=${o.model}`,
    "va.enabled=true",
    "hpa.enabled=true",
    "wva.namespaceScoped=false",
    `wva.controllerInstance=${o.controllerInstance}`,
    ...o.helmSet,
  ];
}

/** The workload the run scales, as the chart's own objects name it. */
export interface ScaleTarget {
  kind: string;
  name: string;
  namespace: string;
  /** The chart's HorizontalPodAutoscaler that scales it. */
  hpa: string;
  /** The chart's VariantAutoscaling for it. */
  va: string;
}

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } };
}

/**
 * Reads the workload from `helm template` output: the one HorizontalPodAutoscaler's
 * scaleTargetRef, which the one VariantAutoscaling must target too (objects without a namespace
 * are in `releaseNamespace`). Throws, naming the objects, when the chart renders none, several, a
 * non-Deployment target, or an HPA and a VA that disagree.
 */
export function scaleTargetOf(manifests: string, releaseNamespace: string): ScaleTarget {
  const docs = parseAllDocuments(manifests)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => !!d && typeof d === "object");
  const ns = (m: Manifest) => m.metadata?.namespace ?? releaseNamespace;
  const hpas = docs.filter((d) => d.kind === "HorizontalPodAutoscaler");
  const vas = docs.filter((d) => d.kind === "VariantAutoscaling");
  const hint = "check the chart's values (the run sets hpa.enabled=true and va.enabled=true; add --helm-set for your chart's own keys)";
  if (hpas.length !== 1) throw new Error(`the chart renders ${hpas.length} HorizontalPodAutoscalers with the run's values; the run needs exactly one: ${hint}`);
  if (vas.length !== 1) throw new Error(`the chart renders ${vas.length} VariantAutoscalings with the run's values; the run needs exactly one: ${hint}`);
  const [hpa] = hpas;
  const [va] = vas;
  const ref = hpa.spec?.scaleTargetRef;
  const hpaName = hpa.metadata?.name ?? "";
  const vaName = va.metadata?.name ?? "";
  if (!ref?.name) throw new Error(`the chart's HPA ${hpaName} has no scaleTargetRef.name`);
  const kind = ref.kind ?? "";
  if (kind !== "Deployment") throw new Error(`the chart's HPA ${hpaName} scales a ${kind || "(no kind)"}; the run checks the readiness of a Deployment`);
  const vaRef = va.spec?.scaleTargetRef;
  const target = `${ns(hpa)}/${kind}/${ref.name}`;
  const vaTarget = `${ns(va)}/${vaRef?.kind ?? "Deployment"}/${vaRef?.name ?? ""}`;
  if (target !== vaTarget) {
    throw new Error(
      `the chart's HPA ${hpaName} scales ${target} but its VariantAutoscaling ${vaName} targets ${vaTarget}; ` +
        "the run would check one workload and optimise another: set the values your chart reads for both (e.g. --helm-set llmd.deploymentName=…)",
    );
  }
  return { kind, name: ref.name, namespace: ns(hpa), hpa: hpaName, va: vaName };
}

/**
 * HPAs of another e2e run (a Helm release named `wva-e2e-…` other than `release`) that already
 * scale `target`, as `hpa (release r)` lines: two runs must not scale one Deployment at once.
 */
export function otherRunsScaling(
  hpaList: { items?: { metadata?: { name?: string; annotations?: Record<string, string> }; spec?: { scaleTargetRef?: { kind?: string; name?: string } } }[] },
  target: Pick<ScaleTarget, "kind" | "name">,
  release: string,
): string[] {
  return (hpaList.items ?? [])
    .filter((h) => (h.spec?.scaleTargetRef?.kind ?? "Deployment") === target.kind && h.spec?.scaleTargetRef?.name === target.name)
    .map((h) => ({ name: h.metadata?.name ?? "", rel: h.metadata?.annotations?.["meta.helm.sh/release-name"] ?? "" }))
    .filter((h) => h.rel.startsWith(`${RUN_PREFIX}-`) && h.rel !== release)
    .map((h) => `${h.name} (release ${h.rel})`);
}

/**
 * The first command of a run: fails, naming --kubeconfig, when the kubeconfig is empty, is not
 * a kubeconfig kubectl can load, or has no current context and server. Prints the context and
 * server (no credentials). Runs with $KUBECONFIG set to the mounted secret file.
 */
export const KUBECONFIG_CHECK = `set -u
fail() { echo "the kubeconfig (--kubeconfig) $1; pass the cluster's kubeconfig, e.g. --kubeconfig file://\\$HOME/.kube/config or env://OPENSHIFT_KUBECONFIG" >&2; exit 1; }
[ -r "$KUBECONFIG" ] || fail "cannot be read"
[ -n "$(tr -d ' \\t\\r\\n' < "$KUBECONFIG")" ] || fail "is empty"
ctx=$(kubectl config current-context 2>&1) || fail "cannot be used: $(printf '%s' "$ctx" | head -n 1)"
server=$(kubectl config view --minify -o 'jsonpath={.clusters[0].cluster.server}' 2>&1) || fail "cannot be used: $(printf '%s' "$server" | head -n 1)"
[ -n "$server" ] || fail "names no cluster server for context $ctx"
echo "context $ctx, server $server"`;
