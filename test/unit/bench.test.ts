import { describe, expect, test } from "vitest";
import { dependencyLayers, goFileEdit, testFileEdit } from "../bench/edits.js";
import { figures, markdownTable, mergeRows, parseStageTimes, repsFor, runsLine, spread, stageMedians, stageTable, type Row } from "../bench/stats.js";

describe("the benchmark's edits", () => {
  const go = "// Package scaler decides.\npackage scaler\n\nfunc A() int { return 1 }\n";
  test("a Go file gets a new value in its code, not in its API; each nonce gives other content", () => {
    const a = goFileEdit(go, "n1");
    expect(a.startsWith(go)).toBe(true);
    expect(a).toContain('var benchEdit = "n1"');
    expect(a).toMatch(/func init\(\) \{ _ = benchEdit \}\n$/);
    expect(goFileEdit(go, "n2")).not.toBe(a);
    // an edit replaces nothing: editing the original again gives one edit, not two
    expect(goFileEdit(go, "n2").match(/benchEdit =/g)).toHaveLength(1);
  });
  test("a test file gets one more test, passing or failing with the nonce", () => {
    const t = 'package scaler\n\nimport (\n\t"fmt"\n\t"testing"\n)\n';
    expect(testFileEdit(t, "n1")).toMatch(/func TestBenchEdit\(t \*testing\.T\) \{ t\.Log\("benchmark edit n1"\) \}\n$/);
    expect(testFileEdit(t, "n1", true)).toContain('t.Fatal("benchmark edit n1 fails")');
    expect(testFileEdit('package x\n\nimport "testing"\n', "n")).toContain("TestBenchEdit");
  });
  test("a Dockerfile's dependency layers end before its first source COPY", () => {
    const df = [
      "FROM golang:1.24 AS builder", "ARG TARGETARCH", "WORKDIR /workspace", "COPY go.mod go.mod", "COPY go.sum go.sum",
      "RUN go mod download", "", "COPY cmd/main.go cmd/main.go", "COPY internal/ internal/", "RUN go build -a -o manager cmd/main.go",
      "FROM distroless", "COPY --from=builder /workspace/manager .",
    ].join("\n");
    expect(dependencyLayers(df)).toBe("FROM golang:1.24 AS builder\nARG TARGETARCH\nWORKDIR /workspace\nCOPY go.mod go.mod\nCOPY go.sum go.sum\nRUN go mod download\n");
    // both manifests in one COPY, with a flag, are still manifests; `COPY . .` is source
    expect(dependencyLayers("FROM g\nCOPY --chown=1:1 go.mod go.sum ./\nRUN go mod download\nCOPY . .\n")).toBe("FROM g\nCOPY --chown=1:1 go.mod go.sum ./\nRUN go mod download\n");
    expect(() => dependencyLayers("FROM g\nRUN true\n")).toThrow(/copies no source/);
  });
  test("files that are not Go, or tests without the testing package, are refused", () => {
    expect(() => goFileEdit("not go\n", "n")).toThrow(/no package clause/);
    expect(() => testFileEdit("package x\n\nimport \"fmt\"\n", "n")).toThrow(/does not import "testing"/);
  });
});

describe("the benchmark's figures", () => {
  test("median, min and max; even counts average the middle two", () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(() => spread([])).toThrow();
  });
  test("the ratio is taken pair by pair, not as a ratio of medians", () => {
    const row: Row = { tree: "t", case: "c", measured: "m", reference: "r", pairs: [
      { measured: 2, reference: 1 }, { measured: 6, reference: 4 }, { measured: 10, reference: 2 },
    ] };
    const f = figures(row)!;
    expect(f.measured.median).toBe(6);
    expect(f.reference.median).toBe(2);
    expect(f.ratio).toEqual({ median: 2, min: 1.5, max: 5 });
  });
  test("ci's summary lines become stage times", () => {
    const summary = "✔ lint   12.3s\n✘ build  4.0s\n✔ test   100.5s\nnot gated (as in WVA's CI): gofmt check";
    expect(parseStageTimes(summary)).toEqual({ lint: 12.3, build: 4, test: 100.5 });
  });
  test("the table shows medians with min–max, the ratio, n and load; a row without figures says why", () => {
    const rows: Row[] = [
      { tree: "fixture", case: "no change", measured: "`ci`", reference: "native", load: [1.2, 2.5],
        pairs: [{ measured: 0.5, reference: 1.5 }, { measured: 0.4, reference: 1.6 }, { measured: 0.6, reference: 1.4 }],
        stages: [{ lint: 1, test: 3 }, { lint: 2, test: 5 }, { lint: 3, test: 4 }] },
      { tree: "module", case: "module load, cold", measured: "`dagger call`", reference: "client mode", pairs: [], notMeasured: "dagger call fails" },
    ];
    const md = markdownTable(rows).split("\n");
    expect(md[0]).toMatch(/^\| tree \| case \|/);
    expect(md[2]).toBe("| fixture | no change | `ci` | native | 0.50 s (0.40–0.60) | 1.50 s (1.40–1.60) | **0.33×** (0.25–0.43) | 3 | 1.2→2.5 |");
    expect(md[3]).toContain("not measured: dagger call fails");
    expect(stageMedians(rows[0])).toEqual({ lint: 2, test: 4 });
    expect(stageTable(rows).split("\n")[2]).toBe("| fixture | no change | 2.00 s | 4.00 s |");
  });
});

describe("partial runs and repetitions", () => {
  const row = (id: string, run: string, measured?: number): Row => ({
    id, run, tree: "t", case: id, measured: "m", reference: "r", pairs: measured === undefined ? [] : [{ measured, reference: 1 }],
  });
  test("a row measured now replaces the earlier one in its place; others stay; new ones follow", () => {
    const merged = mergeRows([row("a", "r1", 1), row("b", "r1", 2)], [row("b", "r2", 3), row("c", "r2", 4)]);
    expect(merged.map((r) => [r.id, r.run, r.pairs[0].measured])).toEqual([["a", "r1", 1], ["b", "r2", 3], ["c", "r2", 4]]);
    expect(runsLine(merged)).toMatch(/^Rows of 2 runs \(started r1, r2;/);
    expect(runsLine([row("a", "r1", 1)])).toBe("");
  });
  test("a row that failed now does not replace earlier figures; a new failed row is listed", () => {
    const merged = mergeRows([row("a", "r1", 1)], [row("a", "r2"), row("z", "r2")]);
    expect(merged.map((r) => [r.id, r.run])).toEqual([["a", "r1"], ["z", "r2"]]);
  });
  test("repetitions per row, else the default; a malformed override is refused", () => {
    expect(repsFor("wva/arm64/go-file", 3, "wva/arm64/go-file=1, fixture/ci/go-file=5")).toBe(1);
    expect(repsFor("fixture/ci/go-file", 3, "wva/arm64/go-file=1,fixture/ci/go-file=5")).toBe(5);
    expect(repsFor("wva/ci/go-file", 3, "wva/arm64/go-file=1")).toBe(3);
    expect(() => repsFor("x", 3, "wva/arm64/go-file")).toThrow(/not id=count/);
  });
});
