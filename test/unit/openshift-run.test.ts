/**
 * One OpenShift run's names, values, scale target and kubeconfig check as pure functions (the
 * check script run by the real sh, with a stand-in kubectl that records whether it was reached).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { KUBECONFIG_CHECK, deployValues, otherRunsScaling, runNames, scaleTargetOf } from "../../dagger/src/lib/openshift-run.js";

describe("runNames", () => {
  it("names everything after the pull request, the load Job also after the attempt", () => {
    expect(runNames({ prNumber: 101, runId: "987654", attempt: "lk3x9a-1a2b3c" })).toEqual({
      key: "pr-101", release: "wva-e2e-pr-101", controllerNamespace: "wva-e2e-pr-101", controllerInstance: "wva-e2e-pr-101", load: "wva-e2e-load-pr-101-1a2b3c",
    });
  });
  it("falls back to the run id, then to the attempt", () => {
    expect(runNames({ prNumber: 0, runId: "12345678901", attempt: "lk3x9a-1a2b3c" }).release).toBe("wva-e2e-run-12345678901");
    expect(runNames({ attempt: "lk3x9a-1a2b3c" }).release).toBe("wva-e2e-run-lk3x9a1a2b3c");
  });
  it("two PRs never share a name", () => {
    const a = Object.values(runNames({ prNumber: 101, attempt: "aaaaaa-111111" })).filter((v) => v !== "pr-101");
    const b = Object.values(runNames({ prNumber: 102, attempt: "aaaaaa-111111" }));
    expect(a.filter((n) => b.includes(n))).toEqual([]);
  });
  it("every name fits Kubernetes and Helm limits at the longest run id", () => {
    const n = runNames({ runId: "a".repeat(20), attempt: "lk3x9a-1a2b3c" });
    expect(n.release.length).toBeLessThanOrEqual(53);
    expect(n.load.length).toBeLessThanOrEqual(63);
    for (const v of [n.release, n.load]) expect(v).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
  it("refuses a PR number or run id that cannot be part of a name", () => {
    expect(() => runNames({ prNumber: 1.5, attempt: "aaaaaa-111111" })).toThrow(/--pr-number/);
    expect(() => runNames({ runId: "a/b", attempt: "aaaaaa-111111" })).toThrow(/--run-id "a\/b"/);
    expect(() => runNames({ runId: "a".repeat(21), attempt: "aaaaaa-111111" })).toThrow(/--run-id/);
  });
});

describe("deployValues", () => {
  it("the PR image, the model service as llmd.modelName, a cluster-scoped controller with the run's instance; the user's values last", () => {
    expect(
      deployValues({ imageRepository: "ghcr.io/o/wva", imageTag: "e2e-1", namespace: "llm-d", modelService: "ms-x", model: "m/1", controllerInstance: "wva-e2e-pr-1", helmSet: ["hpa.maxReplicas=4"] }),
    ).toEqual([
      "wva.image.repository=ghcr.io/o/wva", "wva.image.tag=e2e-1", "llmd.namespace=llm-d", "llmd.modelName=ms-x", "llmd.modelID=m/1",
      "va.enabled=true", "hpa.enabled=true", "wva.namespaceScoped=false", "wva.controllerInstance=wva-e2e-pr-1", "hpa.maxReplicas=4",
    ]);
  });
});

const hpa = (name: string, target: string, kind = "Deployment", namespace = "llm-d") => ({ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name, namespace }, spec: { scaleTargetRef: { kind, name: target } } });
const va = (name: string, target: string, namespace: string | null = "llm-d") => ({ apiVersion: "llmd.ai/v1alpha1", kind: "VariantAutoscaling", metadata: { name, ...(namespace ? { namespace } : {}) }, spec: { scaleTargetRef: { kind: "Deployment", name: target } } });
const yaml = (...docs: unknown[]) => docs.map((d) => `---\n# Source: c/templates/x.yaml\n${stringify(d)}`).join("");

describe("scaleTargetOf", () => {
  it("reads the workload from the HPA's scaleTargetRef, checked against the VA", () => {
    expect(scaleTargetOf(yaml({ kind: "ServiceAccount", metadata: { name: "sa" } }, hpa("h", "ms-decode"), va("v", "ms-decode")), "ctl")).toEqual({
      kind: "Deployment", name: "ms-decode", namespace: "llm-d", hpa: "h", va: "v",
    });
  });
  it("objects without a namespace are in the release namespace", () => {
    const h = { ...hpa("h", "d"), metadata: { name: "h" } };
    expect(scaleTargetOf(yaml(h, va("v", "d", null)), "ctl").namespace).toBe("ctl");
  });
  it.each<[string, unknown[], RegExp]>([
    ["no HPA", [va("v", "d")], /renders 0 HorizontalPodAutoscalers .*hpa.enabled=true/],
    ["two HPAs", [hpa("a", "d"), hpa("b", "d"), va("v", "d")], /renders 2 HorizontalPodAutoscalers/],
    ["no VA", [hpa("h", "d")], /renders 0 VariantAutoscalings/],
    ["a StatefulSet", [hpa("h", "d", "StatefulSet"), va("v", "d")], /scales a StatefulSet; the run checks the readiness of a Deployment/],
    ["HPA and VA disagree (WVA's chart given the Deployment as llmd.modelName)", [hpa("h", "ms-decode-decode"), va("v", "ms-decode")], /HPA h scales llm-d\/Deployment\/ms-decode-decode but its VariantAutoscaling v targets llm-d\/Deployment\/ms-decode/],
  ])("%s is refused", (_what, docs, why) => {
    expect(() => scaleTargetOf(yaml(...docs), "ctl")).toThrow(why);
  });
});

describe("otherRunsScaling", () => {
  const h = (name: string, release: string | undefined, target = "d") => ({
    metadata: { name, annotations: release ? { "meta.helm.sh/release-name": release } : undefined },
    spec: { scaleTargetRef: { kind: "Deployment", name: target } },
  });
  it("finds another e2e run's HPA on the same Deployment, not ours, not a non-e2e HPA, not another Deployment's", () => {
    const list = { items: [h("ours", "wva-e2e-pr-1"), h("theirs", "wva-e2e-pr-2"), h("prod", "wva"), h("plain", undefined), h("elsewhere", "wva-e2e-pr-3", "other")] };
    expect(otherRunsScaling(list, { kind: "Deployment", name: "d" }, "wva-e2e-pr-1")).toEqual(["theirs (release wva-e2e-pr-2)"]);
  });
});

describe("the kubeconfig check (real sh, a stand-in kubectl)", () => {
  /** Runs the check with $KUBECONFIG holding `contents` (null: no file); the stand-in kubectl answers `ctx`/`server` or fails. */
  function check(contents: string | null, kubectl: { ctx?: string; server?: string; fail?: string } = { ctx: "ci", server: "https://api.example:6443" }) {
    const dir = mkdtempSync(join(tmpdir(), "wva-kubeconfig-"));
    const file = join(dir, "kubeconfig");
    if (contents !== null) writeFileSync(file, contents);
    const calls = join(dir, "calls");
    writeFileSync(calls, "");
    const stub = join(dir, "kubectl");
    writeFileSync(
      stub,
      `#!/bin/sh\necho "$*" >> ${calls}\n${kubectl.fail ? `echo ${JSON.stringify(kubectl.fail)} >&2; exit 1` : `case "$2" in current-context) echo ${JSON.stringify(kubectl.ctx ?? "")};; view) printf %s ${JSON.stringify(kubectl.server ?? "")};; esac`}\n`,
    );
    chmodSync(stub, 0o755);
    const r = spawnSync("sh", ["-c", KUBECONFIG_CHECK], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin`, KUBECONFIG: file } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, kubectlCalls: readFileSync(calls, "utf8").trim() };
  }

  it.each<[string, string | null, string]>([
    ["an empty file", "", "is empty"],
    ["white space only", "  \n\t\n", "is empty"],
    ["no file", null, "cannot be read"],
  ])("%s fails naming --kubeconfig, before kubectl is called", (_what, contents, why) => {
    const r = check(contents);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the kubeconfig (--kubeconfig) ${why}; pass the cluster's kubeconfig, e.g. --kubeconfig file://$HOME/.kube/config or env://OPENSHIFT_KUBECONFIG`);
    expect(r.kubectlCalls).toBe("");
  });

  it("a file kubectl cannot load fails with kubectl's first line, naming --kubeconfig", () => {
    const r = check("not: [a kubeconfig", { fail: 'error: error loading config file "/k": yaml: line 1: did not find expected node content' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^the kubeconfig \(--kubeconfig\) cannot be used: error: error loading config file "\/k": yaml: line 1/);
  });

  it("a kubeconfig with no server for its context fails", () => {
    const r = check("apiVersion: v1\nkind: Config\n", { ctx: "ci", server: "" });
    expect(r.stderr).toContain("the kubeconfig (--kubeconfig) names no cluster server for context ci");
  });

  it("a usable kubeconfig prints its context and server, nothing else", () => {
    const r = check("apiVersion: v1\nkind: Config\nusers: [{name: ci, user: {token: sha256~tok}}]\n");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("context ci, server https://api.example:6443\n");
    expect(r.stdout + r.stderr).not.toContain("sha256~tok");
  });
});
