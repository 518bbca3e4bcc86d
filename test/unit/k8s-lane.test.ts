import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { k8sStatus, waitForK8s } from "../engine/k8s-lane.js";

const dir = mkdtempSync(join(tmpdir(), "wva-k8s-lane-"));
let n = 0;
/** A status file (and a log) of their own for each test. */
function lane(status?: string, log = "building kube-apiserver\nkubelet: compile error\n") {
  n += 1;
  const statusPath = join(dir, `k8s-${n}.status`);
  const logPath = join(dir, `k8s-${n}.log`);
  writeFileSync(logPath, log);
  if (status !== undefined) writeFileSync(statusPath, status.replace("<log>", logPath));
  return { statusPath, logPath };
}
/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync("true").pid!;
}

describe("reading k8s.status", () => {
  it("gives its words, and none when the file is missing", () => {
    expect(k8sStatus(lane("building 42 /tmp/k8s.log\n").statusPath)).toEqual(["building", "42", "/tmp/k8s.log"]);
    expect(k8sStatus(lane("ok\n").statusPath)).toEqual(["ok"]);
    expect(k8sStatus(lane().statusPath)).toEqual([]);
  });
});

describe("waiting for up.sh's Kubernetes builds (k8s.status)", () => {
  it("returns at once when they are done", async () => {
    await expect(waitForK8s(lane("ok\n").statusPath)).resolves.toBeUndefined();
  });

  it("waits while they build, then returns when the status turns ok", async () => {
    const { statusPath, logPath } = lane();
    writeFileSync(statusPath, `building ${process.pid} ${logPath}\n`);
    const start = Date.now();
    setTimeout(() => writeFileSync(statusPath, "ok\n"), 300);
    await waitForK8s(statusPath, { pollMs: 20 });
    expect(Date.now() - start).toBeGreaterThanOrEqual(280);
  });

  it("fails with the end of their log when they failed", async () => {
    const { statusPath, logPath } = lane("failed <log>\n");
    await expect(waitForK8s(statusPath)).rejects.toThrow(`failed; the end of ${logPath}:\nbuilding kube-apiserver\nkubelet: compile error`);
  });

  it("fails when the building process is gone without a result, instead of waiting out the timeout", async () => {
    const { statusPath, logPath } = lane();
    const pid = deadPid();
    writeFileSync(statusPath, `building ${pid} ${logPath}\n`);
    const start = Date.now();
    await expect(waitForK8s(statusPath, { pollMs: 20 })).rejects.toThrow(`(pid ${pid}) ended without a result`);
    expect(Date.now() - start).toBeLessThan(2_000);
  });

  it("gives up after the timeout, saying where the log is", async () => {
    const { statusPath, logPath } = lane();
    writeFileSync(statusPath, `building ${process.pid} ${logPath}\n`);
    await expect(waitForK8s(statusPath, { timeoutMs: 100, pollMs: 20 })).rejects.toThrow(`still running after 0 s; the end of ${logPath}`);
  });

  it("says to bring the engine up when there is no status at all", async () => {
    await expect(waitForK8s(lane().statusPath)).rejects.toThrow("bring the engine up first with `bash test/engine/up.sh`");
  });

  it("reports how long it has waited while they build", async () => {
    const { statusPath, logPath } = lane();
    writeFileSync(statusPath, `building ${process.pid} ${logPath}\n`);
    const seen: number[] = [];
    setTimeout(() => writeFileSync(statusPath, "ok\n"), 1_300);
    await waitForK8s(statusPath, { pollMs: 20, progressMs: 500, progress: (s) => seen.push(s) });
    // reports at ~0.5 s and ~1 s (more if the machine is slow), each after half a second or more
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((s) => s >= 1)).toBe(true);
  });
});
