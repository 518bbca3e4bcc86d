/**
 * The module's own Kind e2e, for real, on the fixture and this repository's chart: a Docker
 * daemon as a Dagger service, the kind node image kindest/node:v1.32.0 that build-kind-node.sh
 * built on this machine (the engine pulls it through its registry mirror and the module loads it
 * into the daemon), three nodes with emulated GPUs, the controller image built from the
 * fixture's Dockerfile loaded into them, the chart installed with it, and the fixture's e2e tests
 * run against the controller. What the tests check is what a user reads in the result and in the
 * exported diagnostics.
 */
import { mkdtempSync, readFileSync, readdirSync, realpathSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dag } from "@dagger.io/dagger";
import { beforeAll, describe, expect, it } from "vitest";
import type { Kind } from "../../dagger/src/kind.js";
import { emulatedGpus } from "../../dagger/src/lib/gpu.js";
import { nodeNames } from "../../dagger/src/lib/kind-config.js";
import { newRunId } from "../../dagger/src/lib/e2e-scripts.js";
import { tool } from "../native/tools.js";
import { fixtureDir, k8sReady, localWva, onEngine, timed } from "./engine.js";

/** A cluster name of its own: the daemon's storage is a cache volume keyed by it. */
const CLUSTER = "wva-engine-test";
const NAMESPACE = "workload-variant-autoscaler-system";
const chartDir = fileURLToPath(new URL("../../charts/workload-variant-autoscaler/", import.meta.url));

/**
 * The module's Kind object on the fixture, with the kind v0.33.0 that test/tools/install.sh built
 * from the Go proxy (`kindBinary`, as an air-gapped user passes it), so the daemon tests do not
 * depend on building kind; `Kind.binary()` building it is a test of its own below.
 */
function localKind(workers?: number): Promise<Kind> {
  const kind = dag.host().file(realpathSync(tool("kind")));
  return localWva(fixtureDir, chartDir).kind(CLUSTER, undefined, workers, undefined, undefined, kind);
}

/** A run of Kind.test() on the fixture, its diagnostics exported to a host directory. */
async function kindRun(o: { workers?: number; helmSet?: string[]; installTimeout?: string } = {}) {
  const out = mkdtempSync(join(tmpdir(), "wva-kind-diagnostics-"));
  const { seconds, value } = await timed(() =>
    onEngine(async () => {
      const wva = localWva(fixtureDir, chartDir);
      const [kind, image, chart] = await Promise.all([localKind(o.workers), wva.image(), wva.chart()]);
      const r = await kind.test(
        image, chart.directory, dag.host().directory(fixtureDir), "5m", undefined, undefined, undefined, undefined,
        o.helmSet, undefined, undefined, o.installTimeout,
      );
      await r.diagnostics.export(out);
      console.log(`Kind.test(): diagnostics exported to ${out}`);
      return { passed: r.passed, summary: r.summary, log: r.log };
    }),
  );
  return { ...value, seconds, diagnostics: out, json: (f: string) => JSON.parse(readFileSync(join(out, f), "utf8")) };
}

/** Seconds a step took, as the run's log says it (`✔ cluster created in 123s`). */
const stepSeconds = (log: string, step: RegExp) => Number(new RegExp(`${step.source} in (\\d+)s`).exec(log)?.[1]);

// the kind node image: npm test's up.sh may still be building it (k8s-lane.ts)
beforeAll(() => k8sReady(), 3_300_000);

describe("the Kind e2e's Docker daemon on a real engine", () => {
  it("Kind.binary() builds the pinned kind in a Go container from the Go module proxy", async () => {
    const { seconds, value: version } = await timed(() =>
      onEngine(async () => {
        const kind = await localWva(fixtureDir).kind(CLUSTER);
        const built = kind.binary();
        return dag.container().from(kind.goImage).withFile("/usr/local/bin/kind", built).withExec(["kind", "version"]).stdout();
      }),
    );
    console.log(`Kind.binary(): go install sigs.k8s.io/kind@v0.33.0 in the engine, ${seconds.toFixed(1)}s`);
    expect(version).toMatch(/^kind v0\.33\.0 go\S+ linux\/amd64/);
  });

  it("Kind.cluster() runs dockerd as a service, and Kind.container() reaches it with the docker CLI and the pinned kind", async () => {
    const { info, kindVersion } = await onEngine(async () => {
      const kind = await localKind();
      await kind.cluster().start();
      const tools = kind.container().withEnvVariable("WVA_E2E_RUN", newRunId());
      const [info, kindVersion] = await Promise.all([
        tools.withExec(["docker", "info", "--format", "{{json .}}"]).stdout(),
        tools.withExec(["kind", "version"]).stdout(),
      ]);
      await kind.cluster().stop();
      return { info: JSON.parse(info), kindVersion };
    });
    // the daemon answered over tcp://kind:2375: Debian's docker.io, overlay storage on the cache volume,
    // and runc behind the wrapper that drops CAP_SYS_RESOURCE (which this host lacks) as its default runtime
    expect(info.ServerVersion).toMatch(/^20\.10\.24/);
    expect(info.Driver).toBe("overlay2");
    expect(info.DefaultRuntime).toBe("runc-nosysres");
    expect(kindVersion).toMatch(/^kind v0\.33\.0 go\S+ linux\/amd64/);
  });
});

describe("Kind.test() on the fixture, for real: three nodes, emulated GPUs, the chart, the fixture's e2e", () => {
  it("passes: nodes Ready with their GPUs, the controller Ready with the loaded image, the fixture's e2e green", async () => {
    const run = await kindRun();
    console.log(
      `Kind.test() on the fixture: ${run.seconds.toFixed(0)}s in all; kind create (3 nodes) ${stepSeconds(run.log, /cluster created/)}s, ` +
        `chart ${stepSeconds(run.log, /chart installed/)}s, tests ${/\(tests ran in (\d+)s\)/.exec(run.log)?.[1]}s\n${run.log.split("\n").filter((l) => /^[✔✘]/.test(l)).join("\n")}`,
    );
    expect(run.passed, run.log).toBe(true);
    expect(run.summary).toBe("e2e tests passed (go test ./test/e2e/... -timeout 5m -count=1 -v)");
    // the node image came from the engine (its mirror of kindest/node), not from a registry the daemon pulled
    expect(run.log).toMatch(/✔ node image kindest\/node:v1\.32\.0: (loaded into the Docker daemon from the engine|already in the Docker daemon)/);

    // three nodes, all Ready, on the Kubernetes the node image was built with
    const nodes = run.json("nodes.json").items as any[];
    expect(nodes).toHaveLength(3);
    for (const n of nodes) {
      expect(n.status.conditions.find((c: any) => c.type === "Ready").status, n.metadata.name).toBe("True");
      expect(n.status.nodeInfo.kubeletVersion).toBe("v1.32.0");
      expect(n.status.nodeInfo.containerRuntimeVersion).toBe("containerd://1.6.20");
    }
    // each node's GPU labels and capacity as the emulation ("mix", 4 per node) set them
    const names = nodeNames(JSON.stringify({ items: nodes }));
    expect(names).toEqual([`${CLUSTER}-control-plane`, `${CLUSTER}-worker`, `${CLUSTER}-worker2`]);
    for (const plan of emulatedGpus(names, "mix", 4)) {
      const n = nodes.find((x) => x.metadata.name === plan.node);
      expect(n.metadata.labels).toMatchObject(plan.labels);
      const resource = `${plan.model.vendor}/gpu`;
      expect(n.status.capacity[resource], `${plan.node} ${resource}`).toBe("4");
      expect(n.status.allocatable[resource]).toBe("4");
    }
    expect(new Set(nodes.map((n) => Object.keys(n.status.capacity).find((k) => k.endsWith("/gpu"))))).toEqual(
      new Set(["nvidia.com/gpu", "amd.com/gpu", "intel.com/gpu"]),
    );

    // pod networking on every node (kindnet), cluster DNS up, and the HPAScaleToZero gate on the control plane
    const system = run.json("kube-system-workloads.json").items as any[];
    const ready = (p: any) => p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");
    const kindnet = system.filter((p) => p.kind === "Pod" && p.metadata.name.startsWith("kindnet-"));
    expect(new Set(kindnet.filter(ready).map((p) => p.spec.nodeName))).toEqual(new Set(names));
    expect(system.filter((p) => p.kind === "Pod" && p.metadata.name.startsWith("coredns-")).filter(ready)).toHaveLength(2);
    for (const component of ["kube-apiserver", "kube-controller-manager"]) {
      const pod = system.find((p) => p.kind === "Pod" && p.metadata.name === `${component}-${CLUSTER}-control-plane`);
      expect(pod.spec.containers[0].command, component).toContain("--feature-gates=HPAScaleToZero=true");
    }

    // the chart's Deployment is Ready, running the image the module loaded under the name it gave it
    const workloads = run.json(`${NAMESPACE}-workloads.json`).items as any[];
    const deploy = workloads.find((w) => w.kind === "Deployment");
    expect(deploy.status.readyReplicas).toBe(deploy.spec.replicas);
    expect(deploy.spec.template.spec.containers[0].image).toBe("localhost/workload-variant-autoscaler:e2e");
    const pod = workloads.find((w) => w.kind === "Pod" && w.metadata.labels?.["control-plane"] === "controller-manager");
    expect(ready(pod)).toBe(true);
    expect(pod.status.containerStatuses[0].image).toBe("localhost/workload-variant-autoscaler:e2e");

    // the fixture's e2e tests ran against that controller, through the port-forward, and passed
    expect(run.log).toMatch(/--- PASS: TestControllerIsHealthyAndReady/);
    expect(run.log).toMatch(/--- PASS: TestScalesUpUnderLoad/);
    expect(run.log).toMatch(/^ok\s+\S+\/test\/e2e\s/m);
  });

  it("a wrong image tag fails at the chart install, saying so, with exportable diagnostics showing why", async () => {
    const run = await kindRun({ workers: 0, helmSet: ["wva.image.tag=no-such-tag"], installTimeout: "60s" });
    console.log(`Kind.test() with a wrong image tag: ${run.seconds.toFixed(0)}s; summary: ${run.summary}`);
    expect(run.passed).toBe(false);
    // the failing step, and helm's own reason
    expect(run.summary).toMatch(/^could not install the chart: Error: .*(context deadline exceeded|timed out waiting for the condition)/);
    expect(run.log).not.toContain("go test ./test/e2e");
    // the exported diagnostics say it: result.json, the log, the events and pods naming the image that is not there
    expect(run.json("result.json")).toEqual({ run: "kind", passed: false, summary: run.summary });
    expect(readFileSync(join(run.diagnostics, "run.log"), "utf8")).toBe(run.log);
    const events = readFileSync(join(run.diagnostics, `${NAMESPACE}-events.txt`), "utf8");
    expect(events).toContain('Failed to pull image "localhost/workload-variant-autoscaler:no-such-tag"');
    const pods = run.json(`${NAMESPACE}-workloads.json`).items.filter((w: any) => w.kind === "Pod");
    expect(pods[0].status.containerStatuses[0].state.waiting.reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    // kind's own logs of the node (kubelet, containerd) are there too
    expect(existsSync(join(run.diagnostics, "kind-logs", `${CLUSTER}-control-plane`, "kubelet.log"))).toBe(true);
    expect(readdirSync(join(run.diagnostics, "logs")).some((f) => f.startsWith(`${NAMESPACE}-`))).toBe(true);
  });
});
