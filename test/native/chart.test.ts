/**
 * The chart with the real helm v3.22.0 and helm-docs v1.14.2 from .tools/bin: lint and render
 * it as committed and as a release edits it (through the module's own pure edit functions),
 * package the edited chart, and check that README.md is exactly what helm-docs generates.
 * Each test works on a copy in a temp dir. A missing tool fails the test; nothing is skipped.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { repo, PATH, tool, chartCopy, releaseChartInPlace } from "./tools.js";
import { parse, parseAllDocuments } from "yaml";
import { renderedImages } from "../../dagger/src/lib/helm-output.js";

const chartDir = join(repo, "charts/workload-variant-autoscaler");

/** Runs a tool; returns its output and exit status (never throws on failure). */
function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(tool(cmd), args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, PATH, HELM_CACHE_HOME: join(cwd, ".helm-cache"), HELM_CONFIG_HOME: join(cwd, ".helm-config") },
  });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A private copy of the chart. */
const copy = (): string => chartCopy();

/** The chart copy as `dagger call release --tag <tag>` edits it (Chart.yaml, values.yaml, README.md). */
function released(tag: string, imageRepository: string): string {
  const dir = chartCopy();
  // This chart has a README.md.gotmpl, so the release regenerates its README with helm-docs.
  expect(releaseChartInPlace(dir, { tag, imageRepository })).toBe(true);
  return dir;
}

function lint(dir: string) {
  const r = run("helm", ["lint", "--strict", "."], dir);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
}

function template(dir: string, ...set: string[]): any[] {
  const args = ["template", "wva", ".", "--namespace", "workload-variant-autoscaler-system"];
  for (const s of set) args.push("--set", s);
  const r = run("helm", args, dir);
  expect(r.status, r.stderr).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
}

const kinds = (docs: any[]) => docs.map((d) => d.kind).sort();

describe("the chart as committed", () => {
  test("helm lint --strict finds nothing", () => {
    lint(copy());
  });

  test("default render: controller objects, non-root hardened Deployment with probes, image from values", () => {
    const docs = template(copy());
    expect(kinds(docs)).toEqual([
      "ClusterRole", "ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding",
      "ConfigMap", "Deployment", "Role", "RoleBinding", "Service", "ServiceAccount",
    ]);
    const deploy = docs.find((d) => d.kind === "Deployment");
    const pod = deploy.spec.template.spec;
    const manager = pod.containers[0];
    expect(manager.image).toBe("ghcr.io/llm-d-incubation/workload-variant-autoscaler:v0.4.1");
    expect(manager.imagePullPolicy).toBe("IfNotPresent");
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(manager.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(manager.livenessProbe.httpGet.path).toBe("/healthz");
    expect(manager.readinessProbe.httpGet.path).toBe("/readyz");
    expect(manager.resources.limits).toEqual({ cpu: "500m", memory: "512Mi" });
    expect(pod.serviceAccountName).toBe(docs.find((d) => d.kind === "ServiceAccount").metadata.name);
    const svc = docs.find((d) => d.kind === "Service");
    expect(svc.spec.ports[0]).toMatchObject({ name: "https", port: 8443, targetPort: "metrics" });
    expect(svc.spec.selector).toEqual(deploy.spec.selector.matchLabels);
    const cm = docs.find((d) => d.kind === "ConfigMap");
    expect(cm.data.PROMETHEUS_BASE_URL).toBe("https://thanos-querier.openshift-monitoring.svc.cluster.local:9091");
    expect(parse(cm.data["capacity-scaling.yaml"]).default).toEqual({
      kvCacheThreshold: 0.8, queueLengthThreshold: 5, kvSpareTrigger: 0.1, queueSpareTrigger: 3,
    });
  });

  test("every optional object, namespace-scoped RBAC, and a controller-less install", () => {
    const dir = copy();
    const all = template(dir, "va.enabled=true", "hpa.enabled=true", "vllmService.enabled=true",
      "wva.metrics.serviceMonitor.enabled=true", "wva.namespaceScoped=true");
    expect(kinds(all)).toEqual(expect.arrayContaining(["ServiceMonitor", "VariantAutoscaling", "HorizontalPodAutoscaler"]));
    const manager = all.find((d) => d.kind === "Role" && d.metadata.name.endsWith("-manager"));
    expect(manager.metadata.namespace).toBe("llm-d-inference-scheduling");
    const hpa = all.find((d) => d.kind === "HorizontalPodAutoscaler");
    expect(hpa.spec.metrics[0].external.metric.name).toBe("wva_desired_replicas");
    const onlyModel = template(dir, "controller.enabled=false", "va.enabled=true", "hpa.enabled=true");
    expect(kinds(onlyModel)).toEqual(["HorizontalPodAutoscaler", "VariantAutoscaling"]);
  });

  test("values.schema.json rejects mistakes", () => {
    const dir = copy();
    for (const [set, why] of [
      ["wva.imagePullPolicy=Sometimes", /imagePullPolicy/],
      ["wva.image.tagg=v1", /additional properties 'tagg'/],
      ["vllmService.nodePort=80", /nodePort/],
    ] as const) {
      const r = run("helm", ["template", "wva", ".", "--set", set], dir);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(why);
    }
  });

  test("README.md is what helm-docs v1.14.2 generates", () => {
    const dir = copy();
    expect(run("helm-docs", ["--version"], dir).stdout).toContain("1.14.2");
    const r = run("helm-docs", ["--chart-search-root", ".", "--log-level", "warning"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe(readFileSync(join(chartDir, "README.md"), "utf8"));
  });
});

describe("the chart as a release edits it", () => {
  const repoRef = "localhost:5000/llm-d-incubation/workload-variant-autoscaler";

  test.each(["v0.5.0", "v0.6.0-rc.1", "v1.0.0-test"])("%s: lints, renders the released image, packages at the version", (tag) => {
    const dir = released(tag, repoRef);
    lint(dir);
    const images = renderedImages(
      run("helm", ["template", "wva", ".", "--namespace", "workload-variant-autoscaler-system"], dir).stdout,
    );
    expect(images).toEqual([
      { workload: "Deployment/wva-workload-variant-autoscaler-controller-manager", container: "manager", image: `${repoRef}:${tag}` },
    ]);
    const version = tag.slice(1);
    const out = join(dir, "..", "out");
    const pkg = run("helm", ["package", ".", "--destination", out], dir);
    expect(pkg.status, pkg.stderr).toBe(0);
    const show = run("helm", ["show", "chart", join(out, `workload-variant-autoscaler-${version}.tgz`)], dir);
    expect(show.status, show.stderr).toBe(0);
    expect(parse(show.stdout)).toMatchObject({ name: "workload-variant-autoscaler", version, appVersion: tag });
    // helm-docs rewrote the README for the new version.
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toContain(`![Version: ${version}]`);
    expect(readme).toContain(`--version ${version} \\`);
    expect(readme).not.toContain("Version: 0.4.1");
  });
});
