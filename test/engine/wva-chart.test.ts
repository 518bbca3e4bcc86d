/**
 * WVA's real chart and the OpenShift run's kubeconfig check through the real engine, on a scratch
 * copy of WVA's tree, with the module's default images (served by the local registry):
 * - the chart stage passes (helm lint, render; no helm-docs: the chart has no README.md.gotmpl);
 * - chart-for-release v0.5.1 keeps README.md byte for byte and changes exactly four lines;
 * - the released files are only Chart.yaml and values.yaml;
 * - the kubeconfig check, with the real kubectl of the tools image: an empty or broken kubeconfig
 *   fails first, naming --kubeconfig; a usable one passes it (and the run then fails on the
 *   unreachable cluster as a step, not as bad input).
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import { OpenShift } from "../../dagger/src/openshift.js";
import { upstreamCopy } from "../upstream.js";
import { localWva, onEngine } from "./engine.js";

const CHART = "charts/workload-variant-autoscaler";
const tree = upstreamCopy();
const REPO = "ghcr.io/llm-d-incubation/workload-variant-autoscaler";

/** Lines of `after` that differ from `before` (same number of lines). */
function changed(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((l, i) => (l === b[i] ? [] : [[l, b[i]] as [string, string]]));
}

describe("WVA's chart on the real engine", () => {
  it("the chart stage passes", async () => {
    await onEngine(() => localWva(tree).helmLint());
  });

  it("chart-for-release v0.5.1: README.md byte-identical, exactly the four release lines changed, only Chart.yaml and values.yaml released", async () => {
    const out = mkdtempSync(join(tmpdir(), "wva-released-"));
    const released = await onEngine(async () => {
      const w = localWva(tree);
      await (await w.chartForRelease("v0.5.1", REPO)).export(out);
      const chart = await (await w.chart()).withRelease("v0.5.1", REPO);
      return { names: await chart.releasedFileNames(), entries: await (await chart.releasedFiles()).entries() };
    });
    const src = join(tree, CHART);
    expect(readFileSync(join(out, "README.md")).equals(readFileSync(join(src, "README.md")))).toBe(true);
    expect(readdirSync(out).sort()).toEqual(readdirSync(src).sort());
    expect(changed(readFileSync(join(src, "Chart.yaml"), "utf8"), readFileSync(join(out, "Chart.yaml"), "utf8"))).toEqual([
      ["version: 0.5.0", "version: 0.5.1"],
      ['appVersion: "v0.5.0"', 'appVersion: "v0.5.1"'],
    ]);
    expect(changed(readFileSync(join(src, "values.yaml"), "utf8"), readFileSync(join(out, "values.yaml"), "utf8"))).toEqual([
      ["    repository: ghcr.io/llm-d/llm-d-workload-variant-autoscaler", `    repository: ${REPO}`],
      ["    tag: v0.5.0", '    tag: "v0.5.1"'],
    ]);
    expect(released.names).toEqual(["Chart.yaml", "values.yaml"]);
    expect(released.entries.sort()).toEqual(["Chart.yaml", "values.yaml"]);
  });
});

describe("the OpenShift run's kubeconfig check, with the tools image's real kubectl", () => {
  const run = (kubeconfig: string) =>
    onEngine(async () => {
      const r = OpenShift.create({ prNumber: 101, scaleTimeoutSeconds: 1, jobTimeoutSeconds: 1, pollIntervalSeconds: 0 });
      try {
        const result = await r.run(dag.setSecret(`kubeconfig-${Math.random()}`, kubeconfig), `${REPO}:e2e-101-1`, dag.directory());
        return { result: { passed: result.passed, summary: result.summary, log: result.log } };
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    });

  it("an empty kubeconfig fails first, naming --kubeconfig (not localhost:8080)", async () => {
    const { error } = await run("");
    expect(error).toMatch(/^the kubeconfig \(--kubeconfig\) is empty; pass the cluster's kubeconfig/);
  });

  it("a kubeconfig kubectl cannot load fails first, naming --kubeconfig and kubectl's reason", async () => {
    const { error } = await run("apiVersion: v1\nkind: Config\nclusters: [unclosed\n");
    console.log(error);
    expect(error).toMatch(/^the kubeconfig \(--kubeconfig\) cannot be used: error: .*\/run\/secrets\/kubeconfig/);
  });

  it("a kubeconfig without a current context fails first", async () => {
    const { error } = await run("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
    console.log(error);
    expect(error).toMatch(/^the kubeconfig \(--kubeconfig\) cannot be used: error: current-context is not set/);
  });

  it("a usable kubeconfig passes the check; the unreachable cluster then fails the run as a step", async () => {
    const cfg = [
      "apiVersion: v1", "kind: Config", "current-context: ci",
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]",
      "contexts: [{name: ci, context: {cluster: c, user: u}}]",
      "users: [{name: u, user: {token: sha256~engine-test-token}}]", "",
    ].join("\n");
    const { result, error } = await run(cfg);
    expect(error).toBeUndefined();
    expect(result!.passed).toBe(false);
    expect(result!.summary).toMatch(/^could not GPU preflight: .*127\.0\.0\.1:1/);
    expect(result!.log).not.toContain("sha256~engine-test-token");
  });
});
