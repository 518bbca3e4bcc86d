/**
 * The fixture controller (test/fixtures/wva-fixture) checked natively with the real Go
 * toolchain and the pinned golangci-lint: what the module's Go stages run in a container,
 * run here on the host. Each test works on its own copy of the fixture in a temp dir, so
 * the repository stays clean. A missing tool fails the test; nothing is skipped.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { repo, PATH, tool } from "./tools.js";

const fixture = join(repo, "test/fixtures/wva-fixture");
const env: NodeJS.ProcessEnv = { ...process.env, PATH };

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool(cmd), args, { cwd: opts.cwd, env: opts.env ?? env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Fails with the command's output when it did not exit 0. */
function ok(r: Result, what: string): Result {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const scratch: string[] = [];
/** A fresh copy of the fixture (without build outputs) in a temp dir. */
function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "wva-fixture-"));
  scratch.push(dir);
  cpSync(fixture, dir, {
    recursive: true,
    filter: (src) => !/[/\\](bin|cover\.out)$/.test(src),
  });
  return dir;
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe("the fixture as it is committed", () => {
  let dir: string;
  beforeAll(() => {
    dir = copyFixture();
  });

  test("go.mod pins go 1.26.0 with toolchain go1.26.8 and has no dependencies", () => {
    const gomod = readFileSync(join(dir, "go.mod"), "utf8");
    expect(gomod).toMatch(/^go 1\.26\.0$/m);
    expect(gomod).toMatch(/^toolchain go1\.26\.8$/m);
    expect(gomod).not.toMatch(/^require/m);
  });

  test("go vet passes", async () => {
    ok(await run("go", ["vet", "./..."], { cwd: dir }), "go vet ./...");
  });

  test("gofmt lists no file, and lists a badly formatted one", async () => {
    expect(ok(await run("gofmt", ["-l", "."], { cwd: dir }), "gofmt -l .").stdout).toBe("");

    const bad = copyFixture();
    writeFileSync(join(bad, "internal/scaler/ugly.go"), "package scaler\nfunc  ugly( )int{return 1}\n");
    expect(ok(await run("gofmt", ["-l", "."], { cwd: bad }), "gofmt -l .").stdout.trim()).toBe(
      join("internal", "scaler", "ugly.go"),
    );
  });

  test("unit tests pass with -race over every package except e2e, which fails on its own", async () => {
    const listed = ok(await run("go", ["list", "./..."], { cwd: dir }), "go list").stdout.trim().split("\n");
    expect(listed).toContain("example.com/wva-fixture/test/e2e");
    const unit = listed.filter((p) => !p.includes("/e2e"));
    expect(unit).toEqual([
      "example.com/wva-fixture/cmd",
      "example.com/wva-fixture/internal/controller",
      "example.com/wva-fixture/internal/metrics",
      "example.com/wva-fixture/internal/scaler",
      "example.com/wva-fixture/internal/server",
    ]);

    const r = ok(
      await run("go", ["test", "-race", "-coverprofile", "cover.out", "-json", ...unit], { cwd: dir }),
      "go test -race",
    );
    const events = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { Action: string; Package: string; Test?: string });
    const passedPackages = events.filter((e) => e.Action === "pass" && !e.Test).map((e) => e.Package);
    expect(passedPackages.sort()).toEqual(unit);
    expect(events.some((e) => e.Package.includes("/e2e"))).toBe(false);
    expect(events.filter((e) => e.Action === "fail")).toEqual([]);
    expect(events.filter((e) => e.Action === "pass" && e.Test).length).toBeGreaterThan(30);
    expect(readFileSync(join(dir, "cover.out"), "utf8")).toMatch(/^mode: atomic\n.*internal\/scaler\/scaler\.go/s);

    // Without the exclusion the e2e package would run and fail: that is what makes it testable.
    const noUrl = { ...env };
    delete noUrl.WVA_E2E_URL;
    const e2e = await run("go", ["test", "-count=1", "./test/e2e/"], { cwd: dir, env: noUrl });
    expect(e2e.code).not.toBe(0);
    expect(e2e.stdout).toContain("WVA_E2E_URL is not set");
  });

  test("make build stamps VERSION into bin/manager; make test runs the unit packages only", async () => {
    const own = copyFixture();
    ok(await run("make", ["build", "VERSION=v1.2.3"], { cwd: own }), "make build");
    expect(ok(await run(join(own, "bin/manager"), ["-version"], { cwd: own }), "bin/manager -version").stdout).toBe(
      "v1.2.3\n",
    );

    const r = ok(await run("make", ["test"], { cwd: own }), "make test");
    expect(r.stdout).toContain("-race -coverprofile cover.out");
    const tested = [...r.stdout.matchAll(/^ok\s+(\S+)\s.*coverage: [\d.]+% of statements$/gm)].map((m) => m[1]);
    expect(tested.sort()).toEqual([
      "example.com/wva-fixture/cmd",
      "example.com/wva-fixture/internal/controller",
      "example.com/wva-fixture/internal/metrics",
      "example.com/wva-fixture/internal/scaler",
      "example.com/wva-fixture/internal/server",
    ]);
    expect(r.stdout).not.toMatch(/^(ok|FAIL|---|\?)\s+\S*\/e2e/m);

    const e2e = await run("make", ["test-e2e"], { cwd: own, env: { ...env, WVA_E2E_URL: "" } });
    expect(e2e.code).not.toBe(0);
    expect(e2e.stderr).toContain("WVA_E2E_URL must point at a deployed controller");
  });

  test("golangci-lint v2.15.0 passes with the fixture's .golangci.yml", async () => {
    const version = ok(await run("golangci-lint", ["version"], { cwd: dir }), "golangci-lint version");
    expect(version.stdout + version.stderr).toContain("version 2.15.0");
    ok(await run("golangci-lint", ["config", "verify"], { cwd: dir }), "golangci-lint config verify");
    const r = ok(await run("golangci-lint", ["run", "./..."], { cwd: dir }), "golangci-lint run");
    expect(r.stdout).toContain("0 issues.");
  });
});

describe("golangci-lint rejects broken code, naming the file", () => {
  test.each([
    [
      "an unchecked error",
      "internal/server/broken.go",
      'package server\n\nimport "io"\n\n// Flush writes nothing.\nfunc Flush(w io.Writer) {\n\tw.Write(nil)\n}\n',
      "errcheck",
    ],
    [
      "an unused variable",
      "internal/scaler/broken.go",
      "package scaler\n\n// Broken declares a variable it never reads.\nfunc Broken() {\n\tunusedReplicas := 3\n}\n",
      "declared and not used",
    ],
  ])("%s", async (_, file, source, finding) => {
    const dir = copyFixture();
    writeFileSync(join(dir, file), source);
    const r = await run("golangci-lint", ["run", "./..."], { cwd: dir });
    expect(r.code, `golangci-lint should fail on ${file}:\n${r.stdout}${r.stderr}`).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain(file);
    expect(out).toContain(finding);
  });
});

describe("the built controller", () => {
  let dir: string;
  let manager: string;
  let proc: ChildProcess | undefined;
  let logs = "";

  beforeAll(async () => {
    dir = copyFixture();
    manager = join(dir, "bin/manager");
    ok(
      await run("go", ["build", "-ldflags", "-X main.version=v9.9.9", "-o", manager, "./cmd"], { cwd: dir }),
      "go build",
    );
  });

  afterAll(() => {
    proc?.kill("SIGKILL");
  });

  test("-version prints the version set through ldflags", async () => {
    const r = ok(await run(manager, ["-version"], { cwd: dir }), "manager -version");
    expect(r.stdout).toBe("v9.9.9\n");
  });

  test("serves probes and metrics on loopback, scales with load, passes its e2e suite, stops on SIGTERM", async () => {
    proc = spawn(manager, ["-listen", "127.0.0.1:0", "-variant", "native-test", "-interval", "50ms"], {
      cwd: dir,
      env,
    });
    const child = proc;
    const addr = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`manager did not report its address:\n${logs}`)), 20_000);
      child.stderr!.on("data", (d) => {
        logs += d;
        const m = /listening addr=(\S+)/.exec(logs);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`manager exited ${code}:\n${logs}`)));
    });
    expect(logs).toContain("version=v9.9.9");
    const base = `http://${addr}`;

    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.text()).toBe("ok\n");

    const metrics = async () => (await fetch(`${base}/metrics`)).text();
    const first = await metrics();
    expect(first).toContain(`wva_build_info{version="v9.9.9",goversion="go`);
    expect(first).toContain('wva_desired_replicas{variant="native-test"} 1\n');
    expect(first).toContain('wva_current_replicas{variant="native-test"} 1\n');

    // 35 rps at the default 10 rps per replica: 4 replicas once the loop has run.
    const post = await fetch(`${base}/load`, { method: "POST", body: '{"requestsPerSecond": 35}' });
    expect(post.status).toBe(204);
    const deadline = Date.now() + 10_000;
    let text = await metrics();
    while (!text.includes('wva_desired_replicas{variant="native-test"} 4\n') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      text = await metrics();
    }
    expect(text).toContain('wva_desired_replicas{variant="native-test"} 4\n');
    expect(text).toContain('wva_load_requests_per_second{variant="native-test"} 35\n');

    const bad = await fetch(`${base}/load`, { method: "POST", body: '{"requestsPerSecond": -1}' });
    expect(bad.status).toBe(422);

    const e2e = await run("go", ["test", "-count=1", "-v", "./test/e2e/"], {
      cwd: dir,
      env: { ...env, WVA_E2E_URL: base, WVA_E2E_TIMEOUT: "30s" },
    });
    ok(e2e, "go test ./test/e2e/ against the running manager");
    expect(e2e.stdout).toContain("--- PASS: TestScalesUpUnderLoad");
    expect(e2e.stdout).toContain("--- PASS: TestControllerIsHealthyAndReady");

    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(logs).toContain("shutting down");
    proc = undefined;
  });
});

