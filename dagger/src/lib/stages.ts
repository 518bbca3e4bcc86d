/** Running stages concurrently and reporting them together. */

/** Outcome of one named stage. */
export interface StageResult {
  name: string;
  ok: boolean;
  seconds: number;
  /** Error text of a failed stage (already trimmed to the useful tail). */
  error?: string;
}

/** Runs every stage at once; never throws: each outcome is a StageResult, in the order given. */
export async function runStages(stages: [string, () => Promise<unknown>][]): Promise<StageResult[]> {
  return Promise.all(
    stages.map(async ([name, run]) => {
      const start = Date.now();
      try {
        await run();
        return { name, ok: true, seconds: (Date.now() - start) / 1000 };
      } catch (e) {
        return { name, ok: false, seconds: (Date.now() - start) / 1000, error: errorText(e) };
      }
    }),
  );
}

/** A table of stage outcomes, one line each: `✔ lint  12.3s`. */
export function summarize(results: StageResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => `${r.ok ? "✔" : "✘"} ${r.name.padEnd(width)}  ${r.seconds.toFixed(1)}s`)
    .join("\n");
}

/**
 * The error a failed pipeline throws: names every failing stage first, then each one's detail.
 * Undefined when all passed.
 */
export function failureReport(results: StageResult[]): string | undefined {
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  const head = `${failed.length} of ${results.length} stages failed: ${failed.map((r) => r.name).join(", ")}`;
  const details = failed.map((r) => `── ${r.name} ──\n${r.error ?? "(no detail)"}`).join("\n\n");
  return `${head}\n\n${summarize(results)}\n\n${details}`;
}

/** The useful part of an error: its message plus the tail of any exec output it carries. */
export function errorText(e: unknown, tailLines = 30): string {
  if (!(e instanceof Error)) return String(e);
  const x = e as Error & { stdout?: string; stderr?: string; cmd?: string[] };
  const out = [x.stdout, x.stderr].filter((s): s is string => !!s && s.trim().length > 0).join("\n");
  const tail = out ? out.trim().split("\n").slice(-tailLines).join("\n") : "";
  return tail && !x.message.includes(tail) ? `${x.message}\n${tail}` : x.message;
}
