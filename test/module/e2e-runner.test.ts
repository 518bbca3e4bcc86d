/**
 * The e2e runner's graph against the fake engine: which e2e `e2e-result` picks from the
 * repository's Makefile, what the runner container is made of, what its one exec runs, and how
 * the result reads make's exit code and output.
 */
import { dag } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { Wva } from "../../dagger/src/index.js";
import { withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";

const WVA_LIKE_MAKEFILE = [
  "IMG ?= ghcr.io/llm-d/workload-variant-autoscaler:latest",
  "deploy-e2e-infra:",
  "\tENVIRONMENT=$(ENVIRONMENT) ./deploy/install.sh",
  "test-e2e-smoke:",
  '\tgo test ./test/e2e/ -ginkgo.label-filter="smoke" $(FOCUS_ARGS) $(SKIP_ARGS)',
  "test-e2e-smoke-with-setup: deploy-e2e-infra test-e2e-smoke",
  "",
].join("\n");

const src = (makefile?: string) => {
  let d = dag.directory().withNewFile("go.mod", "module example.com/wva\n\ngo 1.24.0\n").withNewFile("Dockerfile", "FROM golang:1.24\n");
  if (makefile) d = d.withNewFile("Makefile", makefile);
  return d;
};

const lastExec = (path: Step[]) => [...path].reverse().find((s) => s.name === "withExec");
const runnerExec = (e: FakeEngine) => e.steps("withExec").find((s) => String((s.args.args as string[])[2] ?? "").includes("dockerd-entrypoint.sh dockerd"));

/** The runner's files: exit code, make's output. */
function makeRun(exit: number, makeLog: string) {
  return (e: FakeEngine) =>
    e.on((path) => {
      const leaf = path.at(-1)!;
      const file = path.at(-2);
      const exec = lastExec(path);
      if (!exec || !String((exec.args.args as string[])[2] ?? "").includes("dockerd-entrypoint.sh")) return undefined;
      if (leaf.name === "contents" && file?.name === "file" && file.args.path === "/e2e-out/exit-code") return `${exit}\n`;
      if (leaf.name === "contents" && file?.name === "file" && file.args.path === "/e2e-out/make.log") return makeLog;
      if (leaf.name === "stdout") return `runner: kindest/node:v1.32.0 in the Docker daemon\n${makeLog}`;
      if (leaf.name === "stderr") return "";
      return undefined;
    });
}

describe("which e2e runs", () => {
  test("a Makefile with test-e2e-smoke-with-setup: the runner runs it (WVA's CI target), with WVA's CI environment and IMG", async () => {
    const { engine, result, error } = await withFakeEngine(() => new Wva(src(WVA_LIKE_MAKEFILE)).e2eResult(), makeRun(0, "ok\n"));
    expect(error).toBeUndefined();
    expect(result!.passed).toBe(true);
    expect(result!.summary).toBe("make test-e2e-smoke-with-setup passed");
    const exec = runnerExec(engine)!;
    expect(exec.args.insecureRootCapabilities).toBe(true);
    const script = String((exec.args.args as string[])[2]);
    for (const line of [
      "export ENVIRONMENT=kind-emulator",
      "export CREATE_CLUSTER=true",
      "export SKIP_BUILD=true",
      "export IMG=localhost/workload-variant-autoscaler:e2e",
      "timeout 3600 make test-e2e-smoke-with-setup 2>&1",
    ]) {
      expect(script).toContain(line);
    }
    // the node image from the engine (its mirrors) and the controller image built from the Dockerfile, as tarballs
    const mounted: Record<string, Step[]> = Object.fromEntries(engine.steps("withMountedFile").map((s) => [s.args.path, engine.origin(s.args.source)!]));
    expect(mounted["/images/node.tar"].find((s) => s.name === "from")!.args.address).toBe("kindest/node:v1.32.0");
    expect(mounted["/images/node.tar"].at(-1)!.name).toBe("asTarball");
    expect(mounted["/images/controller.tar"].some((s) => s.name === "dockerBuild")).toBe(true);
    // the runner: docker:dind with the tools; no host Docker socket anywhere
    expect(engine.steps("from").map((s) => s.args.address)).toEqual(expect.arrayContaining(["docker:28.5.1-dind", "alpine/k8s:1.32.1", "golang:1.24.0"]));
    expect(engine.execs()).toContainEqual(["go", "install", "github.com/mikefarah/yq/v4@v4.45.4"]);
    const files = engine.steps("withFile").map((s) => s.args.path);
    expect(files).toEqual(expect.arrayContaining(["/usr/local/bin/kind", "/usr/local/bin/kubectl", "/usr/local/bin/helm", "/usr/local/bin/yq"]));
    expect(engine.steps("withDirectory").map((s) => s.args.path)).toEqual(expect.arrayContaining(["/usr/local/go", "/src"]));
    expect(engine.steps("withUnixSocket")).toEqual([]);
  });

  test("a Makefile whose test-e2e sets up no cluster: the module's Kind cluster", async () => {
    const { engine, error } = await withFakeEngine(() => {
      const wva = new Wva(src("test-e2e:\n\tgo test ./test/e2e/\n"));
      wva.chartDirectory = dag.directory().withNewFile("Chart.yaml", "name: wva\n");
      return wva.e2eResult();
    });
    expect(error).toBeUndefined();
    expect(runnerExec(engine)).toBeUndefined();
    expect(engine.execs().some((a) => String(a[2] ?? "").includes("kind create cluster"))).toBe(true);
  });

  test("mode, target, env, focus and label filter reach make; bad ones fail before anything runs", async () => {
    const { engine } = await withFakeEngine(
      () => new Wva(src(WVA_LIKE_MAKEFILE)).e2eResult("20m", undefined, "repository", "test-e2e-smoke-with-setup", ["SCALE_TO_ZERO_ENABLED=true"], "scale", "smoke && !flaky"),
      makeRun(0, ""),
    );
    const script = String((runnerExec(engine)!.args.args as string[])[2]);
    expect(script).toContain("export SCALE_TO_ZERO_ENABLED=true");
    expect(script).toContain("timeout 1200 make test-e2e-smoke-with-setup FOCUS=scale 'FOCUS_ARGS=-ginkgo.label-filter=smoke && !flaky -ginkgo.focus=scale'");
    for (const bad of [
      () => new Wva(src(WVA_LIKE_MAKEFILE)).e2eResult(undefined, undefined, "sometimes"),
      () => new Wva(src(WVA_LIKE_MAKEFILE)).e2eResult(undefined, undefined, undefined, "test-e2e-nope"),
      () => new Wva(src(WVA_LIKE_MAKEFILE)).e2eResult(undefined, undefined, undefined, undefined, ["NOT AN ENV"]),
    ]) {
      const r = await withFakeEngine(bad, makeRun(0, ""));
      expect(r.error).toBeInstanceOf(Error);
      expect(runnerExec(r.engine)).toBeUndefined();
    }
  });
});

describe("the result", () => {
  test("a failed make: the failing target and the scripts' own error line, diagnostics with make's output; check() fails with them", async () => {
    const log = "[INFO] Deploying kube-prometheus-stack with TLS...\nError: no repositories found. You must add one before updating\nmake: *** [Makefile:199: deploy-e2e-infra] Error 1\n";
    const { result, engine } = await withFakeEngine(() => new Wva(src(WVA_LIKE_MAKEFILE)).e2eResult(), makeRun(2, log));
    expect(result!.passed).toBe(false);
    expect(result!.summary).toBe("make test-e2e-smoke-with-setup failed (exit 2) in deploy-e2e-infra: Error: no repositories found. You must add one before updating");
    expect(result!.log).toContain("[INFO] Deploying kube-prometheus-stack with TLS...");
    expect(engine.steps("file").some((s) => s.args.path === "/e2e-out/make.log")).toBe(true);
    const { error } = await withFakeEngine(() => new Wva(src(WVA_LIKE_MAKEFILE)).e2e(), makeRun(2, log));
    expect(String(error)).toContain("kind e2e failed: make test-e2e-smoke-with-setup failed (exit 2) in deploy-e2e-infra");
  });
});
