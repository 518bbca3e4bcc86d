/**
 * A fake Dagger engine on loopback. The SDK connects to it through DAGGER_SESSION_PORT/TOKEN as it
 * would to a real session; every GraphQL query is parsed, recorded and answered by mirroring its
 * selection with plausible leaves. Tests then assert on what the module asked the engine to do.
 *
 * Leaves are answered, in order, by the test's resolvers, then by a small virtual filesystem
 * (`withNewFile` contents, host directories mapped to real folders), then by defaults.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  Kind,
  parse,
  valueFromASTUntyped,
  type FieldNode,
  type SelectionSetNode,
} from "graphql";
import { connection } from "@dagger.io/dagger";

/** One field of a query chain with its arguments, e.g. `withExec(args: [...])`. */
export interface Step {
  name: string;
  args: Record<string, any>;
}

/** Answers a leaf given the chain that leads to it (last step is the leaf); undefined = no opinion. */
export type Resolver = (path: Step[]) => unknown;

/** Marker a resolver returns to make the engine answer with a GraphQL error. */
export class FakeError {
  constructor(
    readonly message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {}
}

export class FakeEngine {
  /** Every query text, in order. */
  readonly queries: string[] = [];
  /** Every leaf chain the module resolved, in order. */
  readonly chains: Step[][] = [];
  readonly token = "fake-session-token";
  private server?: http.Server;
  private resolvers: Resolver[] = [];
  private latencies: ((path: Step[]) => number)[] = [];
  private origins = new Map<string, Step[]>();
  private seq = 0;

  /** Adds a resolver consulted before the defaults (most recent first). */
  on(resolver: Resolver): this {
    this.resolvers.unshift(resolver);
    return this;
  }

  /** Delays answers: a query waits for the largest latency any of its leaves asks for (ms). */
  latency(fn: (path: Step[]) => number): this {
    this.latencies.push(fn);
    return this;
  }

  /** The chain an object ID was minted for (e.g. which `cacheVolume(key:)` a mounted cache is). */
  origin(id: string): Step[] | undefined {
    return this.origins.get(id);
  }

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        try {
          const { query, variables } = JSON.parse(body);
          this.queries.push(query);
          const before = this.chains.length;
          const answer = JSON.stringify(this.answer(query, variables ?? {}));
          const delay = Math.max(0, ...this.chains.slice(before).flatMap((c) => this.latencies.map((l) => l(c))));
          setTimeout(() => res.end(answer), delay);
        } catch (e) {
          res.end(JSON.stringify({ errors: [{ message: String(e) }] }));
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Runs `fn` with the global `dag` connected to this fake engine. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const port = await this.start();
    const saved = { p: process.env.DAGGER_SESSION_PORT, t: process.env.DAGGER_SESSION_TOKEN };
    process.env.DAGGER_SESSION_PORT = String(port);
    process.env.DAGGER_SESSION_TOKEN = this.token;
    let out!: T;
    try {
      await connection(async () => {
        out = await fn();
      });
    } finally {
      restoreEnv("DAGGER_SESSION_PORT", saved.p);
      restoreEnv("DAGGER_SESSION_TOKEN", saved.t);
      await this.close();
    }
    return out;
  }

  /** Every step with this name across all recorded chains (deduplicated by chain identity). */
  steps(name: string): Step[] {
    const seen = new Set<string>();
    const out: Step[] = [];
    for (const chain of this.chains) {
      chain.forEach((s, i) => {
        if (s.name !== name) return;
        const key = JSON.stringify(chain.slice(0, i + 1));
        if (!seen.has(key)) {
          seen.add(key);
          out.push(s);
        }
      });
    }
    return out;
  }

  /** Argument lists of every `withExec` the module sent. */
  execs(): string[][] {
    return this.steps("withExec").map((s) => s.args.args as string[]);
  }

  /** Chains that contain a step with this name, e.g. all chains that reach `publish`. */
  chainsWith(name: string): Step[][] {
    return this.chains.filter((c) => c.some((s) => s.name === name));
  }

  private answer(query: string, variables: Record<string, unknown>) {
    const doc = parse(query);
    const errors: { message: string; path: string[]; extensions?: Record<string, unknown> }[] = [];
    const data: Record<string, unknown> = {};
    for (const def of doc.definitions) {
      if (def.kind !== Kind.OPERATION_DEFINITION) continue;
      Object.assign(data, this.select(def.selectionSet, [], variables, errors, []));
    }
    return errors.length ? { data: null, errors } : { data };
  }

  private select(
    set: SelectionSetNode,
    chain: Step[],
    vars: Record<string, unknown>,
    errors: { message: string; path: string[]; extensions?: Record<string, unknown> }[],
    gqlPath: string[],
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        Object.assign(out, this.select(sel.selectionSet, chain, vars, errors, gqlPath));
        continue;
      }
      if (sel.kind !== Kind.FIELD) continue;
      const f = sel as FieldNode;
      const args: Record<string, any> = {};
      for (const a of f.arguments ?? []) args[a.name.value] = valueFromASTUntyped(a.value, vars);
      const step = { name: f.name.value, args };
      // An object loaded back by ID continues the chain it was minted from.
      const loaded = (step.name === "node" || /^load\w+FromID$/.test(step.name)) && this.origins.get(args.id);
      const next = loaded ? [...loaded] : [...chain, step];
      const key = f.alias?.value ?? f.name.value;
      if (f.selectionSet && LIST_OF_OBJECTS.has(f.name.value)) {
        this.chains.push(next);
        out[key] = []; // e.g. a built image's labels: none
        continue;
      }
      if (f.selectionSet) {
        out[key] = this.select(f.selectionSet, next, vars, errors, [...gqlPath, key]);
        continue;
      }
      this.chains.push(next);
      const v = this.leaf(next);
      if (v instanceof FakeError) {
        errors.push({ message: v.message, path: [...gqlPath, key], extensions: v.extensions });
        out[key] = null;
      } else out[key] = v;
    }
    return out;
  }

  private leaf(path: Step[]): unknown {
    for (const r of this.resolvers) {
      const v = r(path);
      if (v !== undefined) return v;
    }
    const fsv = virtualFs(path);
    if (fsv !== undefined) return fsv;
    const leaf = path[path.length - 1];
    switch (leaf.name) {
      case "id":
      case "sync": {
        const id = `fake-id-${++this.seq}`;
        this.origins.set(id, path.slice(0, -1));
        return id;
      }
      case "publish":
        return `${leaf.args.address}@sha256:${"ab".repeat(32)}`;
      case "exitCode":
        return 0;
      case "exists":
      case "isEmpty":
        return false;
      case "entries":
      case "glob":
      case "addedPaths":
      case "modifiedPaths":
      case "removedPaths":
        return [];
      case "export":
        return leaf.args.path ?? "";
      case "defaultPlatform":
      case "platform":
        return "linux/amd64";
      case "size":
        return 1;
      default:
        return "";
    }
  }
}

/** Fields that return a list of objects; the fake answers them with an empty list. */
const LIST_OF_OBJECTS = new Set(["labels", "envVariables", "exposedPorts"]);

function restoreEnv(name: string, value: string | undefined) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/**
 * A tiny model of directories: `directory.withNewFile(...)` chains and `host.directory(path)`
 * folders answer `file(path).contents`, `exists` and `entries`/`glob` as a real engine would.
 */
function virtualFs(path: Step[]): unknown {
  const leaf = path[path.length - 1];
  if (!["contents", "exists", "entries", "glob"].includes(leaf.name)) return undefined;
  const parent = path[path.length - 2];
  let target: string;
  let dirChain: Step[];
  if (leaf.name === "contents" && parent?.name === "file") {
    target = parent.args.path;
    dirChain = path.slice(0, -2);
  } else if (leaf.name === "exists") {
    target = leaf.args.path;
    dirChain = path.slice(0, -1);
  } else if (leaf.name === "entries" || leaf.name === "glob") {
    target = "";
    dirChain = path.slice(0, -1);
  } else return undefined;

  const files = new Map<string, string>();
  let hostDir: string | undefined;
  for (const s of dirChain) {
    if (s.name === "directory" && dirChain[0]?.name === "host" && s === dirChain[1]) hostDir = s.args.path;
    if (s.name === "withNewFile") files.set(norm(s.args.path), s.args.contents ?? "");
    if (s.name === "withoutFile") files.delete(norm(s.args.path));
  }
  if (!hostDir && files.size === 0) return undefined;
  const t = norm(target);
  if (leaf.name === "contents") {
    if (files.has(t)) return files.get(t);
    if (hostDir && existsSync(join(hostDir, t))) return readFileSync(join(hostDir, t), "utf8");
    return new FakeError(`lstat ${t}: no such file or directory`);
  }
  if (leaf.name === "exists") {
    return files.has(t) || [...files.keys()].some((k) => k.startsWith(t + "/")) || (!!hostDir && existsSync(join(hostDir, t)));
  }
  const names = new Set<string>([...files.keys()].map((k) => k.split("/")[0]));
  if (hostDir && statSync(hostDir).isDirectory()) for (const n of readdirSync(hostDir)) names.add(n);
  if (leaf.name === "glob") {
    const re = globRe(leaf.args.pattern);
    const all = [...files.keys()];
    if (hostDir) all.push(...walk(hostDir));
    return [...new Set(all)].filter((p) => re.test(p)).sort();
  }
  return [...names].sort();
}

function norm(p: string): string {
  return p.replace(/^\.?\//, "").replace(/\/$/, "");
}

function walk(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(root, rel))) {
    const r = rel ? `${rel}/${n}` : n;
    if (statSync(join(root, r)).isDirectory()) out.push(...walk(root, r));
    else out.push(r);
  }
  return out;
}

function globRe(pattern: string): RegExp {
  const src = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*\*\//g, "\u0000")
    .replace(/\*\*/g, ".*")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]")
    .replace(/\u0000/g, "(?:.*/)?");
  return new RegExp(`^${src}$`);
}

/** Starts a fresh fake engine, runs `fn` connected to it, and returns the engine and the result. */
export async function withFakeEngine<T>(
  fn: () => Promise<T>,
  setup?: (e: FakeEngine) => void,
): Promise<{ engine: FakeEngine; result?: T; error?: unknown }> {
  const engine = new FakeEngine();
  setup?.(engine);
  try {
    const result = await engine.run(fn);
    return { engine, result };
  } catch (error) {
    return { engine, error };
  }
}
