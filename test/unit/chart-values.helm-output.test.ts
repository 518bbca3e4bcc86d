import { describe, expect, test } from "vitest";
import { isChartNotFound, isRepositoryNotFound, parseHelmPush, renderedImages } from "../../dagger/src/lib/helm-output.js";

const D = "sha256:" + "0f".repeat(32);

describe("helm push output", () => {
  test("reads the pushed reference and digest", () => {
    expect(parseHelmPush(`Pushed: ghcr.io/o/charts/wva:0.4.1\nDigest: ${D}\n`)).toEqual({ ref: "ghcr.io/o/charts/wva:0.4.1", digest: D });
  });
  test("tolerates warnings around it", () => {
    expect(parseHelmPush(`WARNING: x\nPushed: r:5000/c/wva:1.0.0\nDigest: ${D}\nbye`).ref).toBe("r:5000/c/wva:1.0.0");
  });
  test.each(["", "Pushed: x\n", `Digest: ${D}\n`, "Pushed: x\nDigest: sha256:short\n"])("%j is refused", (out) => {
    expect(() => parseHelmPush(out)).toThrow(/unexpected helm push output/);
  });
});

describe("chart not found", () => {
  test.each([
    ["Error: ghcr.io/o/charts/wva:0.4.1: not found", true],
    ["Error: failed to do request: HEAD …: name unknown: repository name not known to registry", true],
    ['Error: GET "https://r/v2/c/wva/manifests/0.4.1": response status code 404: manifest unknown', true],
    ['Error: failed to perform "FetchReference" on source: 127.0.0.1:5000/charts/workload-variant-autoscaler:0.4.1: not found', true],
    ['Error: failed to perform "FetchReference" on source: GET "http://127.0.0.1:5000/v2/charts/wva/manifests/0.4.1": basic credential not found', false],
    ["Error: lookup registry: no such host (not found)", false],
    ["Error: unauthorized: authentication required", false],
    ["Error: dial tcp: lookup ghcr.io: no such host", false],
  ])("%s → %s", (stderr, want) => {
    expect(isChartNotFound(stderr)).toBe(want);
  });
});

describe("rendered images", () => {
  test("every container of every workload, init containers first, non-workloads ignored", () => {
    const manifests = [
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      initContainers: [{name: init, image: 'busybox:1'}]\n      containers: [{name: manager, image: 'r/wva:v1'}]",
      "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: job, image: 'r/job:v2'}]",
    ].join("\n---\n");
    expect(renderedImages(manifests)).toEqual([
      { workload: "Deployment/d", container: "init", image: "busybox:1" },
      { workload: "Deployment/d", container: "manager", image: "r/wva:v1" },
      { workload: "CronJob/j", container: "job", image: "r/job:v2" },
    ]);
  });
  test("invalid YAML is an error, not an empty list", () => {
    expect(() => renderedImages("kind: [")).toThrow(/not valid YAML/);
  });
});

describe("image repository not found", () => {
  test.each([
    ["Error: reading tags for r/org/wva: GET http://r/v2/org/wva/tags/list?n=1000: NAME_UNKNOWN: repository name not known to registry", true],
    ["Error: reading tags for r/org/wva: GET http://r/v2/org/wva/tags/list?n=1000: UNAUTHORIZED: authentication required", false],
    ["Error: Get \"https://r/v2/\": dial tcp: connection refused", false],
  ])("%s → %s", (stderr, want) => {
    expect(isRepositoryNotFound(stderr)).toBe(want);
  });
});
