/**
 * `npm run bench`: the pipeline against the native tools, side by side in one run. Each row is
 * measured `WVA_BENCH_REPS` times (default 3), the measured side and its reference in turn
 * (A B A B …), every repetition on content no cache has seen before (see edits.ts); the table
 * shows medians with min–max and the ratio measured/reference taken pair by pair.
 * Writes test/bench/results/bench-<time>.{md,json} (and latest.*); prints the paths at the end.
 *
 * WVA_BENCH_ONLY=<regexp> keeps the rows whose id (`fixture/ci/go-file`, …) matches;
 * WVA_BENCH_ROW_REPS="<id>=<n>,…" gives some rows another number of repetitions;
 * WVA_BENCH_MERGE=1 merges this run's rows into the latest table (by id) instead of replacing it.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { dag } from "@dagger.io/dagger";
import { expect, it } from "vitest";
import { crossBuildDockerfile } from "../../dagger/src/lib/dockerfile.js";
import { engine, localWva, onEngine } from "../engine/engine.js";
import { dependencyLayers, goFileEdit, nonce, testFileEdit } from "./edits.js";
import { figures, markdownTable, mergeRows, parseStageTimes, repsFor, runsLine, stageTable, type Pair, type Row } from "./stats.js";
import {
  CI_SKIP,
  copyTree,
  fixture,
  moduleOn,
  nativeCiScript,
  nativeEnv,
  nativeTools,
  q,
  repo,
  run,
  scratchDir,
  wva,
  type BenchTree,
} from "./trees.js";

const defaultReps = Number(process.env.WVA_BENCH_REPS ?? 3);
/**
 * Uncounted first repetitions of the engine-only rows (image, arm64, release), which warm the
 * Dockerfile's layer cache (its `go mod download`); 0 when an earlier run left it warm.
 */
const warmup = Number(process.env.WVA_BENCH_WARMUP ?? 1);
const only = process.env.WVA_BENCH_ONLY ? new RegExp(process.env.WVA_BENCH_ONLY) : undefined;
const scratch = scratchDir();
const results = join(repo, "test/bench/results");

/** Seconds `fn` takes in a Dagger session of its own (session start included, as a user's call). */
async function session<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await onEngine(fn);
  return { seconds: (performance.now() - start) / 1000, value };
}

/**
 * A row measured `reps` times: `prepare` (untimed), then the measured side, then the reference.
 * Both sides see the same prepared state when their caches are apart (engine / host); when both
 * run in the engine (`prepareEach`), each gets an edit of its own, so neither is served the other's.
 */
interface RowSpec {
  id: string;
  tree: string;
  case: string;
  measured: string;
  reference: string;
  warmup?: number;
  /** What a warm-up repetition does instead of both sides, when a whole one costs too much. */
  prime?: () => Promise<void>;
  prepare?: (i: number) => Promise<void> | void;
  prepareEach?: boolean;
  measure: (i: number) => Promise<{ seconds: number; stages?: Record<string, number> }>;
  referenceRun: (i: number) => Promise<number>;
}

async function measureRow(spec: RowSpec, run: string): Promise<Row> {
  const reps = repsFor(spec.id, defaultReps, process.env.WVA_BENCH_ROW_REPS);
  const row: Row = { id: spec.id, run, tree: spec.tree, case: spec.case, measured: spec.measured, reference: spec.reference, pairs: [], stages: [] };
  const load0 = loadavg()[0];
  try {
    for (let i = -(spec.warmup ?? 0); i < reps; i++) {
      if (i < 0 && spec.prime) {
        const primed = await session(spec.prime);
        console.log(`  ${spec.id} warm-up (dependency layers): ${primed.seconds.toFixed(2)}s`);
        continue;
      }
      await spec.prepare?.(i);
      const m = await spec.measure(i);
      if (spec.prepareEach) await spec.prepare?.(i);
      const reference = await spec.referenceRun(i);
      const tag = i < 0 ? "warm-up" : `${i + 1}/${reps}`;
      console.log(`  ${spec.id} ${tag}: ${m.seconds.toFixed(2)}s vs ${reference.toFixed(2)}s`);
      if (i < 0) continue;
      row.pairs.push({ measured: m.seconds, reference } satisfies Pair);
      if (m.stages) row.stages!.push(m.stages);
    }
  } catch (e) {
    row.pairs = [];
    row.notMeasured = `failed: ${(e instanceof Error ? e.message : String(e)).split("\n").slice(0, 6).join(" ⏎ ")}`;
    console.log(`  ${spec.id}: ${row.notMeasured}`);
  }
  row.load = [load0, loadavg()[0]];
  return row;
}

/** The ci rows of one tree: new tree, no change, one Go file changed, one test file changed. */
async function ciRows(tree: BenchTree): Promise<RowSpec[]> {
  const tools = await nativeTools(tree);
  const env = nativeEnv(tree, tools);
  let dir = copyTree(tree, scratch);
  const original = (f: string) => readFileSync(join(tree.origin, f), "utf8");
  const log = join(scratch, `${tree.name}-native.log`);
  const moduleCi = async () => {
    const r = await session(() => moduleOn(tree, dir).ci(CI_SKIP));
    return { seconds: r.seconds, stages: parseStageTimes(r.value) };
  };
  const native = () => {
    const s = join(scratch, `${tree.name}-native`);
    mkdirSync(s, { recursive: true });
    return run(["bash", "-c", nativeCiScript(tree, dir, s, tools)], { env, log });
  };
  const base = { tree: tree.name, measured: "`ci --skip e2e,image`", reference: "native lint, vet, build, test, chart", measure: moduleCi, referenceRun: native };
  const id = (c: string) => `${tree.name.toLowerCase()}/ci/${c}`;
  const edit = (file: string, text: (orig: string) => string) => () => writeFileSync(join(dir, file), text(original(file)));
  return [
    {
      ...base, id: id("new-tree"), case: "new tree (warm engine and caches)", warmup: 1,
      // a fresh copy: new to the engine, and at a new path for the host
      prepare: () => {
        dir = copyTree(tree, scratch);
        writeFileSync(join(dir, ".bench-marker"), nonce());
      },
    },
    { ...base, id: id("no-change"), case: "no change" },
    { ...base, id: id("go-file"), case: `one Go file changed (${tree.goFile})`, prepare: edit(tree.goFile, (t) => goFileEdit(t, nonce())) },
    {
      ...base, id: id("test-file"), case: `one test file changed (${tree.testFile})`,
      // the Go file keeps the last edit: only the test file changes from one repetition to the next
      prepare: edit(tree.testFile, (t) => testFileEdit(t, nonce())),
    },
  ];
}

/**
 * Builds the Dockerfile's dependency layers (edits.ts) for each platform the module's way (builder
 * on the engine's platform) and, for the build platform or when `emulated` (the arm64 row's
 * reference), as is: the layers a row's repetitions share, warm for both sides. As is for another
 * platform needs that platform's builder images (up.sh's WVA_GO_IMAGE_ARM64), which only the arm64
 * row asks for.
 */
function primeDockerfile(dir: string, platforms: string[], emulated = false): () => Promise<void> {
  return async () => {
    const prefix = dependencyLayers(readFileSync(join(dir, "Dockerfile"), "utf8"));
    const build = await dag.defaultPlatform();
    const context = dag
      .host()
      .directory(dir)
      .withNewFile("Dockerfile.deps", prefix)
      .withNewFile("Dockerfile.deps-cross", crossBuildDockerfile(prefix, build).text);
    await Promise.all(
      platforms.flatMap((p) =>
        ["Dockerfile.deps-cross", ...(emulated || p === build ? ["Dockerfile.deps"] : [])].map((f) =>
          context.dockerBuild({ dockerfile: f, platform: p as never }).sync(),
        ),
      ),
    );
  };
}

/** The image stage after a one-file change against the Dockerfile built as is in the same engine. */
function imageRows(tree: BenchTree): RowSpec[] {
  const dir = copyTree(tree, scratch);
  const orig = readFileSync(join(tree.origin, tree.goFile), "utf8");
  const prepare = () => writeFileSync(join(dir, tree.goFile), goFileEdit(orig, nonce()));
  const t = tree.name.toLowerCase();
  const rows: RowSpec[] = [
    {
      id: `${t}/image/go-file`, tree: tree.name, case: "image (linux/amd64) after one Go file changed",
      measured: "`image`", reference: "the Dockerfile, `docker build` (dockerBuild, same engine)", warmup, prepare, prepareEach: true,
      prime: primeDockerfile(dir, ["linux/amd64"]),
      measure: async () => session(async () => (await moduleOn(tree, dir).image()).sync()),
      referenceRun: async () => (await session(() => dag.host().directory(dir).dockerBuild().sync())).seconds,
    },
  ];
  if (tree.name === "WVA") {
    rows.push({
      id: `${t}/arm64/go-file`, tree: tree.name, case: "linux/arm64 image after one Go file changed",
      measured: "`image --platform linux/arm64` (builder on the build platform)",
      reference: "the Dockerfile for linux/arm64, builder emulated (QEMU)", warmup, prepare, prepareEach: true,
      prime: primeDockerfile(dir, ["linux/arm64"], true),
      measure: async () => session(async () => (await moduleOn(tree, dir).image("linux/arm64")).sync()),
      referenceRun: async () =>
        (await session(() => dag.host().directory(dir).dockerBuild({ platform: "linux/arm64" as never }).sync())).seconds,
    });
  }
  return rows;
}

/** release --dry-run after a one-file change, against docker-buildx's build of both platforms + helm package. */
function releaseRow(tree: BenchTree): RowSpec {
  const dir = copyTree(tree, scratch);
  const orig = readFileSync(join(tree.origin, tree.goFile), "utf8");
  const chart = tree.chart(dir);
  const log = join(scratch, `${tree.name}-release-native.log`);
  return {
    id: `${tree.name.toLowerCase()}/release/go-file`, tree: tree.name, case: "release --dry-run after one Go file changed",
    measured: "`release --tag v0.5.1 --dry-run`",
    reference: "docker-buildx's build (BUILDPLATFORM rewrite, amd64+arm64, same engine) + native helm lint, package",
    warmup,
    prime: primeDockerfile(dir, ["linux/amd64", "linux/arm64"]),
    prepareEach: true,
    prepare: () => writeFileSync(join(dir, tree.goFile), goFileEdit(orig, nonce())),
    measure: async () => session(() => localWva(dir, tree.name === "fixture" ? chart : undefined).release("v0.5.1", true)),
    referenceRun: async () => {
      const dockerfile = crossBuildDockerfile(readFileSync(join(dir, "Dockerfile"), "utf8"), "linux/amd64").text;
      const built = await session(async () => {
        const context = dag.host().directory(dir).withNewFile("Dockerfile.cross", dockerfile);
        await Promise.all(["linux/amd64", "linux/arm64"].map((p) => context.dockerBuild({ dockerfile: "Dockerfile.cross", platform: p as never }).sync()));
      });
      const pkg = join(scratch, `${tree.name}-chart-package`);
      const helm = await run(["bash", "-c", `helm lint --strict ${q(chart)} >/dev/null && helm package ${q(chart)} -d ${q(pkg)} >/dev/null`], {
        env: { PATH: `${join(repo, ".tools/bin")}:${process.env.PATH}` },
        log,
      });
      return built.seconds + helm;
    },
  };
}

/**
 * Module load through the real CLI (`dagger call -m <module> ci-stages`): cold (a module copy new
 * to the engine) and warm (the same again), against the same function called in client mode.
 */
function moduleLoadRows(): RowSpec[] {
  const cli = engine._EXPERIMENTAL_DAGGER_CLI_BIN;
  const env = {
    _EXPERIMENTAL_DAGGER_RUNNER_HOST: engine._EXPERIMENTAL_DAGGER_RUNNER_HOST,
    DOCKER_CONFIG: engine.DOCKER_CONFIG,
    DO_NOT_TRACK: "1",
  };
  let module = "";
  const copyModule = () => {
    module = join(scratch, `module-${nonce()}`);
    for (const f of ["dagger.json", "package.json", "tsconfig.json", "dagger"]) {
      cpSync(join(repo, f), join(module, f), { recursive: true, filter: (p) => !/node_modules|dagger\/sdk/.test(p) });
    }
    writeFileSync(join(module, "dagger/src/.bench-marker.ts"), `// ${nonce()}\n`);
  };
  const log = join(scratch, "dagger-call.log");
  const call = () => run([cli, "call", "-m", module, "--source", join(repo, "test/fixtures/wva-fixture"), "ci-stages"], { env, log });
  const clientMode = async () => (await session(async () => localWva(join(repo, "test/fixtures/wva-fixture")).ciStages())).seconds;
  const base = { tree: "module", measured: "`dagger call ci-stages`", reference: "the same function in client mode", referenceRun: clientMode };
  return [
    { ...base, id: "module/load/cold", case: "module load, cold", prepare: copyModule, measure: async () => ({ seconds: await call() }) },
    {
      ...base, id: "module/load/warm", case: "module load, warm", warmup: 1,
      prepare: () => {
        if (!module) copyModule();
      },
      measure: async () => ({ seconds: await call() }),
    },
  ];
}

function machine(): Record<string, string | number> {
  const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" }).trim();
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: sh("uname -r"),
    go: sh("go version"),
    dagger: "v0.21.8 (engine built on this machine, test/engine)",
    date: new Date().toISOString(),
  };
}

it("benchmark", async () => {
  const started = new Date();
  const specs: RowSpec[] = [];
  const want = (id: string) => !only || only.test(id);
  for (const tree of [fixture, wva]) {
    specs.push(...(await ciRows(tree)), ...imageRows(tree), releaseRow(tree));
  }
  specs.push(...moduleLoadRows());
  const selected = specs.filter((s) => want(s.id));
  // the host's caches for a tree are warmed by its new-tree row; without it, by its first ci row
  for (const tree of [fixture, wva]) {
    const first = selected.find((s) => s.id.startsWith(`${tree.name.toLowerCase()}/ci/`));
    if (first && !first.warmup) first.warmup = 1;
  }
  const latest = join(results, "latest.json");
  const earlier: Row[] =
    process.env.WVA_BENCH_MERGE === "1" && existsSync(latest) ? (JSON.parse(readFileSync(latest, "utf8")) as { rows: Row[] }).rows : [];
  const m = machine();
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  mkdirSync(results, { recursive: true });
  // written after every row, so that a run cut short keeps what it measured
  const write = (rows: Row[]) => {
    const table = mergeRows(earlier, rows);
    const md = [
      `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; ${m.go}; Dagger ${m.dagger}.`,
      `Run ${started.toISOString()}, ${defaultReps} repetitions a row unless n says otherwise (load average 1 min at the row's start→end shown).`,
      runsLine(table),
      "",
      markdownTable(table),
      "",
      "Per-stage wall time of `ci` (its own summary, medians):",
      "",
      stageTable(table),
      "",
    ].join("\n");
    const json = JSON.stringify({ machine: m, reps: defaultReps, rows: table.map((r) => ({ ...r, figures: figures(r) })) }, null, 2);
    for (const name of [`bench-${stamp}`, "latest"]) {
      writeFileSync(join(results, `${name}.md`), md);
      writeFileSync(join(results, `${name}.json`), json);
    }
    return md;
  };
  const rows: Row[] = [];
  for (const spec of selected) {
    console.log(`${spec.id} (load ${loadavg()[0].toFixed(1)})`);
    rows.push(await measureRow(spec, started.toISOString()));
    write(rows);
  }
  console.log(`\n${write(rows)}\nwritten: ${join(results, `bench-${stamp}.md`)} and .json`);
  rmSync(scratch, { recursive: true, force: true });
  // a row that failed (not one the machine cannot measure by design) fails the benchmark
  const failed = rows.filter((r) => r.notMeasured && r.tree !== "module");
  expect(failed.map((r) => `${r.tree} ${r.case}: ${r.notMeasured}`)).toEqual([]);
});
