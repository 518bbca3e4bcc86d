/**
 * The benchmark's arithmetic and report: pure functions (unit-tested), no Dagger, no processes.
 */

/** One timed repetition of a row: the measured side and its reference, in seconds. */
export interface Pair {
  measured: number;
  reference: number;
}

/** Median, minimum and maximum of some seconds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** A row of the table: what was measured against what, its repetitions, or why it was not measured. */
export interface Row {
  /** `fixture/ci/go-file`, …: what WVA_BENCH_ONLY matches and partial runs merge by. */
  id?: string;
  /** When the run that measured the row started (ISO time); rows of a merged table differ. */
  run?: string;
  tree: string;
  case: string;
  measured: string;
  reference: string;
  pairs: Pair[];
  /** Per-stage wall times of each measured repetition (ci's summary), stage → seconds. */
  stages?: Record<string, number>[];
  /** Load average (1 min) when the row started and ended. */
  load?: [number, number];
  /** Why the row has no figures (e.g. a tool that does not work on this machine). */
  notMeasured?: string;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) throw new Error("no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

/** The row's figures: measured, reference, and the ratio measured/reference taken pair by pair. */
export function figures(row: Row): { measured: Spread; reference: Spread; ratio: Spread } | undefined {
  if (row.pairs.length === 0) return undefined;
  return {
    measured: spread(row.pairs.map((p) => p.measured)),
    reference: spread(row.pairs.map((p) => p.reference)),
    ratio: spread(row.pairs.map((p) => p.measured / p.reference)),
  };
}

/** Per-stage medians over a row's repetitions (stages present in every repetition). */
export function stageMedians(row: Row): Record<string, number> {
  const runs = row.stages ?? [];
  if (runs.length === 0) return {};
  const names = Object.keys(runs[0]).filter((n) => runs.every((r) => n in r));
  return Object.fromEntries(names.map((n) => [n, spread(runs.map((r) => r[n])).median]));
}

/** `✔ lint   12.3s` lines of ci's summary → stage → seconds. */
export function parseStageTimes(summary: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of summary.matchAll(/^[✔✘] (\S+)\s+([0-9.]+)s$/gmu)) out[m[1]] = Number(m[2]);
  return out;
}

const s = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const cell = (x: Spread) => `${s(x.median)} s (${s(x.min)}–${s(x.max)})`;

/** The markdown table: one line per row, medians with min–max, the ratio to the reference. */
export function markdownTable(rows: Row[]): string {
  const lines = [
    "| tree | case | measured | reference | measured: median (min–max) | reference: median (min–max) | ratio (min–max) | n | load 1m |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const f = figures(row);
    const load = row.load ? `${row.load[0].toFixed(1)}→${row.load[1].toFixed(1)}` : "";
    if (!f) {
      lines.push(`| ${row.tree} | ${row.case} | ${row.measured} | ${row.reference} | not measured: ${row.notMeasured ?? "no repetitions"} | | | 0 | ${load} |`);
      continue;
    }
    const ratio = `**${f.ratio.median.toFixed(2)}×** (${f.ratio.min.toFixed(2)}–${f.ratio.max.toFixed(2)})`;
    lines.push(
      `| ${row.tree} | ${row.case} | ${row.measured} | ${row.reference} | ${cell(f.measured)} | ${cell(f.reference)} | ${ratio} | ${row.pairs.length} | ${load} |`,
    );
  }
  return lines.join("\n");
}

/** The per-stage table of the rows that have stage times (ci's own summary, medians). */
export function stageTable(rows: Row[]): string {
  const withStages = rows.filter((r) => Object.keys(stageMedians(r)).length);
  if (withStages.length === 0) return "";
  const names = [...new Set(withStages.flatMap((r) => Object.keys(stageMedians(r))))];
  const lines = [`| tree | case | ${names.join(" | ")} |`, `|---|---|${names.map(() => "---|").join("")}`];
  for (const r of withStages) {
    const m = stageMedians(r);
    lines.push(`| ${r.tree} | ${r.case} | ${names.map((n) => (n in m ? `${s(m[n])} s` : "")).join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * The rows of a run merged into an earlier table (WVA_BENCH_MERGE): a row measured now replaces
 * the earlier row of the same id, in its place; earlier rows this run did not measure stay, with
 * their own run time; new rows follow in the order measured. A row whose run failed replaces
 * nothing: the earlier figures stay and are not passed off as the new run's.
 */
export function mergeRows(earlier: Row[], now: Row[]): Row[] {
  const fresh = new Map(now.filter((r) => r.id && (r.pairs.length || !earlier.some((e) => e.id === r.id))).map((r) => [r.id!, r]));
  const merged = earlier.map((r) => (r.id && fresh.has(r.id) ? fresh.get(r.id)! : r));
  const placed = new Set(merged.map((r) => r.id));
  return [...merged, ...now.filter((r) => !r.id || !placed.has(r.id))];
}

/**
 * Repetitions per row: `WVA_BENCH_REPS` for all, `WVA_BENCH_ROW_REPS` ("id=n,id=n") for some
 * (a row whose reference takes half an hour); the table's n column shows what each row got.
 */
export function repsFor(id: string, all: number, rowReps = ""): number {
  for (const part of rowReps.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(\d+)$/.exec(part);
    if (!m) throw new Error(`WVA_BENCH_ROW_REPS: "${part}" is not id=count`);
    if (m[1] === id) return Number(m[2]);
  }
  return all;
}

/** "Rows measured in runs started at …", when a table holds rows of more than one run. */
export function runsLine(rows: Row[]): string {
  const runs = [...new Set(rows.map((r) => r.run).filter((r): r is string => !!r))].sort();
  return runs.length > 1 ? `Rows of ${runs.length} runs (started ${runs.join(", ")}; each row's run is in the JSON).` : "";
}
