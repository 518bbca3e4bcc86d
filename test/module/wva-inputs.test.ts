/**
 * Against the fake engine: the inputs a careless user gives. Every bad input fails before any
 * publish, push or exec, with a message that names the fix; joined list arguments are split; a
 * release whose chart push fails after the image push says what is out and how to finish it.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dag, type Directory } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { Wva } from "../../dagger/src/index.js";
import { upstreamCopy } from "../upstream.js";
import { FakeError, withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";

/** WVA's chart, in its repository. */
const WVA_CHART = "charts/workload-variant-autoscaler";

const GO_MOD = "module example.com/wva\n\ngo 1.26.0\n";
const REPO = "ghcr.io/llm-d-incubation/workload-variant-autoscaler";
const OWN_CHART = fileURLToPath(new URL("../../charts/workload-variant-autoscaler", import.meta.url));
const TOKEN = "s3cr3t-inputs-token-42";

const wvaWith = (chart?: Directory) =>
  new Wva(dag.directory().withNewFile("go.mod", GO_MOD), undefined, undefined, undefined, undefined, undefined, undefined, undefined, chart);

const lastExec = (path: Step[]): string[] | undefined => path.filter((s) => s.name === "withExec").at(-1)?.args.args;
const runs = (path: Step[], ...words: string[]) => {
  const a = lastExec(path);
  return !!a && a.some((_, i) => words.every((w, j) => a[i + j] === w));
};
const leaf = (path: Step[]) => path.at(-1)!.name;
/** Nothing left the engine or ran: no publish, no exec (helm/crane/git/kubectl all run as execs). */
const nothingRan = (e: FakeEngine) => {
  expect(e.chainsWith("publish")).toEqual([]);
  expect(e.execs()).toEqual([]);
};

/** A registry where nothing exists yet and helm push answers with a digest (or fails, when asked). */
function registry(e: FakeEngine, o: { chartPushFails?: boolean } = {}) {
  e.on((path) => {
    if (runs(path, "helm", "show", "chart")) {
      if (leaf(path) === "exitCode") return 1;
      if (leaf(path) === "stderr") return "Error: ghcr.io/llm-d-incubation/charts/workload-variant-autoscaler:0.5.1: not found";
    }
    if (runs(path, "crane", "ls") && leaf(path) === "stdout") return "v0.4.0\nlatest";
    if (runs(path, "helm", "push") && leaf(path) === "combinedOutput") {
      if (o.chartPushFails) {
        return new FakeError("process did not complete successfully: exit code: 1", {
          _type: "EXEC_ERROR", cmd: ["helm", "push"], exitCode: 1, stdout: "", stderr: "Error: unexpected status from PUT request: 403 Forbidden",
        });
      }
      return `Pushed: ghcr.io/llm-d-incubation/charts/workload-variant-autoscaler:0.5.1\nDigest: sha256:${"cd".repeat(32)}\n`;
    }
    return undefined;
  });
}

describe("bad input fails before any publish, push or exec, naming the fix", () => {
  const release = (over: { platforms?: string[]; imageRepository?: string; chartRegistry?: string; existingTags?: string[]; chart?: Directory } = {}) =>
    wvaWith(over.chart ?? dag.host().directory(OWN_CHART)).release(
      "v0.5.1", false, false, over.imageRepository ?? REPO, over.chartRegistry ?? "oci://ghcr.io/llm-d-incubation/charts",
      "ci-bot", dag.setSecret("cr", TOKEN), over.platforms, over.existingTags, "",
    );

  test.each<[string, () => Promise<unknown>, RegExp]>([
    ["release of windows/amd64", () => release({ platforms: ["linux/amd64", "windows/amd64"] }), /platform "windows\/amd64": the controller image is a Linux container image.*use linux\/<arch>/],
    ["release of darwin/arm64", () => release({ platforms: ["darwin/arm64"] }), /OS must be linux/],
    ["release of an unknown arch", () => release({ platforms: ["linux/mips64"] }), /unsupported architecture "mips64"/],
    ["release of linux/riscv64 (no base image)", () => release({ platforms: ["linux/riscv64"] }), /no controller image for architecture "riscv64"; use one of linux\/amd64/],
    ["publish-image of windows/amd64", () => wvaWith().publishImage(["v1"], REPO, ["windows/amd64"]), /OS must be linux/],
    ["image of windows/amd64", () => wvaWith().image("windows/amd64"), /OS must be linux/],
    ["upper-case image repository", () => release({ imageRepository: "ghcr.io/LLM-D/WVA" }), /--image-repository "ghcr.io\/LLM-D\/WVA" .*lowercase; use "ghcr.io\/llm-d\/wva"/],
    ["image repository with a URL scheme", () => release({ imageRepository: "https://ghcr.io/llm-d/wva" }), /--image-repository .*drop the https:\/\/ scheme/],
    ["image repository with a tag", () => release({ imageRepository: "ghcr.io/llm-d/wva:v1" }), /--image-repository .*carries a tag/],
    ["chart registry with a URL scheme", () => release({ chartRegistry: "https://ghcr.io/llm-d/charts" }), /--chart-registry .*drop the https:\/\/ scheme .*oci:\/\/host\/path/],
    ["publish-image to an upper-case repository", () => wvaWith().publishImage(["v1"], "Ghcr.io/x/WVA"), /--repository .*lowercase/],
    ["chart-for-release with a bad repository", () => wvaWith(dag.host().directory(OWN_CHART)).chartForRelease("v0.5.1", "ghcr.io/x/Y"), /--image-repository .*lowercase/],
    ["existing tag that is not a tag", () => release({ existingTags: ["v0.4.0", "v0.3.0/x"] }), /--existing-tags: invalid image tag "v0.3.0\/x"/],
    ["a chart directory without Chart.yaml", () => release({ chart: dag.host().directory(join(upstreamCopy(WVA_CHART), "templates")) }), /the --chart directory has no Chart.yaml at its root; pass --chart <the chart directory itself/],
    ["chart-for-release on a directory without Chart.yaml", () => wvaWith(dag.directory().withNewFile("values.yaml", "a: 1\n")).chartForRelease("v0.5.1"), /--chart directory has no Chart.yaml/],
  ])("%s", async (_what, call, why) => {
    const { engine, error } = await withFakeEngine(call, registry);
    expect(String(error)).toMatch(why);
    nothingRan(engine);
    expect(String(error)).not.toMatch(/lstat/);
  });
});

describe("list arguments joined into one string are split, never ignored", () => {
  test.each([["v0.5.0 v0.4.0"], ["v0.5.0,v0.4.0"], ["v0.5.0, v0.4.0"]])("--existing-tags %j: latest does not move backwards for v0.4.1", async (joined) => {
    const { engine, result, error } = await withFakeEngine(
      () => wvaWith(dag.host().directory(OWN_CHART)).release("v0.4.1", false, false, REPO, undefined, undefined, undefined, undefined, [joined], ""),
      registry,
    );
    expect(error).toBeUndefined();
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.4.1`]);
    expect(result).toMatch(/latest {5}unchanged \(v0\.5\.0 is higher\)/);
    expect(engine.chains.some((c) => runs(c, "crane", "ls"))).toBe(false);
  });

  test('--platforms "linux/amd64 linux/arm64" builds and publishes both platforms', async () => {
    const { engine, error } = await withFakeEngine(
      () => wvaWith(dag.host().directory(OWN_CHART)).release("v0.5.1", false, false, REPO, undefined, undefined, undefined, ["linux/amd64 linux/arm64"], [], ""),
      registry,
    );
    expect(error).toBeUndefined();
    const variants: string[] = engine.chainsWith("publish")[0].at(-1)!.args.platformVariants;
    expect(variants.map((id) => engine.origin(id)![0].args.platform)).toEqual(["linux/amd64", "linux/arm64"]);
  });

  test('publish-image --tags "v0.4.1 latest" publishes both tags', async () => {
    const { engine, error } = await withFakeEngine(() => wvaWith().publishImage(["v0.4.1 latest"], REPO, ["linux/amd64,linux/arm64"]));
    expect(error).toBeUndefined();
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.4.1`, `${REPO}:latest`]);
  });
});

describe("a release whose chart push fails after the image push", () => {
  test("lists what was published and the command that finishes it", async () => {
    const { engine, error } = await withFakeEngine(
      () => wvaWith(dag.host().directory(OWN_CHART)).release("v0.5.1", false, false, REPO, "oci://ghcr.io/llm-d-incubation/charts", "ci-bot", dag.setSecret("cr", TOKEN), undefined, ["v0.4.0"], ""),
      (e) => registry(e, { chartPushFails: true }),
    );
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.5.1`, `${REPO}:latest`]);
    const msg = String(error);
    expect(msg).toContain("release v0.5.1 is half done: the image is published, the chart is not.");
    expect(msg).toContain(`  image ${REPO}:v0.5.1@sha256:`);
    expect(msg).toContain(`  image ${REPO}:latest@sha256:`);
    expect(msg).toMatch(/not published: the chart \(oci:\/\/ghcr.io\/llm-d-incubation\/charts\): .*403 Forbidden|not published: the chart .*exit code: 1/);
    expect(msg).toContain(
      `dagger call release --tag v0.5.1 --reuse-image --image-repository ${REPO} --chart-registry oci://ghcr.io/llm-d-incubation/charts --username ci-bot --password <the same secret, e.g. env://CR_TOKEN>`,
    );
    expect(msg).not.toContain(TOKEN);
  });
});
