/**
 * The Go stages and `ci` against the fake engine: what the module asks the engine to run.
 */
import { dag, type Directory } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { Wva } from "../../dagger/src/index.js";
import { goTestScript } from "../../dagger/src/lib/gotest.js";
import { FakeError, withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";

const GO_MOD = "module example.com/wva\n\ngo 1.26.0\n\ntoolchain go1.26.8\n";

/** A source Directory made of these files (the fake engine reads them back). */
function source(files: Record<string, string>): Directory {
  return Object.entries(files).reduce((d, [path, contents]) => d.withNewFile(path, contents), dag.directory());
}

const has = (chain: Step[], argv0: string, ...rest: string[]) =>
  chain.some(
    (s) =>
      s.name === "withExec" &&
      s.args.args[0] === argv0 &&
      rest.every((r, i) => s.args.args[i + 1] === r),
  );

/** `go list ./...` answers with these packages. */
const goList = (pkgs: string[]) => (path: Step[]) =>
  path.at(-1)!.name === "stdout" && has(path, "go", "list") ? pkgs.join("\n") + "\n" : undefined;

const execFailure = (stdout: string, cmd: string[] = []) =>
  new FakeError("process did not complete successfully: exit code: 1", {
    _type: "EXEC_ERROR",
    cmd,
    exitCode: 1,
    stdout,
    stderr: "",
  });

/**
 * Every `withExec` argument list sent, joined with spaces, for readable assertions. The unit
 * tests' exec (`sh -c <goTestScript> go-test go test …`, which lists the packages itself) shows as
 * its `go test …` part.
 */
const commands = (e: FakeEngine) => e.execs().map((a) => goTestArgs(a)?.join(" ") ?? a.join(" "));

/** `go test …` of the unit tests' exec, or undefined for any other exec. */
const goTestArgs = (argv: string[]) =>
  argv[0] === "sh" && argv[1] === "-c" && argv[3] === "go-test" && argv[4] === "go" && argv[5] === "test" ? argv.slice(4) : undefined;

/** The chain whose last exec is the unit tests' one. */
const goTestChain = (e: FakeEngine) =>
  e.chainsWith("withExec").find((c) => c.some((s) => s.name === "withExec" && goTestArgs(s.args.args)))!;

describe("Go image and caches", () => {
  test("the Go image follows go.mod: toolchain over go", async () => {
    const { engine, error } = await withFakeEngine(() => new Wva(source({ "go.mod": GO_MOD })).vet());
    expect(error).toBeUndefined();
    expect(engine.steps("from").map((s) => s.args.address)).toEqual(["golang:1.26.8"]);
  });

  test("--go-version and --go-image override go.mod", async () => {
    const { engine } = await withFakeEngine(async () => {
      await new Wva(source({ "go.mod": GO_MOD }), "1.25.3").vet();
      await new Wva(source({ "go.mod": GO_MOD }), undefined, "registry.local/go:custom").vet();
    });
    expect(engine.steps("from").map((s) => s.args.address)).toEqual(["golang:1.25.3", "registry.local/go:custom"]);
  });

  test("a source without go.mod fails clearly and runs nothing", async () => {
    const { engine, error } = await withFakeEngine(() => new Wva(source({ "README.md": "hi" })).ci());
    expect(String(error)).toMatch(/no go.mod at its root/);
    expect(engine.execs()).toEqual([]);
  });

  test("a go.mod without a Go version is a clear error", async () => {
    const { error } = await withFakeEngine(() => new Wva(source({ "go.mod": "module x\n" })).build());
    expect(String(error)).toMatch(/neither a `toolchain goX.Y.Z` nor a `go X.Y` directive/);
  });

  test("module, build and lint caches are mounted at the standard paths with namespaced keys", async () => {
    const { engine, error } = await withFakeEngine(async () => {
      const w = new Wva(source({ "go.mod": GO_MOD }));
      await w.vet();
      await w.lint();
    });
    expect(error).toBeUndefined();
    const mounts = new Map<string, string>();
    for (const s of engine.steps("withMountedCache")) {
      const origin = engine.origin(s.args.cache)!;
      mounts.set(s.args.path, origin.at(-1)!.args.key);
    }
    expect(Object.fromEntries(mounts)).toEqual({
      "/go/pkg/mod": "wva-go-mod",
      "/root/.cache/go-build": "wva-go-build-1.26.8",
      "/root/.cache/golangci-lint": "wva-golangci-lint-1.26.8",
    });
  });

  test("modules are downloaded from go.mod/go.sum before the rest of the source is added", async () => {
    const { engine } = await withFakeEngine(() => new Wva(source({ "go.mod": GO_MOD })).vet());
    const chain = engine.chainsWith("withExec").find((c) => has(c, "go", "vet"))!;
    const names = chain.map((s) => (s.name === "withExec" ? s.args.args.join(" ") : s.name));
    const download = names.indexOf("go mod download");
    expect(download).toBeGreaterThan(0);
    const dirs = chain.filter((s) => s.name === "withDirectory");
    // a filtered Directory (keyed by its content), not withDirectory's include (keyed by the whole source)
    expect(dirs[0].args.include).toBeUndefined();
    expect(engine.origin(dirs[0].args.source)!.at(-1)).toEqual({ name: "filter", args: { include: ["go.mod", "go.sum"] } });
    expect(dirs[1].args.include).toBeUndefined();
    expect(engine.origin(dirs[1].args.source)!.some((s) => s.name === "filter")).toBe(false);
    expect(names.lastIndexOf("withDirectory")).toBeGreaterThan(download);
    expect(chain.find((s) => s.name === "withEnvVariable" && s.args.name === "GOTOOLCHAIN")?.args.value).toBe("local");
  });
});

describe("stages", () => {
  test("lint runs golangci-lint v2 in the lint image over every package", async () => {
    const { engine } = await withFakeEngine(() =>
      new Wva(source({ "go.mod": GO_MOD }), undefined, undefined, "local/golangci-lint:v2.15.0").lint(),
    );
    expect(engine.steps("from").map((s) => s.args.address)).toEqual(["local/golangci-lint:v2.15.0"]);
    expect(commands(engine)).toContain("golangci-lint run ./...");
  });

  test("lintFix returns golangci-lint's fixes as a changeset against the source", async () => {
    const { engine, error } = await withFakeEngine(async () => {
      const changes = await new Wva(source({ "go.mod": GO_MOD })).lintFix();
      return changes.id();
    });
    expect(error).toBeUndefined();
    const chain = engine.chainsWith("changes")[0];
    const exec = chain.find((s) => s.name === "withExec")!;
    expect(exec.args.args).toEqual(["golangci-lint", "run", "--fix", "./..."]);
    expect(exec.args.expect).toBe("ANY");
    expect(chain.map((s) => s.name).slice(-3)).toEqual(["directory", "changes", "id"]);
  });

  test("build cross-compiles on the build platform with CGO off, -trimpath and the version stamped", async () => {
    const { engine, error } = await withFakeEngine(async () => {
      const f = await new Wva(source({ "go.mod": GO_MOD })).build("linux/arm64", "v0.4.1");
      return f.id();
    });
    expect(error).toBeUndefined();
    const chain = engine.chainsWith("withExec").find((c) => has(c, "go", "build"))!;
    expect(chain[0]).toEqual({ name: "container", args: {} });
    const env = Object.fromEntries(
      chain.filter((s) => s.name === "withEnvVariable").map((s) => [s.args.name, s.args.value]),
    );
    expect(env).toMatchObject({ CGO_ENABLED: "0", GOOS: "linux", GOARCH: "arm64" });
    expect(chain.find((s) => has([s], "go", "build"))!.args.args).toEqual([
      "go",
      "build",
      "-trimpath",
      "-ldflags",
      "-s -w -X main.version=v0.4.1",
      "-o",
      "/out/linux_arm64/manager",
      "./cmd/main.go",
    ]);
    expect(chain.at(-2)).toEqual({ name: "file", args: { path: "/out/linux_arm64/manager" } });
  });

  test("binaries builds one binary per platform into one directory", async () => {
    const { engine } = await withFakeEngine(async () =>
      (await new Wva(source({ "go.mod": GO_MOD })).binaries(["linux/amd64", "linux/arm64", "linux/arm/v7"])).id(),
    );
    expect(engine.steps("withFile").map((s) => s.args.path)).toEqual([
      "linux_amd64/manager",
      "linux_arm64/manager",
      "linux_arm_v7/manager",
    ]);
    const goarm = engine.steps("withEnvVariable").filter((s) => s.args.name === "GOARM");
    expect(goarm.map((s) => s.args.value)).toEqual(["7"]);
  });

  test("test excludes e2e packages and runs with coverage, as make test does (no -race unless asked)", async () => {
    const pkgs = [
      "example.com/wva/cmd",
      "example.com/wva/internal/scaler",
      "example.com/wva/test/e2e",
      "example.com/wva/test/e2e-saturation-based",
    ];
    const { engine, error } = await withFakeEngine(
      () => new Wva(source({ "go.mod": GO_MOD })).test(),
      (e) => e.on(goList(pkgs)),
    );
    expect(error).toBeUndefined();
    // one exec lists the packages and tests them (goTestScript; its selection is tested on a real sh)
    const exec = engine.execs().find(goTestArgs)!;
    expect(exec.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(exec[2]).toBe(goTestScript(["/e2e"]));
    expect(goTestArgs(exec)).toEqual(["go", "test", "-v", "-coverprofile=cover.out"]);
    expect(engine.execs().some((a) => a[0] === "go" && a[1] === "list")).toBe(false);
    const raced = await withFakeEngine(() => new Wva(source({ "go.mod": GO_MOD })).test(true), (e) => e.on(goList(pkgs)));
    expect(goTestArgs(raced.engine.execs().find(goTestArgs)!)).toEqual(["go", "test", "-v", "-race", "-covermode=atomic", "-coverprofile=cover.out"]);
  });

  test("the unit tests have helm and kubectl on PATH, copied from the pinned images", async () => {
    const { engine, error } = await withFakeEngine(
      () => new Wva(source({ "go.mod": GO_MOD })).test(),
      (e) => e.on(goList(["example.com/wva/cmd"])),
    );
    expect(error).toBeUndefined();
    const chain = goTestChain(engine);
    const tools = chain.filter((s) => s.name === "withFile").map((s) => {
      const origin = engine.origin(s.args.source)!;
      return [s.args.path, origin.find((o) => o.name === "from")?.args.address, origin.find((o) => o.name === "withExec")?.args.args[2]];
    });
    expect(tools).toEqual([
      ["/usr/local/bin/helm", "alpine/helm:3.22.0", expect.stringContaining("command -v helm")],
      ["/usr/local/bin/kubectl", "alpine/k8s:1.32.1", expect.stringContaining("command -v kubectl")],
    ]);
  });

  test("a failing test names the package and the test", async () => {
    const out = "--- FAIL: TestDesired (0.00s)\n    scaler_test.go:9: got 3\nFAIL\nFAIL\texample.com/wva/internal/scaler\t0.01s\nFAIL\n";
    const { error } = await withFakeEngine(
      () => new Wva(source({ "go.mod": GO_MOD })).test(),
      (e) =>
        e.on(goList(["example.com/wva/internal/scaler"])).on((p) =>
          p.at(-1)!.name === "sync" && p.some((s) => s.name === "withExec" && goTestArgs(s.args.args)) ? execFailure(out) : undefined,
        ),
    );
    expect(String(error)).toContain("unit tests failed:\nexample.com/wva/internal/scaler: TestDesired");
  });

  test("coverage returns cover.out from the test container", async () => {
    const { engine, error } = await withFakeEngine(
      async () => (await new Wva(source({ "go.mod": GO_MOD })).coverage()).id(),
      (e) => e.on(goList(["example.com/wva/cmd"])),
    );
    expect(error).toBeUndefined();
    const chain = engine.chainsWith("file").find((c) => c.some((s) => s.name === "file" && s.args.path === "/src/cover.out"));
    const exec = chain?.find((s) => s.name === "withExec" && goTestArgs(s.args.args));
    expect(goTestArgs(exec!.args.args)).toEqual(["go", "test", "-v", "-coverprofile=cover.out"]);
  });

  test("with controller-runtime, test provisions envtest assets matching go.mod", async () => {
    const gomod = `${GO_MOD}\nrequire (\n\tk8s.io/api v0.34.2\n\tsigs.k8s.io/controller-runtime v0.22.4\n)\n`;
    const { engine, error } = await withFakeEngine(
      () => new Wva(source({ "go.mod": gomod })).test(),
      (e) => e.on(goList(["example.com/wva/internal/controller"])),
    );
    expect(error).toBeUndefined();
    const cmds = commands(engine);
    expect(cmds).toContain("go install sigs.k8s.io/controller-runtime/tools/setup-envtest@release-0.22");
    expect(cmds).toContain("setup-envtest use 1.34 --bin-dir /root/.local/share/kubebuilder-envtest -p path");
    // the binaries are fetched apart from the source (a code change fetches nothing) and mounted
    const chain = goTestChain(engine);
    const env = Object.fromEntries(chain.filter((s) => s.name === "withEnvVariable").map((s) => [s.args.name, s.args.value]));
    expect(env.KUBEBUILDER_ASSETS).toBe("/envtest-assets");
    const mount = chain.find((s) => s.name === "withMountedDirectory" && s.args.path === "/envtest-assets")!;
    const fetched = engine.origin(mount.args.source)!;
    expect(fetched.some((s) => s.name === "withExec" && s.args.args[0] === "setup-envtest")).toBe(true);
    expect(fetched.some((s) => s.name === "withDirectory")).toBe(false);
    expect(fetched.at(-1)).toEqual({ name: "directory", args: { path: "/envtest-assets" } });
  });

  test("without controller-runtime no envtest is provisioned", async () => {
    const { engine } = await withFakeEngine(
      () => new Wva(source({ "go.mod": GO_MOD })).test(),
      (e) => e.on(goList(["example.com/wva/cmd"])),
    );
    expect(commands(engine).some((c) => c.includes("setup-envtest"))).toBe(false);
  });

  test("checkFormat names the unformatted files", async () => {
    const { error } = await withFakeEngine(
      () => new Wva(source({ "go.mod": GO_MOD })).checkFormat(),
      (e) => e.on((p) => (p.at(-1)!.name === "stdout" && has(p, "gofmt", "-l") ? "internal/a.go\ncmd/main.go\n" : undefined)),
    );
    expect(String(error)).toMatch(/not gofmt-formatted[^]*internal\/a.go\ncmd\/main.go/);
  });

  test("checkGenerated regenerates with the pinned controller-gen and lists what changed", async () => {
    const makefile = "manifests: controller-gen\n\t$(CONTROLLER_GEN) rbac paths=./...\ngenerate: controller-gen\n\t$(CONTROLLER_GEN) object paths=./...\n";
    const { engine, error } = await withFakeEngine(
      () => new Wva(source({ "go.mod": GO_MOD, Makefile: makefile })).checkGenerated(),
      (e) =>
        e.on((p) => {
          const leaf = p.at(-1)!.name;
          if (leaf === "isEmpty") return false;
          if (leaf === "modifiedPaths") return ["config/rbac/role.yaml"];
          if (leaf === "addedPaths") return ["api/v1/zz_generated.deepcopy.go"];
          return undefined;
        }),
    );
    expect(commands(engine)).toEqual(
      expect.arrayContaining([
        "go install sigs.k8s.io/controller-tools/cmd/controller-gen@v0.17.2",
        "make -o /go/bin/controller-gen manifests generate CONTROLLER_GEN=/go/bin/controller-gen",
      ]),
    );
    expect(String(error)).toMatch(
      /`make manifests generate` changes the tree:\nmodified: config\/rbac\/role.yaml\nadded: +api\/v1\/zz_generated.deepcopy.go/,
    );
    const changes = engine.chainsWith("isEmpty")[0];
    expect(changes.some((s) => s.name === "withoutDirectory" && s.args.path === "bin")).toBe(true);
    // controller-gen is built apart from the source (editing code does not rebuild it) and put on the make's container
    const gen = changes.find((s) => s.name === "withFile" && s.args.path === "/go/bin/controller-gen")!;
    const built = engine.origin(gen.args.source)!;
    expect(built.some((s) => s.name === "withExec" && s.args.args.join(" ") === "go install sigs.k8s.io/controller-tools/cmd/controller-gen@v0.17.2")).toBe(true);
    expect(built.some((s) => s.name === "withDirectory")).toBe(false);
    expect(changes.findIndex((s) => s === gen)).toBeLessThan(changes.findIndex((s) => s.name === "withExec" && s.args.args[0] === "make"));
  });

  test("checkGenerated passes without running anything when the repository has no controller-gen", async () => {
    const { engine, error } = await withFakeEngine(() =>
      new Wva(source({ "go.mod": GO_MOD, Makefile: "build:\n\tgo build ./...\n" })).checkGenerated(),
    );
    expect(error).toBeUndefined();
    expect(engine.execs()).toEqual([]);
  });
});

describe("ci", () => {
  const pkgs = ["example.com/wva/cmd", "example.com/wva/test/e2e"];

  test("fans out every stage at once; build includes vet and the drift check; the summary has each stage's time", async () => {
    const slow = 400;
    const start = Date.now();
    const { engine, error, result } = await withFakeEngine(
      () => goOnlyCi(new Wva(source({ "go.mod": GO_MOD }))),
      (e) => e.on(goList(pkgs)).latency((p) => (["sync", "stdout"].includes(p.at(-1)!.name) ? slow : 0)),
    );
    const elapsed = Date.now() - start;
    expect(error).toBeUndefined();
    const cmds = commands(engine);
    for (const c of ["golangci-lint run ./...", "go vet ./...", "go test -v -coverprofile=cover.out"]) {
      expect(cmds).toContain(c);
    }
    expect(cmds.some((c) => c.startsWith("go build -trimpath"))).toBe(true);
    // WVA's CI gates on neither: no gofmt check, no race detector
    expect(cmds).not.toContain("gofmt -l .");
    expect(cmds.some((c) => c.includes("-race"))).toBe(false);
    // Stages with at least one slow answer each, plus go list before go test: run one after
    // another they would need 5 × 400 ms; concurrently about 2 × 400 ms.
    expect(elapsed).toBeLessThan(5 * slow);
    for (const stage of GO_STAGES) expect(result).toMatch(new RegExp(`✔ ${stage}\\s+\\d+\\.\\ds`));
    expect(result).toMatch(/not gated \(as in WVA's CI\): gofmt check and -race; run `ci --strict`/);
  });

  test("--strict adds the format stage and runs the unit tests with -race", async () => {
    const { engine, error, result } = await withFakeEngine(
      () => goOnlyCi(new Wva(source({ "go.mod": GO_MOD })), [], true),
      (e) => e.on(goList(pkgs)),
    );
    expect(error).toBeUndefined();
    const cmds = commands(engine);
    expect(cmds).toContain("gofmt -l .");
    expect(cmds).toContain("go test -v -race -covermode=atomic -coverprofile=cover.out");
    expect(result).toMatch(/✔ format/);
    expect(result).toMatch(/strict: format stage and unit tests with -race included/);
  });

  test("reports every failing stage by name, not just the first", async () => {
    const lintOut = "internal/scaler/scaler.go:12:2: ineffectual assignment to x (ineffassign)\n1 issues:\n* ineffassign: 1\n";
    const testOut = "--- FAIL: TestDesired (0.00s)\nFAIL\nFAIL\texample.com/wva/cmd\t0.01s\n";
    const { error } = await withFakeEngine(
      () => goOnlyCi(new Wva(source({ "go.mod": GO_MOD }))),
      (e) =>
        e.on(goList(pkgs)).on((p) => {
          if (p.at(-1)!.name !== "sync") return undefined;
          if (has(p, "golangci-lint")) return execFailure(lintOut, ["golangci-lint", "run"]);
          if (p.some((s) => s.name === "withExec" && goTestArgs(s.args.args))) return execFailure(testOut, ["go", "test"]);
          return undefined;
        }),
    );
    const msg = String((error as Error).message);
    expect(msg.split("\n")[0]).toMatch(/^2 of \d+ stages failed: lint, test$/);
    expect(msg).toContain("ineffectual assignment to x (ineffassign)");
    expect(msg).toContain("example.com/wva/cmd: TestDesired");
    expect(msg).toMatch(/✔ build/);
  });

  test("a failing vet fails the build stage, naming vet and showing its output", async () => {
    const vetOut = "# example.com/wva/cmd\ncmd/main.go:7:2: fmt.Printf format %d has arg s of wrong type string\n";
    const { error } = await withFakeEngine(
      () => goOnlyCi(new Wva(source({ "go.mod": GO_MOD }))),
      (e) =>
        e.on(goList(pkgs)).on((p) =>
          p.at(-1)!.name === "sync" && has(p, "go", "vet") ? execFailure(vetOut, ["go", "vet"]) : undefined,
        ),
    );
    const msg = String((error as Error).message);
    expect(msg.split("\n")[0]).toMatch(/^1 of \d+ stages failed: build$/);
    expect(msg).toContain("vet: go vet failed (exit code 1):");
    expect(msg).toContain("format %d has arg s of wrong type string");
  });

  test("--skip leaves stages out, and an unknown stage name is an error before anything runs", async () => {
    const { engine, result } = await withFakeEngine(
      () => goOnlyCi(new Wva(source({ "go.mod": GO_MOD })), ["lint", "test"]),
      (e) => e.on(goList(pkgs)),
    );
    expect(commands(engine).some((c) => c.startsWith("golangci-lint"))).toBe(false);
    expect(commands(engine).some((c) => c.startsWith("go test"))).toBe(false);
    expect(result).not.toMatch(/lint/);

    const bad = await withFakeEngine(() => new Wva(source({ "go.mod": GO_MOD })).ci(["lnt"]));
    expect(String(bad.error)).toMatch(/unknown stage\(s\) to skip: lnt; stages are lint, format, build/);
    expect(bad.engine.execs()).toEqual([]);
  });
});

describe("stage functions fail with the tool's output", () => {
  const failing = (tool: string, out: string) => (p: Step[]) =>
    p.at(-1)!.name === "sync" && has(p, tool) ? execFailure(out, [tool]) : undefined;

  test("lint", async () => {
    const out = "internal/a.go:3:1: func `unused` is unused (unused)\n1 issues:\n";
    const { error } = await withFakeEngine(() => new Wva(source({ "go.mod": GO_MOD })).lint(), (e) => e.on(failing("golangci-lint", out)));
    expect((error as Error).message).toBe(`golangci-lint failed (exit code 1):\n${out.trim()}`);
  });

  test("vet and build", async () => {
    const out = "cmd/main.go:9:3: undefined: nope\n";
    const vet = await withFakeEngine(() => new Wva(source({ "go.mod": GO_MOD })).vet(), (e) => e.on(failing("go", out)));
    expect((vet.error as Error).message).toBe(`go vet failed (exit code 1):\n${out.trim()}`);
    const build = await withFakeEngine(() => new Wva(source({ "go.mod": GO_MOD })).build(), (e) => e.on(failing("go", out)));
    expect((build.error as Error).message).toBe(`go build failed (exit code 1):\n${out.trim()}`);
  });
});

const GO_STAGES = ["lint", "build", "test"];

/** `ci` with only the Go stages (the chart, image and e2e stages need more than a Go source). */
async function goOnlyCi(w: Wva, skip: string[] = [], strict = false): Promise<string> {
  const others = w.ciStages().filter((s) => !GO_STAGES.includes(s) && s !== "format");
  return w.ci([...others, ...skip], strict);
}

test("ci's stages are WVA's PR gates plus the image; format only with --strict", () => {
  expect(new Wva(dag.directory()).ciStages()).toEqual(["lint", "format", "build", "test", "image", "chart", "e2e"]);
});

describe("golangci-lint with module plugins (.custom-gcl.yml)", () => {
  const customGcl = "version: v2.8.0\nname: gcl\ndestination: ./bin\nplugins:\n  - module: example.com/op/hack/lintplugin\n    path: ./hack/lintplugin\n";

  test("lint builds the custom binary with `golangci-lint custom` from the config and plugin paths, then lints with it", async () => {
    const { engine, error } = await withFakeEngine(() =>
      new Wva(source({ "go.mod": GO_MOD, ".custom-gcl.yml": customGcl, "hack/lintplugin/plugin.go": "package lintplugin\n" })).lint(),
    );
    expect(error).toBeUndefined();
    const custom = engine.chainsWith("withExec").find((c) => has(c, "golangci-lint", "custom"))!;
    const dir = custom.find((s) => s.name === "withDirectory" && s.args.path === "/src")!;
    expect(engine.origin(dir.args.source)!.at(-1)).toEqual({ name: "filter", args: { include: [".custom-gcl.yml", "hack/lintplugin/**"] } });
    // the linter run mounts the binary custom wrote to destination/name
    const run = engine.chainsWith("withExec").find((c) => has(c, "golangci-lint", "run"))!;
    const lintFile = run.find((s) => s.name === "withFile" && s.args.path === "/usr/local/bin/golangci-lint")!;
    const origin = engine.origin(lintFile.args.source)!;
    expect(origin.at(-1)).toEqual({ name: "file", args: { path: "/src/bin/gcl" } });
    expect(origin.some((s) => s.name === "withExec" && s.args.args.join(" ") === "golangci-lint custom -v")).toBe(true);
  });

  test("an invalid .custom-gcl.yml fails lint naming the file, before anything runs", async () => {
    const { engine, error } = await withFakeEngine(() =>
      new Wva(source({ "go.mod": GO_MOD, ".custom-gcl.yml": "plugins: []\n" })).lint(),
    );
    expect(String(error)).toMatch(/\.custom-gcl\.yml: root field 'version' is required/);
    expect(engine.execs()).toEqual([]);
  });

  test("--golangci-lint-source stands in for github.com when golangci-lint custom clones", async () => {
    const { engine } = await withFakeEngine(() => {
      const w = new Wva(source({ "go.mod": GO_MOD, ".custom-gcl.yml": customGcl }));
      w.golangciLintSource = dag.directory().withNewFile("HEAD", "ref: refs/heads/main\n");
      return w.lint();
    });
    expect(commands(engine)).toContain(
      "git config --global url.file:///golangci-lint.git.insteadOf https://github.com/golangci/golangci-lint.git",
    );
  });
});
