/**
 * The repository's own e2e, as data: which Makefile target runs it, whether that target sets up
 * its own cluster (then the module runs it in the e2e runner instead of its own Kind cluster),
 * the make command line and environment, the runner's script, and what a failed run's output
 * says. Pure functions, no Dagger.
 */
import { assertGoDuration, shellJoin, shellQuote } from "./e2e-scripts.js";

/** A Makefile rule: its prerequisites and recipe lines (tab-indented, joined continuations). */
export interface MakeRule {
  prerequisites: string[];
  recipe: string[];
}

/**
 * The explicit rules of a Makefile, target → rule (the first definition with a recipe wins;
 * `.PHONY` and pattern rules are left out). Good enough for Kubebuilder-style Makefiles.
 */
export function makeRules(makefile: string): Record<string, MakeRule> {
  const rules: Record<string, MakeRule> = {};
  const lines = makefile.split(/\r?\n/);
  let current: MakeRule | undefined;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.startsWith("\t")) {
      if (!current) continue;
      while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i].trim();
      current.recipe.push(line.trim());
      continue;
    }
    current = undefined;
    // `target [target…]: prerequisites [## help]`, not a variable assignment (`:=`, `::=`)
    const m = /^([A-Za-z0-9_.%/-]+(?:\s+[A-Za-z0-9_.%/-]+)*)\s*:(?![:=])\s*([^#=]*?)\s*(?:##.*)?$/.exec(line);
    if (!m) continue;
    for (const target of m[1].split(/\s+/)) {
      if (target.startsWith(".") || target.includes("%")) continue;
      const rule = { prerequisites: m[2].split(/\s+/).filter(Boolean), recipe: [] as string[] };
      if (!rules[target] || rules[target].recipe.length === 0) rules[target] = rule;
      current = rules[target];
    }
  }
  return rules;
}

/** Targets that are a repository's e2e entry point, most specific first (WVA's CI runs the first). */
export const E2E_TARGETS = ["test-e2e-smoke-with-setup", "test-e2e"] as const;

/** What the module runs for a repository's e2e. */
export interface RepoE2ePlan {
  /** The make target, or undefined when the Makefile has none of E2E_TARGETS (and none was asked for). */
  target?: string;
  /** true when that target (or a target it depends on) creates its own Kind cluster: run it in the e2e runner. */
  ownSetup: boolean;
  /** Why, in one line (shown in the run's log). */
  reason: string;
}

/** Recipe text of `target` and every target it depends on (transitively), for reading what it does. */
function recipeClosure(rules: Record<string, MakeRule>, target: string, seen = new Set<string>()): string[] {
  if (seen.has(target) || !rules[target]) return [];
  seen.add(target);
  return [...rules[target].recipe, ...rules[target].prerequisites.flatMap((p) => recipeClosure(rules, p, seen))];
}

/**
 * Reads a Makefile for the repository's e2e: `target` when given (it must exist), else the first
 * of E2E_TARGETS it defines. The target sets up its own cluster when it is a `*-with-setup`
 * target or its recipes (with its prerequisites') create a Kind cluster, call `kind` or WVA's
 * kind-emulator scripts; otherwise (e.g. a `test-e2e` that needs a deployed controller) the
 * module's own Kind cluster runs the tests.
 */
export function repoE2ePlan(makefile: string | undefined, target = ""): RepoE2ePlan {
  if (makefile === undefined) {
    if (target) throw new Error(`e2e target ${JSON.stringify(target)} asked for, but the repository has no Makefile`);
    return { ownSetup: false, reason: "no Makefile: the module's Kind cluster runs the e2e tests" };
  }
  const rules = makeRules(makefile);
  if (target && !rules[target]) throw new Error(`the Makefile has no target ${JSON.stringify(target)} (e2e targets it has: ${Object.keys(rules).filter((t) => t.includes("e2e")).join(", ") || "none"})`);
  const chosen = target || E2E_TARGETS.find((t) => rules[t]);
  if (!chosen) return { ownSetup: false, reason: `the Makefile has no ${E2E_TARGETS.join(" or ")} target: the module's Kind cluster runs the e2e tests` };
  const text = recipeClosure(rules, chosen).join("\n");
  const creates = /\bkind\s+create\s+cluster\b|\$\(KIND\)|\$\{KIND\}|\bkind-emulator\b|\bCREATE_CLUSTER\b/.test(text);
  if (chosen.endsWith("-with-setup") || creates) {
    return { target: chosen, ownSetup: true, reason: `Makefile target ${chosen} sets up its own Kind cluster: it runs in the e2e runner` };
  }
  return { target: chosen, ownSetup: false, reason: `Makefile target ${chosen} sets up no cluster: the module's Kind cluster runs the e2e tests` };
}

/** What WVA's CI sets for `make test-e2e-smoke-with-setup` on Kind (ci-pr-checks.yaml), given IMG. */
export function repoE2eDefaultEnv(img: string): Record<string, string> {
  return {
    ENVIRONMENT: "kind-emulator",
    USE_SIMULATOR: "true",
    SCALE_TO_ZERO_ENABLED: "false",
    CREATE_CLUSTER: "true",
    INSTALL_GATEWAY_CTRLPLANE: "true",
    E2E_TESTS_ENABLED: "true",
    IMG: img,
    SKIP_BUILD: "true",
    PROMETHEUS_ADAPTER_WAIT: "false",
    DELETE_CLUSTER: "false",
  };
}

/** `KEY=VALUE` strings into a map; throws on a malformed entry or a name a shell cannot export. */
export function parseEnv(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(e);
    if (!m) throw new Error(`--env ${JSON.stringify(e)} must be KEY=VALUE`);
    out[m[1]] = m[2];
  }
  return out;
}

/** How a run narrows the repository's ginkgo suite. */
export interface GinkgoFilter {
  focus?: string;
  skip?: string;
  labelFilter?: string;
}

/**
 * The make command line: `make <target>` with FOCUS/SKIP (which WVA's e2e targets turn into
 * -ginkgo.focus/-ginkgo.skip) and, for a label filter, FOCUS_ARGS: WVA's targets splice
 * $(FOCUS_ARGS) after their own -ginkgo.label-filter, and the last flag wins. A label filter on a
 * target whose recipes have no $(FOCUS_ARGS) is refused rather than silently ignored.
 */
export function makeCommand(makefile: string, target: string, f: GinkgoFilter = {}): string[] {
  const cmd = ["make", target];
  if (f.focus) cmd.push(`FOCUS=${f.focus}`);
  if (f.skip) cmd.push(`SKIP=${f.skip}`);
  if (f.labelFilter) {
    const text = recipeClosure(makeRules(makefile), target).join("\n");
    if (!/\$\(FOCUS_ARGS\)/.test(text)) {
      throw new Error(`Makefile target ${target} passes no $(FOCUS_ARGS) to ginkgo: a label filter cannot reach its tests (choose a target instead)`);
    }
    const focus = f.focus ? ` -ginkgo.focus=${f.focus}` : "";
    cmd.push(`FOCUS_ARGS=-ginkgo.label-filter=${f.labelFilter}${focus}`);
  }
  return cmd;
}

/** What the runner's script needs. */
export interface RunnerScriptOptions {
  /** The make command line. */
  make: string[];
  /** Environment for make, on top of the container's. */
  env: Record<string, string>;
  /** The node image name kind's configs use, and the tarball holding it. */
  nodeImage: string;
  nodeTarball: string;
  /** The controller image name the target is given (IMG), and its tarball. */
  img: string;
  imgTarball: string;
  /** Namespaces whose resources, events and pod logs are collected after the run. */
  namespaces: string[];
  /** Seconds make may run. */
  timeoutSeconds: number;
  /** Where the exit code, make's output and the diagnostics go. */
  outDir: string;
}

/**
 * The runner's whole run, in one bash script (its Docker daemon lives as long as the script):
 * start dockerd on the container's own loopback (so kind's kubeconfig on 127.0.0.1 works), put
 * the node image and the controller image into it, run make with the environment, then collect
 * diagnostics of every kind cluster make left (kind export logs, docker state, and through the
 * current kubeconfig nodes, events, resources and pod logs). Always exits 0: make's exit code is
 * in <out>/exit-code, its output in <out>/make.log, the diagnostics in <out>/diagnostics.
 */
export function runnerScript(o: RunnerScriptOptions): string {
  const out = shellQuote(o.outDir);
  const exports = Object.entries(o.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  const load = (tarball: string, ref: string) => [
    `if ! docker image inspect ${shellQuote(ref)} >/dev/null 2>&1; then`,
    `  loaded=$(docker load -i ${shellQuote(tarball)})`,
    `  src=$(echo "$loaded" | sed -n 's/^Loaded image: //p; s/^Loaded image ID: //p' | tail -n 1)`,
    `  docker tag "$src" ${shellQuote(ref)}`,
    "fi",
    `printf 'runner: %s in the Docker daemon\\n' ${shellQuote(ref)}`,
  ];
  return [
    "set -u",
    `out=${out}`,
    'mkdir -p "$out/diagnostics/kind-logs"',
    'echo 125 > "$out/exit-code"',
    // the daemon: the image's entrypoint (with this host's fixes, when it has them), on its own socket only
    "(dockerd-entrypoint.sh dockerd --host=unix:///var/run/docker.sock > \"$out/diagnostics/dockerd.log\" 2>&1 &)",
    "for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done",
    'docker info >/dev/null 2>&1 || { echo "runner: the Docker daemon did not start:" >&2; tail -20 "$out/diagnostics/dockerd.log" >&2; exit 0; }',
    ...load(o.nodeTarball, o.nodeImage),
    ...load(o.imgTarball, o.img),
    ...exports,
    `printf 'runner: $ %s\\n' ${shellQuote(shellJoin(o.make))}`,
    `timeout ${o.timeoutSeconds} ${shellJoin(o.make)} 2>&1 | tee "$out/make.log"`,
    'echo "${PIPESTATUS[0]}" > "$out/exit-code"',
    // diagnostics: never fail
    "set +e",
    'd="$out/diagnostics"',
    'docker ps -a > "$d/docker-ps.txt" 2>&1',
    'docker images > "$d/docker-images.txt" 2>&1',
    "for c in $(kind get clusters 2>/dev/null); do",
    '  kind export logs "$d/kind-logs/$c" --name "$c" > /dev/null 2>&1',
    "done",
    'kubectl config current-context > "$d/kube-context.txt" 2>&1',
    'kubectl get nodes -o wide --show-labels > "$d/nodes.txt" 2>&1',
    'kubectl get pods -A -o wide > "$d/pods.txt" 2>&1',
    'kubectl get events -A --sort-by=.lastTimestamp > "$d/events.txt" 2>&1',
    'helm list -A > "$d/helm-releases.txt" 2>&1',
    `for ns in ${o.namespaces.map(shellQuote).join(" ")}; do`,
    '  kubectl get all -n "$ns" -o wide > "$d/$ns-resources.txt" 2>&1',
    '  kubectl describe pods -n "$ns" > "$d/$ns-describe.txt" 2>&1',
    '  mkdir -p "$d/logs"',
    `  for pod in $(kubectl get pods -n "$ns" -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do`,
    '    kubectl logs -n "$ns" "$pod" --all-containers --prefix --tail=10000 > "$d/logs/$ns-$pod.log" 2>&1',
    "  done",
    "done",
    "exit 0",
  ].join("\n");
}

/** Terminal colour codes (`\x1b[0;31m`), which WVA's scripts print around their log levels. */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/**
 * Why a make run failed, in one line: the make target that failed (`make: *** [Makefile:197:
 * deploy-e2e-infra] Error 1`, innermost) and, before it, the last failed test (`--- FAIL: …`,
 * ginkgo's `[FAIL] …`), else the last line that reads as an error (`[ERROR] …`, `Error: …`,
 * `ERROR: …`, `FAIL …`, `fatal: …`).
 */
export function makeFailureReason(log: string): { target?: string; error?: string } {
  const lines = stripAnsi(log).split("\n").map((l) => l.trim()).filter(Boolean);
  const makeLine = /^make(?:\[\d+\])?: \*\*\* \[(?:[^\]:]*:\d+: )?([^\]]+)\] Error \d+/;
  const first = lines.findIndex((l) => makeLine.test(l));
  const target = first >= 0 ? makeLine.exec(lines[first])![1] : undefined;
  const before = first >= 0 ? lines.slice(0, first) : lines;
  const reversed = [...before].reverse();
  // a failed test says which; otherwise the last line that reads as an error
  const error =
    reversed.find((l) => /^(--- FAIL:|\[FAIL\])/.test(l)) ?? reversed.find((l) => /^(\[ERROR\]|error\b|fatal\b|FAIL\b)/i.test(l));
  return { target, error };
}

/** Seconds of a Go duration (`60m`, `1h30m`, `90s`), at least 1. */
export function goDurationSeconds(d: string): number {
  let total = 0;
  for (const [, n, unit] of assertGoDuration(d).matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    total += Number(n) * { h: 3600, m: 60, s: 1, ms: 0.001 }[unit as "h" | "m" | "s" | "ms"];
  }
  return Math.max(1, Math.ceil(total));
}
