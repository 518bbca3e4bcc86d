/**
 * The CLI tier: the real `dagger` binary (built by test/engine/build-engine.sh) on the local engine,
 * typing what users type, from git checkouts made the way a user has them, with the module's
 * default image references (the engine mirrors their registries to the local one, see
 * test/engine/README.md). Missing state is an error, never a skip: run `bash test/engine/up.sh` first.
 */
import { spawn, execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { elfMachine, engine } from "../engine/engine.js";

export { elfMachine };

/** The repository root. */
export const repo = fileURLToPath(new URL("../../", import.meta.url));

/** What one command did. */
export interface Run {
  /** The command as typed, for the log. */
  command: string;
  cwd: string;
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Every command this process ran, for the tier's summary. */
export const runs: Run[] = [];

/**
 * The environment the CLI gets: the caller's, plus the local engine (unix socket), the registry
 * login the CLI hands to the engine for pulls, and no telemetry, nag or update check.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    _EXPERIMENTAL_DAGGER_RUNNER_HOST: engine._EXPERIMENTAL_DAGGER_RUNNER_HOST,
    DOCKER_CONFIG: engine.DOCKER_CONFIG,
    DO_NOT_TRACK: "1",
    DAGGER_NO_NAG: "1",
    DAGGER_NO_UPDATE_CHECK: "1",
    ...extra,
  };
  // A non-TTY CLI prints plain progress, as in GitHub Actions; these would change that.
  delete env.DAGGER_PROGRESS;
  delete env.CLAUDECODE;
  delete env._EXPERIMENTAL_DAGGER_CLI_BIN;
  return env;
}

/** Runs `dagger <args>` in `cwd`; resolves with what it did (never rejects on a non-zero exit). */
export function dagger(args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  return runCommand(engine._EXPERIMENTAL_DAGGER_CLI_BIN, args, cwd, cliEnv(extraEnv), `dagger ${args.map(quote).join(" ")}`);
}

/**
 * Runs a workflow's `args:` line as dagger-for-github does: `dagger call <args>` through bash, so
 * that "$VARS" expand from the step's env.
 */
export function daggerCallLine(line: string, cwd: string, env: Record<string, string>): Promise<Run> {
  return runCommand("bash", ["-c", `exec "$DAGGER_BIN" call ${line}`], cwd, cliEnv({ ...env, DAGGER_BIN: engine._EXPERIMENTAL_DAGGER_CLI_BIN }), `dagger call ${line}`);
}

function runCommand(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, command: string): Promise<Run> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const run: Run = {
        command,
        cwd,
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        seconds: (performance.now() - start) / 1000,
      };
      runs.push(run);
      console.log(`$ ${run.command}   (in ${cwd}) → exit ${run.code} in ${run.seconds.toFixed(1)}s`);
      resolve(run);
    });
  });
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, "\\$1")}"`);

/** The last `n` lines of a run's output, for assertion messages. */
export function tail(run: Run, n = 40): string {
  return `${run.command} → exit ${run.code}\n${`${run.stdout}\n${run.stderr}`.trim().split("\n").slice(-n).join("\n")}`;
}

/** A fresh scratch directory (under $TMPDIR) for this test file. */
export function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `wva-cli-${name}-`));
}

/**
 * Makes `dir` a git checkout of what `fill(dir)` put there: one commit on main, as a user's clone
 * has it (the module's `defaultPath: "/"` is the repository root, and .gitignore'd files stay out).
 */
export function gitCheckout(dir: string, fill: (dir: string) => void): string {
  mkdirSync(dir, { recursive: true });
  fill(dir);
  const git = (...a: string[]) =>
    execFileSync("git", ["-c", "user.name=wva-cli", "-c", "user.email=wva-cli@example.com", "-c", "init.defaultBranch=main", ...a], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    }).toString();
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "checkout");
  return git("rev-parse", "HEAD").trim();
}

/** The project's files as a clone has them: tracked and untracked-but-not-ignored, none of .gitignore's. */
export function projectFiles(): string[] {
  return execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: repo })
    .toString()
    .split("\0")
    .filter((f) => f && f !== "node_modules"); // a worktree's node_modules symlink (node_modules/ ignores directories only)
}

/** Copies the project's files (a clone of this repository) into `dir`. */
export function copyProject(dir: string): void {
  for (const f of projectFiles()) copyFile(join(repo, f), join(dir, f));
}

/** Installs this module into a repository at `dir`, as its `dagger/` module (dagger.json at the root). */
export function installModule(dir: string): void {
  for (const f of projectFiles().filter((f) => f === "dagger.json" || f.startsWith("dagger/"))) {
    copyFile(join(repo, f), join(dir, f));
  }
}

function copyFile(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { preserveTimestamps: true, verbatimSymlinks: true });
}

/** Runs an exported binary (made executable) with `args`. */
export function runBinary(path: string, args: string[]): string {
  chmodSync(path, 0o755);
  return execFileSync(path, args, { encoding: "utf8" });
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
