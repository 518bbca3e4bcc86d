import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LOAD } from "./fixtures/load-options.js";
import { parseAllDocuments } from "yaml";
import {
  hpaState,
  jobState,
  maxVaDesiredReplicas,
  readyReplicas,
  specReplicas,
  splitImageRef,
} from "../../dagger/src/lib/autoscaling.js";
import { SHAREGPT_PROMPTS, loadManifests, loadManifestsYaml, requestBodies } from "../../dagger/src/lib/load-job.js";

const list = JSON.parse(readFileSync(new URL("./fixtures/run-resources.json", import.meta.url), "utf8"));
const DECODE = "ms-inference-scheduling-llm-d-modelservice-decode";

describe("load manifests", () => {
  const [cm, job] = loadManifests(LOAD) as any[];
  it("is a ConfigMap of request bodies and an Indexed Job of curl workers, all labelled with the run", () => {
    expect([cm.kind, job.kind]).toEqual(["ConfigMap", "Job"]);
    expect(cm.metadata.labels["wva.llm-d.ai/e2e-run"]).toBe("lk3x9a-1a2b3c");
    expect(job.spec.template.metadata.labels["wva.llm-d.ai/e2e-run"]).toBe("lk3x9a-1a2b3c");
    expect(job.spec).toMatchObject({ completionMode: "Indexed", completions: 10, parallelism: 10, backoffLimit: 0, activeDeadlineSeconds: 1800 });
    expect(job.spec.template.spec.containers[0].image).toBe("quay.io/curl/curl:8.11.1");
  });
  it("spreads 20 req/s over 10 workers: one request every 0.5 s each", () => {
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ TOTAL: "3000", WORKERS: "10", INTERVAL: "0.500", TARGET_URL: LOAD.targetUrl });
  });
  it("asks for the model with max_tokens 400 in every request", () => {
    const bodies = cm.data["requests.jsonl"].trim().split("\n").map((l: string) => JSON.parse(l));
    expect(bodies).toHaveLength(SHAREGPT_PROMPTS.length);
    for (const b of bodies) expect(b).toMatchObject({ model: "unsloth/Meta-Llama-3.1-8B", max_tokens: 400 });
  });
  it("never has more workers than prompts", () => {
    const [, small] = loadManifests({ ...LOAD, numPrompts: 3 }) as any[];
    expect(small.spec.completions).toBe(3);
  });
  it("rejects bad settings all at once before anything is applied", () => {
    expect(() => loadManifests({ ...LOAD, requestRate: 0, maxTokens: 1.5, targetUrl: "gateway" })).toThrow(
      /request rate must be > 0[\s\S]*max tokens[\s\S]*target URL/,
    );
  });
  it("serialises as a two-document YAML stream", () => {
    const docs = parseAllDocuments(loadManifestsYaml(LOAD)).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(["ConfigMap", "Job"]);
  });
  it("request bodies survive JSON escaping of quotes and newlines", () => {
    const line = requestBodies("m", 5, ['say "hi"\nthen stop']).trim();
    expect(JSON.parse(line).prompt).toBe('say "hi"\nthen stop');
  });
  it("the worker script is valid sh and splits the prompts exactly across workers", () => {
    const script: string = job.spec.template.spec.containers[0].command[2];
    execFileSync("sh", ["-n", "-c", script]);
    const share = (i: number, total: number, workers: number) =>
      Number(execFileSync("sh", ["-c", `i=${i}; TOTAL=${total}; WORKERS=${workers}; echo $(( TOTAL / WORKERS + (i < TOTAL % WORKERS ? 1 : 0) ))`], { encoding: "utf8" }));
    const shares = Array.from({ length: 7 }, (_, i) => share(i, 3000, 7));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });
});

describe("autoscaling readers", () => {
  const items = list.items as any[];
  const va = items.filter((i) => i.kind === "VariantAutoscaling");
  const hpa = items.filter((i) => i.kind === "HorizontalPodAutoscaler");
  const decode = items.find((i) => i.metadata.name === DECODE);
  it("reads the VA's recommendation (none when status is empty)", () => {
    expect(maxVaDesiredReplicas({ items: va })).toBe(3);
    expect(maxVaDesiredReplicas({ items: [{ metadata: { name: "x" } }] })).toBeUndefined();
  });
  it("reads the HPA targeting the deployment, its desired replicas and which metrics have values", () => {
    const h = hpaState({ items: hpa }, DECODE)!;
    expect(h).toMatchObject({ desired: 3, current: 3, metricsFlowing: true, metrics: ["wva_desired_replicas"] });
    expect(hpaState({ items: hpa }, "other")).toBeUndefined();
  });
  it("reports an HPA that cannot read its metric", () => {
    const h = hpaState({
      metadata: { name: "h" },
      status: {
        desiredReplicas: 1,
        currentMetrics: [{ type: "External", external: { metric: { name: "wva_desired_replicas" } } }],
        conditions: [{ type: "ScalingActive", status: "False", reason: "FailedGetExternalMetric", message: "no metrics returned" }],
      },
    })!;
    expect(h.metricsFlowing).toBe(false);
    expect(h.problem).toBe("ScalingActive=False (FailedGetExternalMetric): no metrics returned");
  });
  it("reads ready and spec replicas with the API's defaults", () => {
    expect(readyReplicas(decode)).toBe(3);
    expect(readyReplicas({ status: {} })).toBe(0);
    expect(specReplicas({ spec: {} })).toBe(1);
  });
  it("tells a running, complete and failed Job apart", () => {
    expect(jobState({ status: { active: 10 } }).state).toBe("running");
    expect(jobState({ status: { succeeded: 10, conditions: [{ type: "Complete", status: "True" }] } })).toEqual({ state: "complete", detail: "10 worker(s) succeeded" });
    expect(jobState({ status: { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }] } })).toEqual({
      state: "failed",
      detail: "BackoffLimitExceeded: Job has reached the specified backoff limit",
    });
  });
});

describe("splitImageRef", () => {
  it("splits repository and tag, keeping a registry port", () => {
    expect(splitImageRef("ghcr.io/llm-d-incubation/workload-variant-autoscaler:ref-1a2b3c4d")).toEqual({
      repository: "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
      tag: "ref-1a2b3c4d",
    });
    expect(splitImageRef("localhost:5000/wva:e2e")).toEqual({ repository: "localhost:5000/wva", tag: "e2e" });
  });
  it("refuses references the chart cannot express", () => {
    expect(() => splitImageRef("localhost:5000/wva")).toThrow(/no tag/);
    expect(() => splitImageRef("ghcr.io/x/wva@sha256:" + "a".repeat(64))).toThrow(/digest/);
    expect(() => splitImageRef("")).toThrow(/not an image reference/);
  });
});
