import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  goDurationSeconds,
  makeCommand,
  makeFailureReason,
  makeRules,
  parseEnv,
  repoE2eDefaultEnv,
  repoE2ePlan,
  runnerScript,
  stripAnsi,
} from "../../dagger/src/lib/repo-e2e.js";
import { upstreamFile } from "../upstream.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}/Makefile`, import.meta.url), "utf8");
const wvaMakefile = upstreamFile("Makefile");

describe("reading a Makefile's rules", () => {
  it("finds targets, prerequisites and recipes; skips .PHONY, variables and pattern rules", () => {
    const rules = makeRules("X := a:b\n.PHONY: a\na: b c ## help: with a colon\n\techo a \\\n\t  more\n\techo two\nb:\n\techo b\n%.o: %.c\n\tcc\n");
    expect(Object.keys(rules).sort()).toEqual(["a", "b"]);
    expect(rules.a).toEqual({ prerequisites: ["b", "c"], recipe: ["echo a  more", "echo two"] });
  });
  it("reads WVA's e2e targets as they are", () => {
    const rules = makeRules(wvaMakefile);
    expect(rules["test-e2e-smoke-with-setup"].prerequisites).toEqual(["deploy-e2e-infra", "test-e2e-smoke"]);
    expect(rules["test-e2e-smoke"].prerequisites).toEqual(["manifests", "generate", "fmt", "vet"]);
    expect(rules["deploy-e2e-infra"].recipe.join("\n")).toContain("./deploy/install.sh");
  });
});

describe("which e2e the module runs", () => {
  it("WVA: test-e2e-smoke-with-setup, in the runner (it sets up its own Kind cluster)", () => {
    expect(repoE2ePlan(wvaMakefile)).toMatchObject({ target: "test-e2e-smoke-with-setup", ownSetup: true });
    expect(repoE2ePlan(wvaMakefile, "test-e2e-full-with-setup")).toMatchObject({ target: "test-e2e-full-with-setup", ownSetup: true });
  });
  it("a test-e2e that creates a kind cluster: the runner", () => {
    expect(repoE2ePlan(fixture("kind-e2e-fixture"))).toMatchObject({ target: "test-e2e", ownSetup: true });
  });
  it("a test-e2e that needs a deployed controller, or no e2e target, or no Makefile: the module's Kind cluster", () => {
    expect(repoE2ePlan(fixture("wva-fixture"))).toMatchObject({ target: "test-e2e", ownSetup: false });
    expect(repoE2ePlan("build:\n\tgo build ./...\n")).toEqual({ ownSetup: false, reason: expect.stringContaining("no test-e2e-smoke-with-setup or test-e2e target") });
    expect(repoE2ePlan(undefined).ownSetup).toBe(false);
  });
  it("an asked-for target must exist", () => {
    expect(() => repoE2ePlan(fixture("wva-fixture"), "test-e2e-full")).toThrow(/no target "test-e2e-full" \(e2e targets it has: test-e2e\)/);
    expect(() => repoE2ePlan(undefined, "test-e2e")).toThrow(/no Makefile/);
  });
});

describe("the make command and its environment", () => {
  it("passes focus and skip as WVA's FOCUS/SKIP, and a label filter through $(FOCUS_ARGS), which WVA splices after its own", () => {
    expect(makeCommand(wvaMakefile, "test-e2e-smoke-with-setup")).toEqual(["make", "test-e2e-smoke-with-setup"]);
    expect(makeCommand(wvaMakefile, "test-e2e-smoke-with-setup", { focus: "scale", skip: "flaky", labelFilter: "smoke && !slow" })).toEqual([
      "make", "test-e2e-smoke-with-setup", "FOCUS=scale", "SKIP=flaky", "FOCUS_ARGS=-ginkgo.label-filter=smoke && !slow -ginkgo.focus=scale",
    ]);
  });
  it("refuses a label filter a target cannot pass on", () => {
    expect(() => makeCommand(fixture("kind-e2e-fixture"), "test-e2e", { labelFilter: "smoke" })).toThrow(/passes no \$\(FOCUS_ARGS\)/);
  });
  it("sets what WVA's CI sets for the Kind e2e, IMG included; --env entries are KEY=VALUE", () => {
    expect(repoE2eDefaultEnv("localhost/wva:e2e")).toMatchObject({ ENVIRONMENT: "kind-emulator", CREATE_CLUSTER: "true", SKIP_BUILD: "true", IMG: "localhost/wva:e2e", E2E_TESTS_ENABLED: "true" });
    expect(parseEnv(["SCALE_TO_ZERO_ENABLED=true", "A=b=c"])).toEqual({ SCALE_TO_ZERO_ENABLED: "true", A: "b=c" });
    expect(() => parseEnv(["NOPE"])).toThrow(/KEY=VALUE/);
    expect(() => parseEnv(["1X=y"])).toThrow(/KEY=VALUE/);
  });
  it("reads Go durations as seconds", () => {
    expect(goDurationSeconds("60m")).toBe(3600);
    expect(goDurationSeconds("1h30m")).toBe(5400);
    expect(goDurationSeconds("90s")).toBe(90);
    expect(() => goDurationSeconds("1 hour")).toThrow(/Go duration/);
  });
});

describe("the runner's script", () => {
  const script = runnerScript({
    make: ["make", "test-e2e", "FOCUS=it's $(here)"],
    env: { IMG: "localhost/wva:e2e", ODD: "a b'c" },
    nodeImage: "kindest/node:v1.32.0",
    nodeTarball: "/images/node.tar",
    img: "localhost/wva:e2e",
    imgTarball: "/images/controller.tar",
    namespaces: ["wva-system", "kube-system"],
    timeoutSeconds: 600,
    outDir: "/e2e-out",
  });
  it("is valid bash", () => {
    execFileSync("bash", ["-n", "-c", script]);
  });
  it("starts its own dockerd, loads both images before make, and records make's exit code", () => {
    const at = (s: string) => script.indexOf(s);
    expect(at("dockerd-entrypoint.sh dockerd")).toBeLessThan(at("docker load -i /images/node.tar"));
    expect(at("docker load -i /images/controller.tar")).toBeLessThan(at("timeout 600 make test-e2e"));
    expect(script).toContain("export ODD='a b'\"'\"'c'");
    expect(script).toContain(`timeout 600 make test-e2e 'FOCUS=it'"'"'s $(here)' 2>&1 | tee "$out/make.log"`);
    expect(script).toContain('echo "${PIPESTATUS[0]}" > "$out/exit-code"');
  });
  it("collects kind export logs of every cluster make left, and resources and pod logs of the namespaces", () => {
    expect(script).toContain("for c in $(kind get clusters 2>/dev/null); do");
    expect(script).toContain('kind export logs "$d/kind-logs/$c" --name "$c"');
    expect(script).toContain("for ns in wva-system kube-system; do");
    expect(script.trimEnd().endsWith("exit 0")).toBe(true);
  });
});

describe("why a make run failed", () => {
  it("names the innermost failing target and the error line before it (WVA's install.sh ending at helm)", () => {
    const log = [
      "\x1b[0;34m[INFO]\x1b[0m Deploying kube-prometheus-stack with TLS...",
      'Error: looks like "https://prometheus-community.github.io/helm-charts" is not a valid chart repository or cannot be reached: Get "https://prometheus-community.github.io/helm-charts/index.yaml": dial tcp: lookup prometheus-community.github.io: no such host',
      "Error: no repositories found. You must add one before updating",
      "make: *** [Makefile:199: deploy-e2e-infra] Error 1",
    ].join("\n");
    expect(makeFailureReason(log)).toEqual({ target: "deploy-e2e-infra", error: "Error: no repositories found. You must add one before updating" });
  });
  it("reads WVA's [ERROR] lines and go test's FAIL; strips colour codes", () => {
    expect(makeFailureReason("\x1b[0;31m[ERROR]\x1b[0m KIND cluster 'x' not found\nmake[1]: *** [Makefile:12: e2e] Error 1\nmake: *** [Makefile:9: all] Error 2").error).toBe("[ERROR] KIND cluster 'x' not found");
    expect(makeFailureReason("--- FAIL: TestX (1.00s)\nFAIL\nmake: *** [Makefile:3: test-e2e] Error 1")).toEqual({ target: "test-e2e", error: "--- FAIL: TestX (1.00s)" });
    expect(stripAnsi("\x1b[0;32m[SUCCESS]\x1b[0m ok")).toBe("[SUCCESS] ok");
  });
});
