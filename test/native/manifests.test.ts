/**
 * Every manifest and config the e2e code generates, validated by the real kubeconform v0.8.0
 * (.tools/bin, from test/tools/install.sh), fully offline and strict:
 * - Kubernetes schemas: generated here from the OpenAPI v2 document that Kubernetes v1.32.0
 *   ships, `api/openapi-spec/swagger.json` in the Go module `k8s.io/kubernetes@v1.32.0`
 *   (fetched with `go mod download` from the Go module proxy; v1.32.0 = the Kind node image).
 *   Each kind becomes a standalone JSON schema with only the definitions it references, object
 *   schemas closed (`additionalProperties: false`), int-or-string and quantities as kubeconform's
 *   own schemas treat them.
 * - The Kind Cluster config: test/native/schemas/cluster-kind-v1alpha4.json, written for this
 *   project from kind v0.33.0's v1alpha4 types.
 * A missing tool, a missing schema, or a resource without a schema fails the test.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { LOAD } from "../unit/fixtures/load-options.js";
import { repo, PATH, tool } from "./tools.js";
import { stringify } from "yaml";
import { emulatedGpus, GPU_TYPES } from "../../dagger/src/lib/gpu.js";
import { kindConfig } from "../../dagger/src/lib/kind-config.js";
import { loadManifests } from "../../dagger/src/lib/load-job.js";
import { deployValues, runNames, scaleTargetOf } from "../../dagger/src/lib/openshift-run.js";
import { upstreamCopy } from "../upstream.js";
import { parseAllDocuments } from "yaml";

/** WVA's chart, in its repository. */
const WVA_CHART = "charts/workload-variant-autoscaler";

const K8S_MODULE = "k8s.io/kubernetes@v1.32.0";

// ---------------------------------------------------------------------------------------------
// OpenAPI v2 → standalone strict JSON schemas, kubeconform's file layout

type Schema = Record<string, any>;

/** `<kind>-<group's first label>-<version>.json`, the name kubeconform's KindSuffix template builds. */
function schemaFileName(kind: string, group: string, version: string): string {
  const g = group ? `-${group.split(".")[0].toLowerCase()}` : "";
  return `${kind.toLowerCase()}${g}-${version.toLowerCase()}.json`;
}

/** One definition made strict and kubeconform-compatible (recursively, without following refs). */
function strict(s: Schema): Schema {
  if (Array.isArray(s)) return s.map(strict);
  if (!s || typeof s !== "object") return s;
  if (s.format === "int-or-string") return { oneOf: [{ type: "string" }, { type: "integer" }] };
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith("x-kubernetes-")) continue;
    out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, strict(ps)])) : strict(v);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** Names of the definitions `$ref`erenced from `root`, transitively. */
function closure(root: string, defs: Record<string, Schema>): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    JSON.stringify(defs[name]).replace(/"#\/definitions\/([^"]+)"/g, (_, ref: string) => {
      visit(ref);
      return "";
    });
  };
  visit(root);
  return seen;
}

/** Writes one schema file per kind of the swagger document into `dir`; returns how many. */
function writeSchemas(swagger: { definitions: Record<string, Schema> }, dir: string): number {
  const defs: Record<string, Schema> = {};
  for (const [name, d] of Object.entries(swagger.definitions)) {
    defs[name] = name.endsWith("pkg.api.resource.Quantity")
      ? { oneOf: [{ type: "string" }, { type: "number" }] }
      : strict(d);
  }
  let n = 0;
  for (const [name, d] of Object.entries(swagger.definitions)) {
    for (const gvk of (d["x-kubernetes-group-version-kind"] ?? []) as { group: string; version: string; kind: string }[]) {
      const used = closure(name, defs);
      used.delete(name);
      const schema = { ...defs[name], definitions: Object.fromEntries([...used].map((u) => [u, defs[u]])) };
      writeFileSync(join(dir, schemaFileName(gvk.kind, gvk.group, gvk.version)), JSON.stringify(schema));
      n++;
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------

let k8sSchemas: string;
let work: string;
/** Schemas made from CRDs (e.g. WVA's VariantAutoscaling), when a test wrote some. */
let crdSchemas: string | undefined;

beforeAll(() => {
  const dl = spawnSync("go", ["mod", "download", "-json", K8S_MODULE], {
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod" },
    cwd: tmpdir(),
  });
  if (dl.status !== 0) throw new Error(`go mod download ${K8S_MODULE} failed:\n${dl.stdout}\n${dl.stderr}`);
  const swaggerPath = join(JSON.parse(dl.stdout).Dir, "api/openapi-spec/swagger.json");
  work = mkdtempSync(join(tmpdir(), "wva-kubeconform-"));
  k8sSchemas = join(work, "k8s-v1.32.0");
  mkdirSync(k8sSchemas);
  const n = writeSchemas(JSON.parse(readFileSync(swaggerPath, "utf8")), k8sSchemas);
  if (n < 50) throw new Error(`only ${n} schemas generated from ${swaggerPath}`);
}, 300_000);

/** Runs kubeconform on YAML documents, offline (local schema locations only), strict. */
function kubeconform(name: string, docs: unknown[]) {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, docs.map((d) => stringify(d)).join("---\n"));
  const r = spawnSync(
    tool("kubeconform"),
    [
      "-strict",
      "-summary",
      "-output", "json",
      "-schema-location", `${k8sSchemas}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      "-schema-location", `${join(repo, "test/native/schemas")}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      ...(crdSchemas ? ["-schema-location", `${crdSchemas}/{{ .ResourceKind }}{{ .KindSuffix }}.json`] : []),
      file,
    ],
    { encoding: "utf8", env: { ...process.env, PATH, HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9" } },
  );
  const out = JSON.parse(r.stdout || "{}") as {
    resources?: { kind: string; name: string; status: string; msg: string }[];
    summary?: { valid: number; invalid: number; errors: number; skipped: number };
  };
  return { status: r.status, out, raw: r.stdout + r.stderr };
}

test("schema file names follow kubeconform's template", () => {
  expect(schemaFileName("Job", "batch", "v1")).toBe("job-batch-v1.json");
  expect(schemaFileName("Node", "", "v1")).toBe("node-v1.json");
  expect(schemaFileName("Cluster", "kind.x-k8s.io", "v1alpha4")).toBe("cluster-kind-v1alpha4.json");
});

describe("generated manifests are valid (kubeconform -strict, offline)", () => {
  test("the Kind cluster configs, default and every variant the module can produce", () => {
    const configs = [
      kindConfig({ nodeImage: "kindest/node:v1.32.0", workers: 2, alias: "kind", apiServerPort: 6443 }),
      kindConfig({ nodeImage: "kindest/node:v1.31.4@sha256:" + "a".repeat(64), workers: 0, alias: "k8s-api", apiServerPort: 16443, featureGates: { HPAScaleToZero: true } }),
    ];
    const r = kubeconform("kind-config", configs);
    expect(r.raw).not.toContain("could not find schema");
    expect(r.out.summary).toMatchObject({ valid: 2, invalid: 0, errors: 0, skipped: 0 });
    expect(r.status).toBe(0);
  });

  test("the load ConfigMap and Job, at the spec's settings and at the edges", () => {
    const docs = [
      ...loadManifests(LOAD),
      ...loadManifests({ ...LOAD, name: "small", numPrompts: 1, workers: 4, requestRate: 0.5, maxTokens: 1, minSuccessPercent: 0 }),
    ];
    const r = kubeconform("load", docs);
    expect(r.out.summary).toMatchObject({ valid: 4, invalid: 0, errors: 0, skipped: 0 });
    expect(r.status).toBe(0);
  });

  test("nodes after the emulated-GPU patches (labels and status capacity), for every GPU layout", () => {
    const nodes = Object.keys(GPU_TYPES).flatMap((type) =>
      emulatedGpus(["wva-e2e-control-plane", "wva-e2e-worker", "wva-e2e-worker2"], type, 4).map((p) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: `${type}-${p.node}`, labels: { "kubernetes.io/hostname": p.node, ...p.labels } },
        status: p.statusPatch.status,
      })),
    );
    const r = kubeconform("nodes", nodes);
    expect(r.out.summary).toMatchObject({ valid: nodes.length, invalid: 0, errors: 0 });
    expect(r.status).toBe(0);
  });
});

describe("the validation can fail (it is not vacuous)", () => {
  test("an unknown field, a wrong type and a bad enum are rejected", () => {
    const [cm, job] = loadManifests(LOAD) as any[];
    const badJob = structuredClone(job);
    badJob.spec.completions = "ten";
    badJob.spec.template.spec.containers[0].comand = ["sh"];
    const badCluster = { ...kindConfig({ nodeImage: "kindest/node:v1.32.0", workers: 1, alias: "kind", apiServerPort: 6443 }), nodes: [{ role: "master" }] };
    const r = kubeconform("bad", [cm, badJob, badCluster]);
    expect(r.status).not.toBe(0);
    expect(r.out.summary).toMatchObject({ valid: 1, invalid: 2 });
    const msgs = r.out.resources!.filter((x) => x.status === "statusInvalid").map((x) => `${x.kind}: ${x.msg}`).join("\n");
    expect(msgs).toMatch(/Job: .*completions/);
    expect(msgs).toMatch(/Job: .*comand/);
    expect(msgs).toMatch(/Cluster: .*role/);
  });

  test("a kind without a schema is an error, never skipped (no download either)", () => {
    const r = kubeconform("unknown", [{ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }]);
    expect(r.status).not.toBe(0);
    expect(r.raw).toContain("could not find schema for Widget");
  });
});

// ---------------------------------------------------------------------------------------------
// The OpenShift run's install of WVA's real chart

/** kubeconform schemas from a CRD file's openAPIV3Schema (objects closed unless they preserve unknown fields). */
function writeCrdSchemas(crdFile: string, dir: string): string[] {
  const written: string[] = [];
  const close = (x: Schema): Schema => {
    if (Array.isArray(x)) return x.map(close);
    if (!x || typeof x !== "object") return x;
    const out: Schema = {};
    for (const [k, v] of Object.entries(x)) {
      if (k.startsWith("x-kubernetes-")) continue;
      out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, close(ps)])) : close(v);
    }
    if (out.properties && out.additionalProperties === undefined && !x["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
    if (x["x-kubernetes-int-or-string"]) return { oneOf: [{ type: "string" }, { type: "integer" }] };
    return out;
  };
  for (const doc of parseAllDocuments(readFileSync(crdFile, "utf8")).map((d) => d.toJS())) {
    if (doc?.kind !== "CustomResourceDefinition") continue;
    for (const v of doc.spec.versions) {
      const file = schemaFileName(doc.spec.names.kind, doc.spec.group, v.name);
      writeFileSync(join(dir, file), JSON.stringify(close(v.schema.openAPIV3Schema)));
      written.push(file);
    }
  }
  return written;
}

/** `helm template` of a chart with the values the OpenShift run installs it with, for pull request `pr`. */
function renderForRun(chartDir: string, pr: number) {
  const names = runNames({ prNumber: pr, attempt: "lk3x9a1a2b3c" });
  const values = deployValues({
    imageRepository: "ghcr.io/llm-d-incubation/workload-variant-autoscaler", imageTag: `e2e-${pr}-1`,
    namespace: "llm-d-inference-scheduling", modelService: "ms-inference-scheduling-llm-d-modelservice",
    model: "unsloth/Meta-Llama-3.1-8B", controllerInstance: names.controllerInstance, helmSet: [],
  });
  const r = spawnSync(tool("helm"), ["template", names.release, ".", "--namespace", names.controllerNamespace, ...values.flatMap((v) => ["--set", v])], {
    cwd: chartDir, encoding: "utf8", env: { ...process.env, PATH, HELM_CACHE_HOME: join(work, ".helm-cache"), HELM_CONFIG_HOME: join(work, ".helm-config") },
  });
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean) as any[];
  return { names, text: r.stdout, docs };
}

describe("the OpenShift run's install of WVA's real chart (a copy)", () => {
  const chart = upstreamCopy(WVA_CHART);
  const DECODE = "ms-inference-scheduling-llm-d-modelservice-decode";

  test("renders one HPA and one VA, both targeting the decode Deployment the run reads, scales and waits for; kubeconform-valid", () => {
    const { names, text, docs } = renderForRun(chart, 101);
    const target = scaleTargetOf(text, names.controllerNamespace);
    expect(target).toEqual({
      kind: "Deployment", name: DECODE, namespace: "llm-d-inference-scheduling",
      hpa: "wva-e2e-pr-101-workload-variant-autoscaler-hpa", va: "wva-e2e-pr-101-workload-variant-autoscaler-va",
    });
    const hpa = docs.find((d) => d.kind === "HorizontalPodAutoscaler");
    const va = docs.find((d) => d.kind === "VariantAutoscaling");
    // What the module did before: llmd.modelName set to the Deployment made WVA's chart target "…-decode-decode".
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: DECODE });
    expect(va.spec.scaleTargetRef.name).toBe(DECODE);
    expect(hpa.spec.metrics[0].external.metric.selector.matchLabels).toMatchObject({ variant_name: target.va, controller_instance: "wva-e2e-pr-101" });
    expect(va.metadata.labels["wva.llmd.ai/controller-instance"]).toBe("wva-e2e-pr-101");
    const manager = docs.find((d) => d.kind === "Deployment");
    expect(manager.metadata.namespace).toBe("wva-e2e-pr-101");
    expect(manager.spec.template.spec.containers[0].image).toBe("ghcr.io/llm-d-incubation/workload-variant-autoscaler:e2e-101-1");
    expect(manager.spec.template.spec.containers[0].args).not.toContain("--watch-namespace=$(POD_NAMESPACE)");

    crdSchemas = mkdtempSync(join(work, "crds-"));
    expect(writeCrdSchemas(join(chart, "crds/llmd.ai_variantautoscalings.yaml"), crdSchemas)).toEqual(["variantautoscaling-llmd-v1alpha1.json"]);
    const r = kubeconform("wva-run-hpa-va", [hpa, va, manager]);
    expect(r.raw).not.toContain("could not find schema");
    expect(r.out.summary).toMatchObject({ valid: 3, invalid: 0, errors: 0, skipped: 0 });
    expect(r.status).toBe(0);
    // The CRD schema is strict: a misspelt field in the VA fails.
    const bad = kubeconform("wva-run-bad-va", [{ ...va, spec: { ...va.spec, scaleTargetRfe: va.spec.scaleTargetRef } }]);
    expect(bad.status).not.toBe(0);
    expect(JSON.stringify(bad.out.resources)).toContain("scaleTargetRfe");
  });

  test("this repository's chart, rendered the same way, scales the same Deployment", () => {
    const { names, text } = renderForRun(join(repo, "charts/workload-variant-autoscaler"), 101);
    expect(scaleTargetOf(text, names.controllerNamespace)).toMatchObject({ kind: "Deployment", name: DECODE, namespace: "llm-d-inference-scheduling" });
  });

  test("the renders for PR 101 and PR 102 share no object (kind, namespace, name), cluster-scoped ones included", () => {
    const ids = (pr: number) => {
      const { names, docs } = renderForRun(chart, pr);
      return docs.map((d) => `${d.kind}/${d.metadata.namespace ?? (["ClusterRole", "ClusterRoleBinding"].includes(d.kind) ? "" : names.controllerNamespace)}/${d.metadata.name}`);
    };
    const a = ids(101);
    const b = ids(102);
    expect(a.length).toBeGreaterThan(20);
    expect(a.filter((x) => b.includes(x))).toEqual([]);
    for (const x of a) expect(x.split("/")[2]).toContain("pr-101");
  });
});
