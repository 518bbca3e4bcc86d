import { Directory, dag, func, object } from "@dagger.io/dagger";

/**
 * The outcome of an e2e run (Kind or OpenShift), whether it passed or not, with the diagnostics
 * collected from the cluster. Export them with
 * `dagger call <run> diagnostics export --path ./e2e-diagnostics`; `result.json` in there says
 * whether the run passed, so one call both keeps the evidence and gates CI (`jq -e .passed`).
 */
@object()
export class E2eResult {
  /** Which run this is: `kind` or `openshift`. */
  @func()
  kind: string;

  /** true when every step and test passed. */
  @func()
  passed: boolean;

  /** One-line summary: what passed, or the step that failed and why. */
  @func()
  summary: string;

  /** The run's log: steps, preflight, cleanup plan, and the test output (tail on failure). */
  @func()
  log: string;

  /** Events, pod logs, describe output and resource dumps, plus result.json and run.log. */
  @func()
  diagnostics: Directory;

  /**
   * @param kind Which run this is: `kind` or `openshift`.
   * @param passed true when every step and test passed.
   * @param summary One-line summary of the outcome.
   * @param log The run's log.
   * @param diagnostics Files collected from the cluster (result.json and run.log are added).
   */
  constructor(kind: string, passed: boolean, summary: string, log: string, diagnostics?: Directory) {
    this.kind = kind;
    this.passed = passed;
    this.summary = summary;
    this.log = log;
    this.diagnostics = (diagnostics ?? dag.directory())
      .withNewFile("result.json", JSON.stringify({ run: kind, passed, summary }, null, 2) + "\n")
      .withNewFile("run.log", log);
  }

  /** Fails with the summary and the log's tail when the run did not pass; returns the summary otherwise. */
  @func()
  async check(): Promise<string> {
    if (!this.passed) throw new Error(failureMessage(this.kind, this.summary, this.log));
    return this.summary;
  }
}

/** The error text of a failed run: the summary, the last lines of the log, where the diagnostics are. */
export function failureMessage(kind: string, summary: string, log: string, tailLines = 60): string {
  const tail = log.trimEnd().split("\n").slice(-tailLines).join("\n");
  const fn = kind === "kind" ? "e-2-e-result" : "openshift-e-2-e …";
  return (
    `${kind} e2e failed: ${summary}\n--- last ${tailLines} lines of the run log ---\n${tail}\n` +
    `--- diagnostics (events, pod logs, describe output): dagger call ${fn} diagnostics export --path ./e2e-diagnostics`
  );
}
