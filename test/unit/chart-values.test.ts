import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import {
  chartIdentity,
  releaseChartFiles,
  setChartVersion,
  setImage,
} from "../../dagger/src/lib/chart-values.js";
import { upstreamCopy } from "../upstream.js";

/** WVA's chart, in its repository. */
const WVA_CHART = "charts/workload-variant-autoscaler";

const chartDir = new URL("../../charts/workload-variant-autoscaler/", import.meta.url);
const chartYaml = readFileSync(new URL("Chart.yaml", chartDir), "utf8");
const valuesYaml = readFileSync(new URL("values.yaml", chartDir), "utf8");

/** Lines of `after` that differ from `before` (same line count expected). */
function changedLines(before: string, after: string): [string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]] as [string, string]]));
}

describe("Chart.yaml", () => {
  test("only version and appVersion lines change; comments and order stay", () => {
    const out = setChartVersion(chartYaml, "0.5.0-rc.1", "v0.5.0-rc.1");
    expect(changedLines(chartYaml, out)).toEqual([
      ["version: 0.4.1", "version: 0.5.0-rc.1"],
      ['appVersion: "v0.4.1"', 'appVersion: "v0.5.0-rc.1"'],
    ]);
    expect(out).toContain("# Chart version: the release tag without its leading \"v\".");
    expect(Object.keys(parse(out))).toEqual(Object.keys(parse(chartYaml)));
    expect(chartIdentity(out)).toEqual({
      name: "workload-variant-autoscaler",
      version: "0.5.0-rc.1",
      appVersion: "v0.5.0-rc.1",
    });
  });

  test("keeps trailing comments on the edited keys", () => {
    const src = "# head\nname: c\nversion: 0.1.0 # bumped by release\nappVersion: '1.0'  # app\nextra: [a, b]\n";
    const out = setChartVersion(src, "2.0.0", "v2.0.0");
    // Only the values change: the two spaces before "# app" and the flow list stay as written.
    expect(out).toBe('# head\nname: c\nversion: 2.0.0 # bumped by release\nappVersion: "v2.0.0"  # app\nextra: [a, b]\n');
  });

  test("a version that reads as a number stays a string", () => {
    const out = setChartVersion("name: c\nversion: 0.1.0\nappVersion: x\n", "1.0", "1.0");
    expect(parse(out)).toEqual({ name: "c", version: "1.0", appVersion: "1.0" });
  });

  test("refuses a Chart.yaml without version or appVersion", () => {
    expect(() => setChartVersion("name: c\nversion: 0.1.0\n", "1.0.0", "v1.0.0")).toThrow(/appVersion/);
    expect(() => setChartVersion("- a\n- b\n", "1.0.0", "v1.0.0")).toThrow(/mapping/);
    expect(() => setChartVersion("a: [\n", "1.0.0", "v1.0.0")).toThrow(/not valid YAML/);
  });
});

describe("values.yaml", () => {
  test("only wva.image.repository and wva.image.tag change; every comment stays", () => {
    const out = setImage(valuesYaml, "localhost:5000/llm-d-incubation/workload-variant-autoscaler", "v0.5.0");
    expect(changedLines(valuesYaml, out)).toEqual([
      [
        "    repository: ghcr.io/llm-d-incubation/workload-variant-autoscaler",
        "    repository: localhost:5000/llm-d-incubation/workload-variant-autoscaler",
      ],
      ['    tag: "v0.4.1"', '    tag: "v0.5.0"'],
    ]);
    const comments = (s: string) => s.split("\n").filter((l) => l.trim().startsWith("#"));
    expect(comments(out)).toEqual(comments(valuesYaml));
    const before = parse(valuesYaml);
    const after = parse(out);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(Object.keys(after.wva)).toEqual(Object.keys(before.wva));
    expect(after.wva.image).toEqual({
      repository: "localhost:5000/llm-d-incubation/workload-variant-autoscaler",
      tag: "v0.5.0",
    });
  });

  test("refuses values without wva.image keys", () => {
    expect(() => setImage("wva:\n  image:\n    repository: x\n", "r", "t")).toThrow(/wva.image.tag/);
    expect(() => setImage("other: 1\n", "r", "t")).toThrow(/wva.image.repository/);
  });
});

describe("WVA's real chart files (a copy)", () => {
  const dir = upstreamCopy(WVA_CHART);
  const wvaChart = readFileSync(join(dir, "Chart.yaml"), "utf8");
  const wvaValues = readFileSync(join(dir, "values.yaml"), "utf8");

  test("exactly the four release lines change; aligned comments and whitespace-only lines stay byte for byte", () => {
    const out = releaseChartFiles(
      { chartYaml: wvaChart, valuesYaml: wvaValues },
      { version: "0.5.1", appVersion: "v0.5.1", imageRepository: "ghcr.io/llm-d-incubation/workload-variant-autoscaler", imageTag: "v0.5.1" },
    );
    expect(changedLines(wvaChart, out.chartYaml)).toEqual([
      ["version: 0.5.0", "version: 0.5.1"],
      ['appVersion: "v0.5.0"', 'appVersion: "v0.5.1"'],
    ]);
    expect(changedLines(wvaValues, out.valuesYaml)).toEqual([
      ["    repository: ghcr.io/llm-d/llm-d-workload-variant-autoscaler", "    repository: ghcr.io/llm-d-incubation/workload-variant-autoscaler"],
      ["    tag: v0.5.0", '    tag: "v0.5.1"'],
    ]);
    // lines the yaml printer would have rewritten
    expect(out.valuesYaml).toContain("      kvCacheThreshold: 0.80      # Replica saturated");
    expect(out.valuesYaml).toContain("    secure: true\n  \n");
  });
});

test("an empty or non-scalar value is set or refused by name", () => {
  expect(parse(setImage("wva:\n  image:\n    repository:\n    tag: x\n", "r/x", "v1")).wva.image).toEqual({ repository: "r/x", tag: "v1" });
  expect(() => setImage("wva:\n  image:\n    repository: {a: 1}\n    tag: x\n", "r", "t")).toThrow(/values.yaml: "wva.image.repository" is not a single value/);
});

test("releaseChartFiles edits both files for one release", () => {
  const out = releaseChartFiles(
    { chartYaml, valuesYaml },
    { version: "1.2.3", appVersion: "v1.2.3", imageRepository: "ghcr.io/o/wva", imageTag: "v1.2.3" },
  );
  expect(parse(out.chartYaml)).toMatchObject({ version: "1.2.3", appVersion: "v1.2.3" });
  expect(parse(out.valuesYaml).wva.image).toEqual({ repository: "ghcr.io/o/wva", tag: "v1.2.3" });
});
