/**
 * The pipeline's Go stages executed for real: containers run in the locally built engine, with
 * the base images from the local registry, on the fixture repository.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dag } from "@dagger.io/dagger";
import { afterAll, describe, expect, it } from "vitest";
import { elfMachine, engine, fixtureDir, images, localWva, onEngine, timed } from "./engine.js";

const scratch = mkdtempSync(join(tmpdir(), "wva-engine-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the fixture in which `files` (path → contents) are added or replaced. */
function fixtureCopy(name: string, files: Record<string, string> = {}): string {
  const dir = join(scratch, name);
  cpSync(fixtureDir, dir, { recursive: true });
  for (const [path, contents] of Object.entries(files)) writeFileSync(join(dir, path), contents);
  return dir;
}

/**
 * Stages `ci` runs that these tests leave out: `e2e` needs Kind images (docker:dind, kindest/node)
 * that the local registry does not serve; the fixture has no Helm chart, so `chart` is run on its
 * own below, on the repository's chart.
 */
const SKIP = ["e2e", "chart"];

/** The repository's Helm chart, which the fixture does not have. */
const chartDir = fileURLToPath(new URL("../../charts/workload-variant-autoscaler/", import.meta.url));

describe("the engine's execs", () => {
  it("run without a custom-CA install around them, and still reach the Go module proxy over HTTPS", async () => {
    // The engine used to install this machine's proxy CAs into every container, before and after
    // every exec (two update-ca-certificates runs, ~2 s an exec: 5 chained execs took 10 s, now
    // under 1 s). The images built here carry the host's CA bundle, so HTTPS still works.
    const logStart = statSync(engine.engineLog).size;
    const out = await onEngine(() =>
      dag
        .container()
        .from(images.golang)
        .withEnvVariable("NONCE", `${Date.now()}`)
        .withExec(["true"])
        .withExec(["sh", "-c", "curl -sS -o /dev/null -w '%{http_code}' https://proxy.golang.org/golang.org/x/mod/@v/list"])
        .stdout(),
    );
    expect(out.trim()).toBe("200");
    const log = readFileSync(engine.engineLog).subarray(logStart).toString("utf8");
    expect(log, "the engine log should show this test's execs").toMatch(/starting container.*args="\[\/\.init true\]"/);
    expect(log).not.toMatch(/args="\[update-ca-certificates\]"/);
  });
});

describe("the Go stages on a real engine", () => {
  it("lint, build and unit tests pass on the fixture, and the binary is the fixture's manager", async () => {
    const out = join(scratch, "manager");
    await onEngine(async () => {
      const wva = localWva(fixtureDir);
      await wva.lint();
      await wva.test();
      await (await wva.build("linux/amd64", "v9.8.7")).export(out);
    });
    expect(elfMachine(readFileSync(out))).toBe("x86-64");
    chmodSync(out, 0o755);
    expect(execFileSync(out, ["-version"], { encoding: "utf8" })).toContain("v9.8.7");
  });

  it("the chart stage (helm lint --strict, helm template, helm-docs drift) passes on the repository's chart and fails on a broken template", async () => {
    await onEngine(() => localWva(fixtureDir, chartDir).helmLint());
    // and it does fail: the same chart with a template that does not parse
    const broken = join(scratch, "broken-chart");
    cpSync(chartDir, broken, { recursive: true });
    writeFileSync(join(broken, "templates", "zz-broken.yaml"), "{{ .Values.wva.image.repository\n");
    const error = await onEngine(() => localWva(fixtureDir, broken).helmLint()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, "helm lint should reject the broken template").toBeDefined();
    // helm's own message is in the exec error's output (the error may be wrapped by the session)
    const exec = error as { stderr?: string; stdout?: string; cause?: { stderr?: string; stdout?: string } };
    const output = [exec.stderr, exec.stdout, exec.cause?.stderr, exec.cause?.stdout].join("\n");
    expect(output).toMatch(/zz-broken\.yaml/);
  });

  it("ci on a copy with a lint error and a failing test fails, naming both stages and only them", async () => {
    const broken = fixtureCopy("broken", {
      "internal/scaler/broken.go": "package scaler\n\nfunc injectedUnusedHelper() int { return 42 }\n",
      "internal/scaler/broken_test.go":
        'package scaler\n\nimport "testing"\n\nfunc TestInjectedFailure(t *testing.T) { t.Fatal("injected failure") }\n',
    });
    const error = await onEngine(async () => {
      try {
        await localWva(broken).ci(SKIP);
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    });
    expect(error, "ci should have failed").toBeDefined();
    const head = error!.split("\n")[0];
    expect(head).toMatch(/stages failed: lint, test$/);
    expect(error).toMatch(/✘ lint/);
    expect(error).toMatch(/✘ test/);
    expect(error).toMatch(/✔ build/);
    expect(error).toContain("injectedUnusedHelper");
    expect(error).toContain("TestInjectedFailure");
  });

  it("ci on a copy with a broken Dockerfile fails naming the image stage, with the build's own error", async () => {
    const dockerfile = readFileSync(join(fixtureDir, "Dockerfile"), "utf8").replace(
      "RUN go mod download",
      "RUN go mod download && echo 'injected: no such step' >&2 && exit 3",
    );
    const broken = fixtureCopy("broken-dockerfile", { Dockerfile: dockerfile });
    const error = await onEngine(async () => {
      try {
        await localWva(broken).ci(SKIP);
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    });
    expect(error, "ci should have failed").toBeDefined();
    expect(error!.split("\n")[0]).toMatch(/stages failed: image$/);
    expect(error).toContain("injected: no such step");
  });

  it("a second identical ci is served from the engine's cache", async () => {
    // A marker file nobody compiles makes this source new to the engine, so the first run is cold.
    const dir = fixtureCopy("cache", { "CACHE_MARKER": `${Date.now()}-${Math.random()}\n` });
    const cold = await timed(() => onEngine(() => localWva(dir).ci(SKIP)));
    const warm = await timed(() => onEngine(() => localWva(dir).ci(SKIP)));
    console.log(`ci on the fixture: cold ${cold.seconds.toFixed(1)}s, warm ${warm.seconds.toFixed(1)}s`);
    console.log(`cold stages:\n${cold.value}\nwarm stages:\n${warm.value}`);
    for (const summary of [cold.value, warm.value]) {
      expect(summary).not.toContain("✘");
      expect(summary).toMatch(/✔ lint/);
    }
    expect(warm.seconds).toBeLessThan(cold.seconds / 2);
  });
});
