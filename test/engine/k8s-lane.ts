/**
 * up.sh's Kubernetes builds (envtest's kube-apiserver, kubectl and etcd; the kind node image) run
 * beside the first tiers under `npm test` (WVA_UP_K8S=background): on a cold machine they take
 * about half an hour, and the unit, module, native and cli tiers do not need the node image.
 * up.sh records their state in .state/k8s.status, one line:
 *   building <pid> <log>   running as process <pid>, its output in <log>
 *   ok                     everything built and pushed (.state/k8s.json, .state/kind-node.json)
 *   failed <log>           a build failed, or down.sh stopped it
 * No dagger import here: the unit tier tests this on files of its own.
 */
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Gives up after this long (default 50 min: a cold node image build under load). */
  timeoutMs?: number;
  pollMs?: number;
  /** Called every `progressMs` (default a minute) while waiting, with the seconds waited. */
  progress?: (seconds: number) => void;
  progressMs?: number;
}

/** Whether process `pid` runs (signal 0 reaches it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The last lines of `log`, for an error message. */
function tail(log: string | undefined, lines = 25): string {
  if (!log || !existsSync(log)) return "(no log)";
  return readFileSync(log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** The status at `statusPath` as words (`["ok"]`, `["building", pid, log]`, …); none when it is missing. */
export function k8sStatus(statusPath: string): string[] {
  return existsSync(statusPath) ? readFileSync(statusPath, "utf8").trim().split(/\s+/) : [];
}

/**
 * Resolves once the status at `statusPath` says ok; rejects, with the end of the builds' log, when
 * it says failed, when the building process is gone without saying either, or after the timeout.
 */
export async function waitForK8s(statusPath: string, options: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 50 * 60_000, pollMs = 2_000, progress, progressMs = 60_000 } = options;
  const started = Date.now();
  let reported = 0;
  for (;;) {
    const [state, ...rest] = k8sStatus(statusPath);
    if (state === undefined) {
      throw new Error(`${statusPath} is missing: bring the engine up first with \`bash test/engine/up.sh\``);
    }
    if (state === "ok") return;
    if (state === "failed") {
      throw new Error(`up.sh's Kubernetes builds (envtest, kind node image) failed; the end of ${rest[0] ?? "their log"}:\n${tail(rest[0])}`);
    }
    if (state !== "building") throw new Error(`${statusPath}: unknown state "${state}"`);
    const [pid, log] = [Number(rest[0]), rest[1]];
    if (!alive(pid)) {
      // it may have written its last state between the two reads
      if (k8sStatus(statusPath)[0] === "building") {
        throw new Error(`up.sh's Kubernetes builds (pid ${pid}) ended without a result; the end of ${log}:\n${tail(log)}`);
      }
      continue;
    }
    const waited = Date.now() - started;
    if (waited > timeoutMs) {
      throw new Error(`up.sh's Kubernetes builds still running after ${Math.round(waited / 1000)} s; the end of ${log}:\n${tail(log)}`);
    }
    if (progress && waited - reported >= progressMs) {
      reported = waited;
      progress(Math.round(waited / 1000));
    }
    await sleep(pollMs);
  }
}
