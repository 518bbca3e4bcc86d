/**
 * Shell scripts the e2e containers run: creating the Kind cluster, loading the controller image,
 * running the e2e tests with the controller port-forwarded, and collecting diagnostics.
 * Every value that reaches a script is either validated or shell-quoted. Pure functions, no Dagger.
 */
import { randomBytes } from "node:crypto";

/**
 * A fresh id per run (`<base36 time>-<6 hex>`). Put into every exec of a run, it keeps Dagger from
 * reusing a cached step of an earlier run, whose cluster state is gone.
 */
export function newRunId(now: number = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(3).toString("hex")}`;
}

/** Quotes one word for POSIX sh. */
export function shellQuote(s: string): string {
  if (s !== "" && /^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

/** A command line from an argument list, each argument quoted as needed. */
export function shellJoin(args: string[]): string {
  return args.map(shellQuote).join(" ");
}

/** Throws unless `name` is a DNS-1123 label (namespaces, cluster and release names). */
export function assertDnsLabel(name: string, what: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new Error(`${what} ${JSON.stringify(name)} must be a DNS label (lowercase letters, digits, '-')`);
  }
  return name;
}

/** Go's duration syntax (`30m`, `1h30m`, `90s`), as `go test -timeout` takes it. */
export function assertGoDuration(d: string, what = "timeout"): string {
  if (!/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(d)) throw new Error(`${what} ${JSON.stringify(d)} is not a Go duration like 30m or 1h30m`);
  return d;
}

/**
 * Creates the Kind cluster from the config at `configPath` (deleting a leftover one of the same
 * name first: the Docker daemon's storage may outlive a run), writes its kubeconfig and lists the
 * nodes through `server` (the daemon's alias and the API server port). A cluster
 * that fails to come up is kept (`--retain`) so that `kind export logs` can collect its nodes' logs.
 */
export function kindCreateScript(o: { cluster: string; configPath: string; kubeconfigPath: string; wait: string; server: string }): string {
  assertDnsLabel(o.cluster, "cluster name");
  if (!/^https:\/\/[a-z0-9.-]+:\d+$/.test(o.server)) throw new Error(`server must look like https://host:port, got ${JSON.stringify(o.server)}`);
  return [
    "set -eu",
    `kind delete cluster --name ${o.cluster} >/dev/null 2>&1 || true`,
    `kind create cluster --name ${o.cluster} --config ${shellQuote(o.configPath)} --kubeconfig ${shellQuote(o.kubeconfigPath)} --retain --wait ${shellQuote(assertGoDuration(o.wait, "wait"))}`,
    // kind's kubeconfig names the address the daemon publishes on (0.0.0.0): from here it is the daemon's alias
    `kubectl --kubeconfig ${shellQuote(o.kubeconfigPath)} --server ${o.server} get nodes -o wide`,
  ].join("\n");
}

/** Runs commands in order, stopping at the first failure (`set -eu`). */
export function commandsScript(commands: string[][]): string {
  return ["set -eu", ...commands.map(shellJoin)].join("\n");
}

/**
 * Loads an OCI/Docker image tarball into every Kind node under `ref`: `docker load` into the
 * Docker daemon (whatever name the tarball carries, or none), `docker tag`, `kind load docker-image`.
 */
export function kindLoadImageScript(o: { cluster: string; tarball: string; ref: string }): string {
  assertDnsLabel(o.cluster, "cluster name");
  return [
    "set -eu",
    `loaded=$(docker load -i ${shellQuote(o.tarball)})`,
    'echo "$loaded"',
    `src=$(echo "$loaded" | sed -n 's/^Loaded image: //p; s/^Loaded image ID: //p' | tail -n 1)`,
    `[ -n "$src" ] || { echo "docker load named no image" >&2; exit 1; }`,
    `docker tag "$src" ${shellQuote(o.ref)}`,
    `kind load docker-image ${shellQuote(o.ref)} --name ${o.cluster}`,
  ].join("\n");
}

/**
 * Makes the Docker daemon hold the kind node image under `ref` (the name kind's config gives
 * every node), so `kind create cluster` finds it locally and never pulls: prints `present` when
 * the daemon already has it, otherwise `docker load`s the tarball the engine wrote (which may
 * carry no name) and tags the loaded image as `ref`, printing `loaded`.
 */
export function nodeImageLoadScript(o: { ref: string; tarball?: string }): string {
  const ref = shellQuote(o.ref);
  const check = `docker image inspect ${ref} >/dev/null 2>&1`;
  if (!o.tarball) return `if ${check}; then echo present; else echo absent; fi`;
  return [
    "set -eu",
    `if ${check}; then echo present; exit 0; fi`,
    `loaded=$(docker load -i ${shellQuote(o.tarball)})`,
    `src=$(echo "$loaded" | sed -n 's/^Loaded image: //p; s/^Loaded image ID: //p' | tail -n 1)`,
    `[ -n "$src" ] || { echo "docker load named no image: $loaded" >&2; exit 1; }`,
    `docker tag "$src" ${ref}`,
    "echo loaded",
  ].join("\n");
}

/** What the e2e test script needs. */
export interface E2eTestScriptOptions {
  /** Namespace of the controller. */
  namespace: string;
  /** Label selector of the controller's pod. */
  selector: string;
  /** Port the controller serves /healthz and /metrics on. */
  port: number;
  /** Local port the port-forward listens on (WVA_E2E_URL points at it). */
  localPort: number;
  /** The go test command line. */
  goTest: string[];
  /** File the test output is copied to. */
  outputFile: string;
}

/**
 * Port-forwards the controller's pod to localhost, waits until /healthz answers, then runs the
 * e2e tests with WVA_E2E_URL pointing at it; exits with go test's status.
 */
export function e2eTestScript(o: E2eTestScriptOptions): string {
  assertDnsLabel(o.namespace, "namespace");
  const url = `http://127.0.0.1:${o.localPort}`;
  return [
    "set -u",
    `pod=$(kubectl -n ${o.namespace} get pods -l ${shellQuote(o.selector)} -o jsonpath='{.items[0].metadata.name}')`,
    `[ -n "$pod" ] || { echo "no controller pod matches ${o.selector.replaceAll('"', "")} in ${o.namespace}" | tee ${shellQuote(o.outputFile)} >&2; exit 3; }`,
    `kubectl -n ${o.namespace} port-forward "pod/$pod" ${o.localPort}:${o.port} > /tmp/port-forward.log 2>&1 &`,
    "pf=$!",
    `export WVA_E2E_URL=${url}`,
    "ready=",
    "for i in $(seq 1 60); do",
    `  if curl -fsS -o /dev/null ${url}/healthz; then ready=1; break; fi`,
    "  sleep 1",
    "done",
    `[ -n "$ready" ] || { echo "the controller did not answer on ${url}/healthz through the port-forward:"; cat /tmp/port-forward.log; } >&2`,
    `${shellJoin(o.goTest)} 2>&1 | tee ${shellQuote(o.outputFile)}`,
    "rc=${PIPESTATUS[0]}",
    'kill "$pf" 2>/dev/null || true',
    'exit "$rc"',
  ].join("\n");
}

/** Where diagnostics come from and go to. */
export interface DiagnosticsOptions {
  /** Namespaces whose resources, descriptions and pod logs are collected. */
  namespaces: string[];
  /** Directory the files are written to. */
  outDir: string;
  /** Kind cluster to run `kind export logs` on (Kind runs only). */
  kindCluster?: string;
}

/**
 * Collects what someone debugging a failed run looks at first: nodes, pods, events, Helm
 * releases, per namespace the resources (incl. VariantAutoscalings and HPAs), `kubectl describe`
 * output and every pod's logs (current and previous). Never fails: each step is best effort.
 */
export function diagnosticsScript(o: DiagnosticsOptions): string {
  for (const ns of o.namespaces) assertDnsLabel(ns, "namespace");
  if (o.kindCluster) assertDnsLabel(o.kindCluster, "cluster name");
  const out = shellQuote(o.outDir);
  const lines = [
    "set +e",
    `out=${out}`,
    'mkdir -p "$out/logs"',
    'kubectl version > "$out/version.txt" 2>&1',
    'kubectl get nodes -o wide --show-labels > "$out/nodes.txt" 2>&1',
    'kubectl get nodes -o json > "$out/nodes.json" 2>/dev/null || rm -f "$out/nodes.json"',
    'kubectl describe nodes > "$out/describe-nodes.txt" 2>&1',
    'kubectl get pods -A -o wide > "$out/pods.txt" 2>&1',
    'kubectl get events -A --sort-by=.lastTimestamp > "$out/events.txt" 2>&1',
    'helm list -A > "$out/helm-releases.txt" 2>&1',
    `for ns in ${o.namespaces.join(" ")}; do`,
    '  kubectl get all,hpa,configmaps,variantautoscalings.llmd.ai -n "$ns" -o wide > "$out/$ns-resources.txt" 2>&1',
    '  kubectl get variantautoscalings.llmd.ai,hpa -n "$ns" -o yaml > "$out/$ns-autoscaling.yaml" 2>&1',
    '  kubectl describe deployments,statefulsets,pods,hpa,jobs -n "$ns" > "$out/$ns-describe.txt" 2>&1',
    '  kubectl get events -n "$ns" --sort-by=.lastTimestamp > "$out/$ns-events.txt" 2>&1',
    '  kubectl get deployments,pods -n "$ns" -o json > "$out/$ns-workloads.json" 2>/dev/null || rm -f "$out/$ns-workloads.json"',
    `  for pod in $(kubectl get pods -n "$ns" -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do`,
    '    kubectl logs -n "$ns" "$pod" --all-containers --prefix --tail=10000 > "$out/logs/$ns-$pod.log" 2>&1',
    '    kubectl logs -n "$ns" "$pod" --all-containers --prefix --previous --tail=10000 > "$out/logs/$ns-$pod.previous.log" 2>/dev/null || rm -f "$out/logs/$ns-$pod.previous.log"',
    "  done",
    "done",
  ];
  if (o.kindCluster) lines.push(`kind export logs "$out/kind-logs" --name ${o.kindCluster} > /dev/null 2>&1`);
  lines.push("exit 0");
  return lines.join("\n");
}

/** The first line of an error's message. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * Why a step failed, in one line. For a failed exec (whose message is only "exit code: 1 …"), the
 * last line of its stderr that reads as an error (`ERROR: …`, `Error: …`, `fatal: …`), else its last
 * stderr line; for anything else, the message's first line.
 */
export function failureReason(e: unknown): string {
  const stderr = (e as { stderr?: unknown }).stderr;
  const lines = (typeof stderr === "string" ? stderr : "").split("\n").map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => /^(error|fatal)\b/i.test(l)) ?? lines.at(-1) ?? firstLine(e);
}

/** An error's message with the stdout/stderr an exec error carries. */
export function errorDetail(e: unknown): string {
  const x = e as { message?: string; stdout?: string; stderr?: string };
  return [x.message ?? String(e), x.stdout, x.stderr].filter((s) => s && s.trim()).join("\n");
}
