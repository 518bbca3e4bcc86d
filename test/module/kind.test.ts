/**
 * The Kind e2e graph against the fake engine: the Docker daemon service and its bindings, the
 * cluster config, emulated GPUs, the image tarball, the chart install, the e2e tests and the
 * diagnostics, in passing and failing runs.
 */
import { dag, type Directory } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { Kind } from "../../dagger/src/kind.js";
import { Wva } from "../../dagger/src/index.js";
import { FakeError, withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority-data: Q0E=, server: "https://0.0.0.0:6443"}
  name: kind-wva-e2e
contexts:
- context: {cluster: kind-wva-e2e, user: kind-wva-e2e}
  name: kind-wva-e2e
current-context: kind-wva-e2e
users:
- name: kind-wva-e2e
  user: {client-certificate-data: Y2VydA==, client-key-data: a2V5}
`;
const NODES = JSON.stringify({
  items: [
    { metadata: { name: "wva-e2e-worker", labels: {} } },
    { metadata: { name: "wva-e2e-control-plane", labels: { "node-role.kubernetes.io/control-plane": "" } } },
    { metadata: { name: "wva-e2e-worker2", labels: {} } },
  ],
});

/** Arguments of the last withExec in a chain. */
const lastExec = (path: Step[]) => [...path].reverse().find((s) => s.name === "withExec")?.args.args as string[] | undefined;
const script = (args?: string[]) => (args && (args[0] === "sh" || args[0] === "bash") ? String(args[2]) : (args ?? []).join(" "));
const execFailure = (stderr: string) =>
  new FakeError("process did not complete successfully: exit code: 1", { _type: "EXEC_ERROR", cmd: [], exitCode: 1, stdout: "", stderr });

/** A cluster that behaves: kubeconfig, nodes, go test exit code `goExit`. */
function cluster(goExit = 0, more?: (e: FakeEngine) => void) {
  return (e: FakeEngine) => {
    e.on((path) => {
      const leaf = path.at(-1)!;
      const exec = script(lastExec(path));
      if (leaf.name === "contents" && path.at(-2)?.name === "file" && path.at(-2)!.args.path === "/kind/kubeconfig") return KUBECONFIG;
      if (leaf.name === "stdout" && exec === "kubectl get nodes -o json") return NODES;
      if (exec.includes("go test")) {
        if (leaf.name === "exitCode") return goExit;
        if (leaf.name === "stdout") return goExit ? "--- FAIL: TestControllerHealthz (3.00s)\nFAIL\n" : "--- PASS: TestControllerHealthz (0.10s)\nok\n";
      }
      return undefined;
    });
    more?.(e);
  };
}

/** A directory standing in for a source tree or chart. */
const dir = (name: string): Directory => dag.directory().withNewFile(`${name}.txt`, name);
const run = (k = new Kind()) => k.test(dag.container().from("registry.local/wva:pr-42"), dir("chart"), dir("source"));

/** Scripts of every exec (the `-c` argument, or the joined command line). */
const scripts = (e: FakeEngine) => e.execs().map((a) => script(a));

describe("the Docker daemon service", () => {
  test("runs docker:dind with its entrypoint, insecure root capabilities, plain TCP 2375, bound as `kind`", async () => {
    const { engine, result, error } = await withFakeEngine(() => run(), cluster());
    expect(error).toBeUndefined();
    expect(result!.passed).toBe(true);
    const bindings = engine.steps("withServiceBinding");
    expect(new Set(bindings.map((b) => b.args.alias))).toEqual(new Set(["kind"]));
    const svc = engine.origin(bindings[0].args.service)!;
    expect(svc.find((s) => s.name === "from")!.args.address).toBe("docker:28.5.1-dind");
    expect(svc.find((s) => s.name === "withEnvVariable" && s.args.name === "DOCKER_TLS_CERTDIR")!.args.value).toBe("");
    expect(svc.find((s) => s.name === "withExposedPort")!.args.port).toBe(2375);
    expect(svc.at(-1)).toEqual({
      name: "asService",
      args: {
        args: ["dockerd", "--host=tcp://0.0.0.0:2375", "--host=unix:///var/run/docker.sock", "--tls=false"],
        useEntrypoint: true,
        insecureRootCapabilities: true,
      },
    });
    // Docker storage on a cache volume private to this daemon
    const cache = svc.find((s) => s.name === "withMountedCache")!;
    expect(cache.args).toMatchObject({ path: "/var/lib/docker", sharing: "PRIVATE" });
    expect(engine.origin(cache.args.cache)!.at(-1)!.args.key).toBe("wva-kind-docker-wva-e2e");
    // every binding is the same service, started explicitly so it outlives single execs, then stopped
    // (cache volume IDs are minted per call by the fake: compare them by key)
    const normalized = (id: string) =>
      JSON.stringify(engine.origin(id)!.map((s) => (s.args.cache ? { ...s, args: { ...s.args, cache: engine.origin(s.args.cache)!.at(-1)!.args.key } } : s)));
    expect(new Set(bindings.map((b) => normalized(b.args.service)))).toHaveLength(1);
    expect(engine.chainsWith("start").length).toBeGreaterThan(0);
    expect(engine.chainsWith("stop").length).toBeGreaterThan(0);
  });

  test("the tools container talks to it through DOCKER_HOST and has docker, kind (built with go install) and kubectl", async () => {
    const { engine } = await withFakeEngine(() => run(), cluster());
    const env = engine.steps("withEnvVariable").filter((s) => s.args.name === "DOCKER_HOST");
    expect(env[0].args.value).toBe("tcp://kind:2375");
    expect(engine.execs()).toContainEqual(["go", "install", "sigs.k8s.io/kind@v0.33.0"]);
    const files = engine.steps("withFile").map((s) => s.args.path);
    expect(files).toEqual(expect.arrayContaining(["/usr/local/bin/docker", "/usr/local/bin/kind", "/usr/local/bin/kubectl"]));
    expect(engine.steps("from").map((s) => s.args.address)).toEqual(expect.arrayContaining(["alpine/k8s:1.32.1", "golang:1.26"]));
  });

  test("versions and images are overridable; a given kind binary is not rebuilt", async () => {
    const k = new Kind("wva-e2e", "v0.30.0", "kindest/node:v1.31.4", "docker:27.5.1-dind", "tools.local/k8s:1", "golang:1.24.3", 1, "nvidia-mix", 2, "kind", 6443, dag.file("kind", "#!bin"));
    const { engine } = await withFakeEngine(() => run(k), cluster());
    expect(engine.execs().some((a) => a[0] === "go" && a[1] === "install")).toBe(false);
    expect(engine.steps("from").map((s) => s.args.address)).toEqual(expect.arrayContaining(["docker:27.5.1-dind", "tools.local/k8s:1", "golang:1.24.3"]));
    const config = parse(engine.steps("file").find((s) => s.args.name === "kind-config.yaml")!.args.contents);
    expect(config.nodes.map((n: any) => `${n.role}:${n.image}`)).toEqual(["control-plane:kindest/node:v1.31.4", "worker:kindest/node:v1.31.4"]);
  });
});

describe("the cluster", () => {
  test("is created from a config with three nodes on the pinned image, API server on 0.0.0.0 with the alias as certSAN", async () => {
    const { engine } = await withFakeEngine(() => run(), cluster());
    const config = parse(engine.steps("file").find((s) => s.args.name === "kind-config.yaml")!.args.contents);
    expect(config.nodes.map((n: any) => n.role)).toEqual(["control-plane", "worker", "worker"]);
    expect(config.nodes[0].image).toBe("kindest/node:v1.32.0");
    expect(config.networking).toEqual({ apiServerAddress: "0.0.0.0", apiServerPort: 6443 });
    expect(config.nodes[0].kubeadmConfigPatches[0]).toContain("- kind");
    expect(engine.steps("withMountedFile").map((s) => s.args.path)).toContain("/kind/config.yaml");
    expect(scripts(engine).some((s) => s.includes("kind create cluster --name wva-e2e --config /kind/config.yaml"))).toBe(true);
  });

  test("enables the HPAScaleToZero feature gate by default, as WVA's kind-emulator does; others on request", async () => {
    const gates = async (k: Kind) => {
      const { engine } = await withFakeEngine(() => run(k), cluster());
      return parse(engine.steps("file").find((s) => s.args.name === "kind-config.yaml")!.args.contents).featureGates;
    };
    expect(await gates(new Kind())).toEqual({ HPAScaleToZero: true });
    const k = new Kind();
    k.featureGates = ["HPAScaleToZero=false", "InPlacePodVerticalScaling=true"];
    expect(await gates(k)).toEqual({ HPAScaleToZero: false, InPlacePodVerticalScaling: true });
    k.featureGates = ["HPAScaleToZero"];
    const { engine, error } = await withFakeEngine(() => run(k), cluster());
    expect(String(error)).toContain('feature gate "HPAScaleToZero" must look like Name=true');
    expect(engine.execs()).toEqual([]);
  });

  test("the node image comes from the engine: docker load of its tarball into the daemon unless the daemon has it", async () => {
    // a daemon without the image: the engine pulls it (its mirrors), the tarball is loaded and tagged
    const { engine, result } = await withFakeEngine(() => run(), cluster());
    const tar = engine.steps("withMountedFile").find((s) => s.args.path === "/images/node.tar")!;
    const origin = engine.origin(tar.args.source)!;
    expect(origin.at(-1)!.name).toBe("asTarball");
    expect(origin.find((s) => s.name === "from")!.args.address).toBe("kindest/node:v1.32.0");
    const load = scripts(engine).find((s) => s.includes("docker load -i /images/node.tar"))!;
    expect(load).toContain("docker tag \"$src\" kindest/node:v1.32.0");
    // loaded before kind create runs
    const all = scripts(engine);
    expect(all.findIndex((s) => s.includes("/images/node.tar"))).toBeLessThan(all.findIndex((s) => s.includes("kind create cluster")));
    expect(result!.log).toContain("✔ node image kindest/node:v1.32.0: loaded into the Docker daemon from the engine");
    // a daemon that has it (its storage is a cache volume): nothing is exported or loaded
    const again = await withFakeEngine(
      () => run(),
      cluster(0, (e) => e.on((path) => (path.at(-1)!.name === "stdout" && script(lastExec(path)).includes("then echo present; else echo absent") ? "present\n" : undefined))),
    );
    expect(again.engine.steps("withMountedFile").map((s) => s.args.path)).not.toContain("/images/node.tar");
    expect(again.result!.log).toContain("✔ node image kindest/node:v1.32.0: already in the Docker daemon");
  });

  test("the nodes get emulated GPUs through labels and status-subresource patches", async () => {
    const { engine, result } = await withFakeEngine(() => run(), cluster());
    const gpu = scripts(engine).find((s) => s.includes("--subresource=status"))!;
    for (const [node, label] of [["wva-e2e-control-plane", "gpu-config=4A100"], ["wva-e2e-worker", "gpu-config=4MI300X"], ["wva-e2e-worker2", "gpu-config=4Gaudi-2"]]) {
      expect(gpu).toContain(`kubectl label node ${node} --overwrite`);
      expect(gpu).toContain(label);
      expect(gpu).toContain(`kubectl patch node ${node} --subresource=status --type=merge`);
    }
    expect(gpu).toContain(`'{"status":{"capacity":{"nvidia.com/gpu":"4"},"allocatable":{"nvidia.com/gpu":"4"}}}'`);
    expect(result!.log).toContain("wva-e2e-control-plane=4A100");
  });

  test("kubectl uses the kubeconfig rewritten to https://kind:6443", async () => {
    const { engine } = await withFakeEngine(() => run(), cluster());
    const kc = engine.steps("withNewFile").filter((s) => s.args.path === "/root/.kube/config");
    expect(kc.length).toBeGreaterThan(0);
    for (const f of kc) expect(parse(f.args.contents).clusters[0].cluster.server).toBe("https://kind:6443");
  });

  test("kubeconfig() returns that kubeconfig as a File", async () => {
    const { engine, error } = await withFakeEngine(async () => (await new Kind().kubeconfig()).id(), cluster());
    expect(error).toBeUndefined();
    const f = engine.steps("file").find((s) => s.args.name === "kubeconfig")!;
    expect(parse(f.args.contents).clusters[0].cluster.server).toBe("https://kind:6443");
  });
});

describe("image, chart and tests", () => {
  test("the controller image is loaded from its tarball into the nodes, and the chart installed with it", async () => {
    const { engine } = await withFakeEngine(() => run(), cluster());
    const tar = engine.steps("withMountedFile").find((s) => s.args.path === "/images/wva.tar")!;
    const origin = engine.origin(tar.args.source)!;
    expect(origin.at(-1)!.name).toBe("asTarball");
    expect(origin.find((s) => s.name === "from")!.args.address).toBe("registry.local/wva:pr-42");
    expect(scripts(engine).find((s) => s.includes("/images/wva.tar"))).toContain("kind load docker-image localhost/workload-variant-autoscaler:e2e --name wva-e2e");
    const helm = engine.execs().find((a) => a[0] === "helm")!;
    expect(helm.join(" ")).toBe(
      "helm upgrade --install wva /chart --namespace workload-variant-autoscaler-system --create-namespace " +
        "--set wva.image.repository=localhost/workload-variant-autoscaler --set wva.image.tag=e2e --set wva.imagePullPolicy=IfNotPresent --wait --timeout 5m",
    );
    expect(engine.steps("withMountedDirectory").find((s) => s.args.path === "/chart")).toBeDefined();
  });

  test("go test runs in the source with KUBECONFIG, the suite's env and the controller port-forwarded", async () => {
    const { engine } = await withFakeEngine(() => run(), cluster());
    const chain = engine.chains.find((c) => c.at(-1)!.name === "exitCode")!;
    expect(script(lastExec(chain))).toContain("go test ./test/e2e/... -timeout 30m -count=1 -v");
    expect(script(lastExec(chain))).toContain("port-forward");
    const env = Object.fromEntries(chain.filter((s) => s.name === "withEnvVariable").map((s) => [s.args.name, s.args.value]));
    expect(env).toMatchObject({ KUBECONFIG: "/root/.kube/config", ENVIRONMENT: "kind-emulator", WVA_NAMESPACE: "workload-variant-autoscaler-system" });
    expect(chain.find((s) => s.name === "withWorkdir")!.args.path).toBe("/src");
    expect(chain.find((s) => s.name === "withExec" && s.args.expect === "ANY")).toBeDefined();
    expect(chain.some((s) => s.name === "withServiceBinding" && s.args.alias === "kind")).toBe(true);
  });

  test("every exec of a run carries the same run id, and two runs differ (no cached step of an old cluster)", async () => {
    const ids = async () => {
      const { engine } = await withFakeEngine(() => run(), cluster());
      const execChains = engine.chains.filter((c) => c.some((s) => s.name === "withExec") && !c.some((s) => s.name === "asService"));
      const kindExecs = execChains.filter((c) => c.some((s) => s.name === "withServiceBinding"));
      return new Set(kindExecs.map((c) => c.find((s) => s.name === "withEnvVariable" && s.args.name === "WVA_E2E_RUN")?.args.value));
    };
    const a = await ids();
    const b = await ids();
    expect(a.size).toBe(1);
    expect([...a][0]).toMatch(/^[0-9a-z]+-[0-9a-f]{6}$/);
    expect([...a][0]).not.toBe([...b][0]);
  });
});

describe("failures", () => {
  test("failing tests: passed=false, the log has the go test output, diagnostics were collected", async () => {
    const { engine, result } = await withFakeEngine(() => run(), cluster(1));
    expect(result!.passed).toBe(false);
    expect(result!.summary).toBe("e2e tests failed (exit 1)");
    expect(result!.log).toContain("--- FAIL: TestControllerHealthz");
    const diag = scripts(engine).find((s) => s.includes("kind export logs"))!;
    expect(diag).toContain("for ns in workload-variant-autoscaler-system kube-system; do");
    expect(engine.chainsWith("directory").some((c) => c.some((s) => s.name === "directory" && s.args.path === "/diagnostics"))).toBe(true);
  });

  test("a step that fails stops the run there, and the error names the step", async () => {
    const { engine, result } = await withFakeEngine(
      () => run(),
      cluster(0, (e) => e.on((path) => (path.at(-1)!.name === "stdout" && lastExec(path)?.[0] === "helm" ? execFailure("Error: INSTALLATION FAILED: context deadline exceeded") : undefined))),
    );
    expect(result!.passed).toBe(false);
    // the summary carries helm's own error, not just the exec's exit code
    expect(result!.summary).toBe("could not install the chart: Error: INSTALLATION FAILED: context deadline exceeded");
    expect(result!.log).toContain("INSTALLATION FAILED: context deadline exceeded");
    expect(scripts(engine).some((s) => s.includes("go test"))).toBe(false);
    expect(scripts(engine).some((s) => s.includes("kind export logs"))).toBe(true);
  });

  test("check() fails with the summary, the log tail and how to export the diagnostics", async () => {
    const { error } = await withFakeEngine(async () => (await run()).check(), cluster(1));
    expect(String(error)).toContain("kind e2e failed: e2e tests failed (exit 1)");
    expect(String(error)).toContain("--- FAIL: TestControllerHealthz");
    expect(String(error)).toContain("dagger call e-2-e-result diagnostics export --path ./e2e-diagnostics");
  });

  test("bad arguments fail before anything runs", async () => {
    for (const bad of [
      () => new Kind().test(dag.container(), dir("c"), dir("s"), "30 minutes"),
      () => new Kind().test(dag.container(), dir("c"), dir("s"), "30m", undefined, "Bad_NS"),
      () => new Kind().test(dag.container(), dir("c"), dir("s"), "30m", undefined, undefined, undefined, "localhost/wva"),
    ]) {
      const { engine, error } = await withFakeEngine(bad, cluster());
      expect(error).toBeInstanceOf(Error);
      expect(engine.execs()).toEqual([]);
    }
  });
});

describe("wiring into Wva", () => {
  const src = () =>
    dag.directory().withNewFile("go.mod", "module example.com/wva\n\ngo 1.26.0\n").withNewFile("charts/workload-variant-autoscaler/Chart.yaml", "name: wva\n");
  test("e2e is a ci stage (ci --skip e2e leaves it out)", async () => {
    const { result } = await withFakeEngine(async () => new Wva(src()).ciStages());
    expect(result).toContain("e2e");
  });
  test("e2e runs the Kind e2e with the controller image of this source and the Go image of its go.mod, and fails with the hint", async () => {
    const { engine, error } = await withFakeEngine(() => new Wva(src()).e2e(), cluster(1));
    expect(String(error)).toContain("dagger call e-2-e-result diagnostics export");
    expect(engine.steps("from").map((s) => s.args.address)).toEqual(expect.arrayContaining(["golang:1.26.0", "docker:28.5.1-dind"]));
    const tar = engine.steps("withMountedFile").find((s) => s.args.path === "/images/wva.tar")!;
    expect(engine.origin(tar.args.source)!.some((s) => s.name === "withEntrypoint" || s.name === "withFile")).toBe(true);
  });
});
