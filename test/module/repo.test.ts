/**
 * The Go stages follow the repository they run on: WVA's real tree (read in place through a host
 * directory the fake engine maps to the folder) pins golangci-lint, controller-gen and envtest.
 */
import { dag, type Directory } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { Wva } from "../../dagger/src/index.js";
import { withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";
import { upstreamWva } from "../upstream.js";

const wvaTree = () => dag.host().directory(upstreamWva);
const commands = (e: FakeEngine) => e.execs().map((a) => a.join(" "));
const goList = (pkgs: string[]) => (path: Step[]) =>
  path.at(-1)!.name === "stdout" && path.some((s) => s.name === "withExec" && s.args.args.join(" ") === "go list ./...")
    ? pkgs.join("\n") + "\n"
    : undefined;

describe("on WVA's real tree", () => {
  test("lint installs the Makefile's golangci-lint v2.8.0 into the repository's Go image and runs it there", async () => {
    const { engine, error } = await withFakeEngine(() => new Wva(wvaTree()).lint());
    expect(error).toBeUndefined();
    expect(new Set(engine.steps("from").map((s) => s.args.address))).toEqual(new Set(["golang:1.24.0"]));
    const install = engine.chainsWith("withExec").find((c) => c.some((s) => s.name === "withExec" && s.args.args[1] === "install"))!;
    expect(install.find((s) => s.name === "withExec")!.args.args).toEqual([
      "go", "install", "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.8.0",
    ]);
    const env = install.filter((s) => s.name === "withEnvVariable").map((s) => `${s.args.name}=${s.args.value}`);
    // GOTOOLCHAIN=local from the caches, then auto for the install: a newer Go than the image's may be needed
    expect(env.at(-1)).toBe("GOTOOLCHAIN=auto");
    // the install does not see the source, so editing code never rebuilds golangci-lint
    expect(install.some((s) => s.name === "withDirectory")).toBe(false);
    expect(commands(engine)).toContain("golangci-lint run ./...");
  });

  test("checkGenerated uses the Makefile's controller-gen v0.17.2", async () => {
    const { engine } = await withFakeEngine(() => new Wva(wvaTree()).checkGenerated());
    expect(commands(engine)).toContain("go install sigs.k8s.io/controller-tools/cmd/controller-gen@v0.17.2");
  });

  test("versions prints each tool's version and the file it came from", async () => {
    const { result, error } = await withFakeEngine(() => new Wva(wvaTree()).versions());
    expect(error).toBeUndefined();
    const lines = result!.split("\n");
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^go\s+1\.24\.0\s+go\.mod go$/),
      expect.stringMatching(/^golangci-lint\s+v2\.8\.0\s+Makefile GOLANGCI_LINT_VERSION$/),
      expect.stringMatching(/^controller-gen\s+v0\.17\.2\s+Makefile CONTROLLER_TOOLS_VERSION$/),
      expect.stringMatching(/^setup-envtest\s+release-0\.22\s+go\.mod sigs\.k8s\.io\/controller-runtime v0\.22\.4$/),
      expect.stringMatching(/^envtest k8s\s+1\.34\s+go\.mod k8s\.io\/api v0\.34\.2$/),
      expect.stringMatching(/^image\s+Dockerfile\s+repository Dockerfile$/),
    ]));
  });

  test("arguments override what the repository pins", async () => {
    const { engine } = await withFakeEngine(() => {
      const w = new Wva(wvaTree());
      w.golangciLintVersion = "v2.9.0";
      w.controllerGenVersion = "v0.18.0";
      return Promise.all([w.lint(), w.checkGenerated()]);
    });
    const cmds = commands(engine);
    expect(cmds).toContain("go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.9.0");
    expect(cmds).toContain("go install sigs.k8s.io/controller-tools/cmd/controller-gen@v0.18.0");
  });

  test("test without --envtest-assets runs setup-envtest release-0.22 for Kubernetes 1.34", async () => {
    const { engine, error } = await withFakeEngine(() => new Wva(wvaTree()).test(), (e) => e.on(goList(["m/internal/controller"])));
    expect(error).toBeUndefined();
    const cmds = commands(engine);
    expect(cmds).toContain("go install sigs.k8s.io/controller-runtime/tools/setup-envtest@release-0.22");
    expect(cmds).toContain("setup-envtest use 1.34 --bin-dir /root/.local/share/kubebuilder-envtest -p path");
  });

  test("test with --envtest-assets mounts them and points KUBEBUILDER_ASSETS at kube-apiserver's directory, downloading nothing", async () => {
    const assets = (): Directory =>
      ["etcd", "kube-apiserver", "kubectl"].reduce(
        (d, b) => d.withNewFile(`k8s/1.34.1-linux-amd64/${b}`, "#!/bin/true\n"),
        dag.directory(),
      );
    const { engine, error } = await withFakeEngine(async () => {
      const w = new Wva(wvaTree());
      w.envtestAssets = assets();
      await w.test();
    }, (e) => e.on(goList(["m/internal/controller"])));
    expect(error).toBeUndefined();
    expect(commands(engine).some((c) => c.includes("setup-envtest"))).toBe(false);
    const chain = engine.chainsWith("withExec").find((c) => c.some((s) => s.name === "withExec" && s.args.args.join(" ").includes("go-test go test")))!;
    expect(chain.find((s) => s.name === "withMountedDirectory")?.args.path).toBe("/envtest-assets");
    expect(chain.find((s) => s.name === "withEnvVariable" && s.args.name === "KUBEBUILDER_ASSETS")?.args.value).toBe(
      "/envtest-assets/k8s/1.34.1-linux-amd64",
    );
  });

  test("--envtest-assets without kube-apiserver is refused before go test runs", async () => {
    const { engine, error } = await withFakeEngine(async () => {
      const w = new Wva(wvaTree());
      w.envtestAssets = dag.directory().withNewFile("etcd", "x");
      await w.test();
    }, (e) => e.on(goList(["m/internal/controller"])));
    expect(String(error)).toMatch(/--envtest-assets has no kube-apiserver/);
    expect(commands(engine).some((c) => c.includes("go test"))).toBe(false);
  });

  test("the image is WVA's Dockerfile, built per platform with its builder stage on the build platform", async () => {
    const { engine, error } = await withFakeEngine(async () => (await new Wva(wvaTree()).image("linux/arm64", "v0.5.1", "abc123")).id());
    expect(error).toBeUndefined();
    const builds = engine.steps("dockerBuild");
    expect(builds.map((s) => [s.args.dockerfile, s.args.platform])).toEqual([[".wva-cross.Dockerfile", "linux/arm64"]]);
    const written = engine.steps("withNewFile").find((s) => s.args.path === ".wva-cross.Dockerfile")!.args.contents as string;
    expect(written.split("\n").find((l) => l.startsWith("FROM"))).toBe("FROM --platform=linux/amd64 quay.io/projectquay/golang:1.24 AS builder");
    const labels = Object.fromEntries(engine.steps("withLabel").map((s) => [s.args.name, s.args.value]));
    expect(labels).toMatchObject({ "org.opencontainers.image.version": "v0.5.1", "org.opencontainers.image.revision": "abc123" });
    // nothing of the assembled image: no go build in a Go container, no distroless base pulled by the module
    expect(commands(engine).some((c) => c.startsWith("go build"))).toBe(false);
  });

  test("with --dockerfile '' the image is assembled from the cross-compiled binary", async () => {
    const { engine } = await withFakeEngine(async () => {
      const w = new Wva(wvaTree());
      w.dockerfile = "";
      return (await w.image("linux/arm64")).id();
    });
    expect(engine.steps("dockerBuild")).toEqual([]);
    expect(commands(engine).some((c) => c.startsWith("go build -trimpath"))).toBe(true);
  });
});
