/**
 * How long `dagger call` takes to load this module on the engine built here: cold (the first load
 * after an engine restart) and warm (loaded again), median of 3 each, timed on `dagger call
 * ci-stages` (load, then one function that touches nothing else).
 *
 * It restarts the engine three times (down.sh, then up.sh, which reuses everything built). In
 * `npm test` the cli tier runs after every other tier, so nothing else is using the engine then;
 * on a machine shared with others, run this file under the exclusive engine lock.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { k8sReady } from "../engine/engine.js";
import { copyProject, dagger, gitCheckout, median, repo, scratch, tail, type Run } from "./cli.js";
import { rmSync, writeFileSync } from "node:fs";

const dir = scratch("load");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const checkout = join(dir, "wva");
gitCheckout(checkout, copyProject);


/** `dagger call ci-stages` in the checkout; fails the test unless it lists the stages. */
async function load(): Promise<Run> {
  const run = await dagger(["call", "ci-stages"], checkout);
  expect(run.code, tail(run)).toBe(0);
  expect(run.stdout.trim().split("\n")).toEqual(expect.arrayContaining(["lint", "build", "test", "chart", "e2e"]));
  return run;
}

/** Stops the engine and brings it up again (up.sh reuses every build); its output goes to a log. */
function restartEngine(log: string): void {
  const out = execFileSync("bash", ["-c", "bash test/engine/down.sh && bash test/engine/up.sh"], {
    cwd: repo,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 600_000,
  });
  writeFileSync(log, out);
}

// the restarts below stop the registry: npm test's up.sh's Kubernetes builds must be done first (k8s-lane.ts)
beforeAll(() => k8sReady(), 3_300_000);

describe("module load time", () => {
  it("cold (first load after an engine restart) and warm loads, median of 3", async () => {
    // The first load on this engine's state: on a fresh machine it builds the SDK runtime module,
    // pulls the node image and installs the module's dependencies.
    const first = await load();
    const cold: number[] = [];
    for (let i = 1; i <= 3; i++) {
      restartEngine(join(dir, `restart-${i}.log`));
      cold.push((await load()).seconds);
    }
    const warm: number[] = [];
    for (let i = 1; i <= 3; i++) warm.push((await load()).seconds);

    const f = (xs: number[]) => xs.map((x) => `${x.toFixed(1)}s`).join(", ");
    console.log(
      [
        "module load time (dagger call ci-stages):",
        `  first load on this engine state  ${first.seconds.toFixed(1)}s`,
        `  cold, after an engine restart    median ${median(cold).toFixed(1)}s (${f(cold)})`,
        `  warm                             median ${median(warm).toFixed(1)}s (${f(warm)})`,
      ].join("\n"),
    );
    // What a user notices: loading again is faster than loading after a restart.
    expect(median(warm)).toBeLessThan(median(cold));
  });
});
