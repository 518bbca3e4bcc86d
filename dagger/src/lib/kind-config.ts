/**
 * The Kind cluster the hermetic e2e creates, as data: its `kind.x-k8s.io/v1alpha4` config and
 * the kubeconfig rewrite that makes the API server reachable through a Dagger service alias.
 * Pure functions, no Dagger.
 */
import { parse, parseDocument, stringify } from "yaml";

/** What the Kind config is made from. */
export interface KindConfigOptions {
  /** Node image for every node, e.g. `kindest/node:v1.32.0`. */
  nodeImage: string;
  /** Worker nodes besides the one control plane. */
  workers: number;
  /** Hostname other containers use to reach the API server (the Docker daemon service's alias). */
  alias: string;
  /** Port the API server is published on, on every address of the Docker daemon's host. */
  apiServerPort: number;
  /** Kubernetes feature gates for the whole cluster (e.g. `HPAScaleToZero: true`). */
  featureGates?: Record<string, boolean>;
}

/**
 * Feature gates from `Name=true|false` strings (the form kubeadm's and kind's `--feature-gates`
 * take) into kind's `featureGates` map. Throws on anything else, naming the bad entry.
 */
export function parseFeatureGates(gates: string[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const g of gates) {
    const m = /^([A-Z][A-Za-z0-9]*)=(true|false)$/.exec(g.trim());
    if (!m) throw new Error(`feature gate ${JSON.stringify(g)} must look like Name=true or Name=false (e.g. HPAScaleToZero=true)`);
    out[m[1]] = m[2] === "true";
  }
  return out;
}

/** The cluster's name in kubeconfig contexts: Kind prefixes the cluster name with `kind-`. */
export function kindContext(clusterName: string): string {
  return `kind-${clusterName}`;
}

/**
 * A Kind cluster config: one control plane plus `workers` workers, all on the pinned node
 * image; the API server listens on 0.0.0.0 and its certificate also names `alias`.
 */
export function kindConfig(o: KindConfigOptions): Record<string, unknown> {
  if (!Number.isInteger(o.workers) || o.workers < 0) throw new Error(`workers must be a whole number ≥ 0, got ${o.workers}`);
  if (!o.nodeImage.includes(":") && !o.nodeImage.includes("@")) {
    throw new Error(`node image ${JSON.stringify(o.nodeImage)} must be pinned (name:tag or name@digest)`);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.alias)) throw new Error(`alias ${JSON.stringify(o.alias)} is not a valid hostname`);
  if (!Number.isInteger(o.apiServerPort) || o.apiServerPort < 1 || o.apiServerPort > 65535) {
    throw new Error(`apiServerPort must be a port number, got ${o.apiServerPort}`);
  }
  // kubeadm merges this into its ClusterConfiguration: the serving certificate must name the
  // alias, or clients that dial https://<alias>:<port> reject it.
  const certSans = stringify({
    kind: "ClusterConfiguration",
    apiServer: { certSANs: [o.alias, "localhost", "127.0.0.1", "0.0.0.0"] },
  });
  const config: Record<string, unknown> = {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    networking: { apiServerAddress: "0.0.0.0", apiServerPort: o.apiServerPort },
    nodes: [
      { role: "control-plane", image: o.nodeImage, kubeadmConfigPatches: [certSans] },
      ...Array.from({ length: o.workers }, () => ({ role: "worker", image: o.nodeImage })),
    ],
  };
  if (o.featureGates && Object.keys(o.featureGates).length) config.featureGates = o.featureGates;
  return config;
}

/** The Kind config as YAML, ready for `kind create cluster --config`. */
export function kindConfigYaml(o: KindConfigOptions): string {
  return stringify(kindConfig(o));
}

/**
 * Points every cluster of a kubeconfig at `server` (e.g. `https://kind:6443`), keeping the rest
 * (credentials, CA) as Kind wrote it. Throws when the kubeconfig has no cluster.
 */
export function rewriteKubeconfigServer(kubeconfig: string, server: string): string {
  if (!/^https:\/\/[^/\s]+$/.test(server)) throw new Error(`server must look like https://host:port, got ${JSON.stringify(server)}`);
  const doc = parseDocument(kubeconfig);
  const clusters = doc.get("clusters") as { items?: unknown[] } | undefined;
  const items = (clusters?.items ?? []) as { getIn(p: string[]): unknown; setIn(p: string[], v: unknown): void }[];
  if (items.length === 0) throw new Error("the kubeconfig has no clusters");
  for (const c of items) c.setIn(["cluster", "server"], server);
  return doc.toString();
}

/** The server URLs of a kubeconfig's clusters (for checks). */
export function kubeconfigServers(kubeconfig: string): string[] {
  const kc = parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
  return (kc.clusters ?? []).map((c) => c.cluster?.server ?? "");
}

/** Node names from `kubectl get nodes -o json`, control plane(s) first, then by name. */
export function nodeNames(json: string): string[] {
  const list = JSON.parse(json) as { items?: { metadata?: { name?: string; labels?: Record<string, string> } }[] };
  const items = (list.items ?? []).map((n) => ({
    name: n.metadata?.name ?? "",
    cp: "node-role.kubernetes.io/control-plane" in (n.metadata?.labels ?? {}),
  }));
  items.sort((a, b) => Number(b.cp) - Number(a.cp) || a.name.localeCompare(b.name));
  return items.map((i) => i.name);
}
