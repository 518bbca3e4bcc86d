/**
 * Turning a failed exec into an error a user can act on: the tool's own output, not
 * `exit code: 1 [traceparent:…]`. No Dagger imports: an exec failure is recognised by its shape
 * (the SDK's ExecError carries cmd, exitCode, stdout and stderr). The class itself is not usable
 * here: the SDK bundle a module runs with (`dagger call`, no `@dagger.io/dagger` dependency)
 * does not export it, so `import { ExecError }` fails when the module loads.
 */

/** The last `n` lines of `s`, trimmed. */
export function tail(s: string, n: number): string {
  return s.trim().split("\n").slice(-n).join("\n");
}

export interface ExecLike {
  exitCode: number;
  stdout: string;
  stderr: string;
  message: string;
}

/** Whether `e` is a failed exec (the SDK's ExecError, recognised by its fields). */
export function isExecLike(e: unknown): e is ExecLike {
  return e instanceof Error && typeof (e as unknown as ExecLike).exitCode === "number" && ("stdout" in e || "stderr" in e);
}

/** The message of a failed `what` exec: its exit code and the tail of its output (stdout then stderr). */
export function execMessage(what: string, e: ExecLike, lines = 60): string {
  const out = [e.stdout, e.stderr].filter((s): s is string => !!s && s.trim().length > 0).join("\n");
  return `${what} failed (exit code ${e.exitCode})${out ? `:\n${tail(out, lines)}` : ""}`;
}

/** Runs `fn`; an exec failure becomes an Error whose message is the tool's output. Other errors pass through. */
export async function execFailure<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isExecLike(e)) throw new Error(execMessage(what, e), { cause: e });
    throw e;
  }
}
