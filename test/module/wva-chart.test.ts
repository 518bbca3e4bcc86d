/**
 * The module on WVA's real chart (a copy) against the fake engine: WVA's chart has no
 * README.md.gotmpl, so helm-docs never runs on it and its README is neither checked, replaced
 * nor committed; this repository's chart (with the template) keeps its helm-docs README.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dag, type Directory } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { Wva } from "../../dagger/src/index.js";
import { releaseChartFiles } from "../../dagger/src/lib/chart-values.js";
import { upstreamCopy } from "../upstream.js";
import { withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";

/** WVA's chart, in its repository. */
const WVA_CHART = "charts/workload-variant-autoscaler";

const GO_MOD = "module example.com/wva\n\ngo 1.26.0\n";
const REPO = "ghcr.io/llm-d-incubation/workload-variant-autoscaler";
const OWN_CHART = fileURLToPath(new URL("../../charts/workload-variant-autoscaler", import.meta.url));
const TOKEN = "s3cr3t-inputs-token-42";

const wvaChart = (): string => upstreamCopy(WVA_CHART);
const wvaWith = (chart?: Directory) =>
  new Wva(dag.directory().withNewFile("go.mod", GO_MOD), undefined, undefined, undefined, undefined, undefined, undefined, undefined, chart);

const lastExec = (path: Step[]): string[] | undefined => path.filter((s) => s.name === "withExec").at(-1)?.args.args;
const runs = (path: Step[], ...words: string[]) => {
  const a = lastExec(path);
  return !!a && a.some((_, i) => words.every((w, j) => a[i + j] === w));
};
const leaf = (path: Step[]) => path.at(-1)!.name;
const helmDocsRan = (e: FakeEngine) => e.execs().some((a) => a[0] === "helm-docs");

describe("WVA's chart (no README.md.gotmpl)", () => {
  test("the chart stage lints and renders it and never runs helm-docs", async () => {
    const { engine, error } = await withFakeEngine(() => wvaWith(dag.host().directory(wvaChart())).helmLint());
    expect(error).toBeUndefined();
    expect(engine.execs()).toEqual(
      expect.arrayContaining([["helm", "lint", "--strict", "."], ["helm", "template", "wva", ".", "--namespace", "workload-variant-autoscaler-system"]]),
    );
    expect(helmDocsRan(engine)).toBe(false);
  });

  test("chart-for-release: Chart.yaml and values.yaml edited, README.md the chart's own (helm-docs not run)", async () => {
    const dir = wvaChart();
    const { engine, error } = await withFakeEngine(async () => (await wvaWith(dag.host().directory(dir)).chartForRelease("v0.5.1", REPO)).sync());
    expect(error).toBeUndefined();
    expect(helmDocsRan(engine)).toBe(false);
    const want = releaseChartFiles(
      { chartYaml: readFileSync(join(dir, "Chart.yaml"), "utf8"), valuesYaml: readFileSync(join(dir, "values.yaml"), "utf8") },
      { version: "0.5.1", appVersion: "v0.5.1", imageRepository: REPO, imageTag: "v0.5.1" },
    );
    const files = Object.fromEntries(engine.steps("withNewFile").map((s) => [s.args.path, s.args.contents]));
    expect(files).toEqual({ "Chart.yaml": want.chartYaml, "values.yaml": want.valuesYaml });
    expect(engine.steps("withFile").filter((s) => s.args.path === "README.md")).toEqual([]);
  });

  test("commit-chart hands git only Chart.yaml and values.yaml", async () => {
    const { engine, error } = await withFakeEngine(
      () => wvaWith(dag.host().directory(wvaChart())).commitChart("v0.5.1", dag.setSecret("gh", TOKEN)),
      (e) => e.on((p) => (runs(p, "sh", "-c") && leaf(p) === "stdout" ? `pushed ${"e".repeat(40)}\n` : undefined)),
    );
    expect(error).toBeUndefined();
    const chain = engine.chainsWith("stdout").find((c) => c.some((s) => s.name === "withEnvVariable" && s.args.name === "FILES"))!;
    expect(chain.find((s) => s.name === "withEnvVariable" && s.args.name === "FILES")!.args.value).toBe("Chart.yaml values.yaml");
    const update = chain.find((s) => s.name === "withDirectory" && s.args.path === "/update")!;
    expect(engine.origin(update.args.source)!.find((s) => s.name === "withDirectory")!.args.include).toEqual(["Chart.yaml", "values.yaml"]);
    expect(helmDocsRan(engine)).toBe(false);
  });

  test("this repository's chart (it has README.md.gotmpl) still gets helm-docs and commits README.md", async () => {
    const { engine, error } = await withFakeEngine(
      () => wvaWith(dag.host().directory(OWN_CHART)).commitChart("v0.5.1", dag.setSecret("gh", TOKEN)),
      (e) => e.on((p) => (runs(p, "sh", "-c") && leaf(p) === "stdout" ? `pushed ${"e".repeat(40)}\n` : undefined)),
    );
    expect(error).toBeUndefined();
    expect(helmDocsRan(engine)).toBe(true);
    expect(engine.steps("withEnvVariable").find((s) => s.args.name === "FILES")!.args.value).toBe("Chart.yaml values.yaml README.md");
  });
});

