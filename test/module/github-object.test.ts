/**
 * The `Github` object (reached through `Wva.github`) against the fake engine and a fake GitHub:
 * config read from the source tree, the event read from a File, the token read from the Secret
 * only when a request goes out, and update-docs driving Dagger's LLM API.
 */
import { readFileSync } from "node:fs";
import { dag, type Directory, type File } from "@dagger.io/dagger";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Wva } from "../../dagger/src/index.js";
import type { Github } from "../../dagger/src/github.js";
import { withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";
import { FakeGitHub } from "./github-fake-api.js";
import { upstreamCopy } from "../upstream.js";

const TOKEN = "ghp_objectTestToken5555555555";
const R = "/repos/acme/wva";
const SHA = "abcdef0123456789abcdef0123456789abcdef01";
const repoFile = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), "utf8");

function source(files: Record<string, string>): Directory {
  return Object.entries(files).reduce((d, [path, contents]) => d.withNewFile(path, contents), dag.directory());
}
const eventFile = (payload: unknown): File => dag.directory().withNewFile("event.json", JSON.stringify(payload)).file("event.json");
const github = (url: string): Github =>
  new Wva(source({ ".prowlabels.yaml": repoFile(".prowlabels.yaml"), ".github/labeler.yaml": repoFile(".github/labeler.yaml") })).github(
    dag.setSecret("github-token", TOKEN),
    "acme/wva",
    url,
  );

/** The fake engine answers `plaintext` of a secret made with setSecret, as a real one would. */
const secrets = (e: FakeEngine) =>
  e.on((path: Step[]) => (path.at(-1)!.name === "plaintext" ? path.find((s) => s.name === "setSecret")?.args.plaintext : undefined));

/** The token reaches the engine only in setSecret and leaves it only through `plaintext`. */
function expectTokenOnlyReadAsPlaintext(engine: FakeEngine, requests: number) {
  const withToken = engine.queries.filter((q) => q.includes(TOKEN));
  expect(withToken).toHaveLength(requests);
  for (const q of withToken) expect(q).toMatch(/^\s*(query\s*)?\{\s*setSecret\s*\(name:\s*"github-token",\s*plaintext:\s*"[^"]+"\)\s*\{\s*plaintext\s*\}\s*\}\s*$/);
  // Read once per HTTP request, at the moment it is sent.
  expect(engine.chainsWith("plaintext")).toHaveLength(requests);
}

let gh: FakeGitHub;
beforeEach(async () => {
  gh = new FakeGitHub();
  await gh.start();
});
afterEach(() => gh.close());

describe("Github through the fake engine", () => {
  it("prowCommands: labels from .prowlabels.yaml in the source, event from the File", async () => {
    gh.on(`GET ${R}/collaborators/alice/permission`, { permission: "read", role_name: "read" });
    const payload = {
      action: "created",
      issue: { number: 7, user: { login: "alice" }, labels: [], state: "open", pull_request: {} },
      comment: { user: { login: "alice" }, body: "/area chart\n/kind spaceship\n/lgtm" },
    };
    const { engine, result, error } = await withFakeEngine(() => github(gh.url).prowCommands(eventFile(payload)), secrets);
    expect(error).toBeUndefined();
    expect(gh.writes()).toEqual([
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["area/chart"] } },
      {
        call: `POST ${R}/issues/7/comments`,
        body: { body: expect.stringMatching(/unknown kind spaceship; allowed: bug, [\s\S]*cannot LGTM your own pull request/) },
      },
    ]);
    expect(result).toContain("add labels area/chart");
    gh.expectTokenOnlyInAuthorization(TOKEN, result);
    expectTokenOnlyReadAsPlaintext(engine, gh.requests.length);
  });

  it("labelIssue: needs-triage from .github/labeler.yaml", async () => {
    const payload = { action: "opened", issue: { number: 12, title: "Crash", body: "boom", labels: [] } };
    const { engine, result, error } = await withFakeEngine(() => github(gh.url).labelIssue(eventFile(payload)), secrets);
    expect(error).toBeUndefined();
    expect(result).toBe("#12: added needs-triage");
    expect(gh.calls()).toEqual([{ call: `POST ${R}/issues/12/labels`, body: { labels: ["needs-triage"] } }]);
    gh.expectTokenOnlyInAuthorization(TOKEN, result);
    expectTokenOnlyReadAsPlaintext(engine, 1);
  });

  it("labelIssue with WVA's own .github/labeler.yaml ('/.*/'): a new issue gets needs-triage", async () => {
    const wva = upstreamCopy();
    const payload = { action: "opened", issue: { number: 51, title: "HPA never scales past 1", body: "Seen on OpenShift 4.16.", labels: [] } };
    const { result, error } = await withFakeEngine(
      () =>
        new Wva(dag.host().directory(wva))
          .github(dag.setSecret("github-token", TOKEN), "llm-d/llm-d-workload-variant-autoscaler", gh.url)
          .labelIssue(eventFile(payload)),
      secrets,
    );
    expect(error).toBeUndefined();
    expect(result).toBe("#51: added needs-triage");
    expect(gh.calls()).toEqual([
      { call: "POST /repos/llm-d/llm-d-workload-variant-autoscaler/issues/51/labels", body: { labels: ["needs-triage"] } },
    ]);
  });

  it("prowCommands with WVA's own .prowlabels.yaml: its kind and priority labels, /area refused", async () => {
    const wva = upstreamCopy();
    const W = "/repos/llm-d/llm-d-workload-variant-autoscaler";
    gh.on(`GET ${W}/collaborators/bob/permission`, { permission: "write", role_name: "write" });
    const payload = {
      action: "created",
      issue: { number: 8, user: { login: "alice" }, labels: [], state: "open" },
      comment: { user: { login: "bob" }, body: "/kind security\n/priority p1\n/area chart" },
    };
    const { result, error } = await withFakeEngine(
      () =>
        new Wva(dag.host().directory(wva))
          .github(dag.setSecret("github-token", TOKEN), "llm-d/llm-d-workload-variant-autoscaler", gh.url)
          .prowCommands(eventFile(payload)),
      secrets,
    );
    expect(error).toBeUndefined();
    expect(gh.writes()).toEqual([
      { call: `POST ${W}/issues/8/labels`, body: { labels: ["kind/security"] } },
      { call: `POST ${W}/issues/8/labels`, body: { labels: ["priority/p1"] } },
      { call: `POST ${W}/issues/8/comments`, body: { body: expect.stringMatching(/this repository has no area labels/) } },
    ]);
    expect(result).toContain("kind/security");
  });

  it("removeLgtm and assignDocsPr read their events from the File", async () => {
    gh.on(`GET ${R}/pulls/31`, { number: 31, title: "x", state: "closed", user: { login: "carol" }, labels: [], head: { ref: "f", sha: SHA }, base: { ref: "main" } });
    const { engine, result, error } = await withFakeEngine(async () => {
      const g = github(gh.url);
      const a = await g.removeLgtm(eventFile({ action: "synchronize", pull_request: { number: 9, labels: [{ name: "lgtm" }] } }));
      const b = await g.assignDocsPr(
        eventFile({
          action: "opened",
          pull_request: { number: 40, title: "docs: update for #31", body: "", user: { login: "github-actions[bot]" }, assignees: [], labels: [], head: { ref: "docs/pr-31", sha: SHA }, base: { ref: "main" } },
        }),
      );
      return [a, b];
    }, secrets);
    expect(error).toBeUndefined();
    expect(result).toEqual(["#9: removed lgtm", "#40: assigned to carol (from #31)"]);
    expect(gh.writes().map((w) => w.call)).toEqual([
      `DELETE ${R}/issues/9/labels/lgtm`,
      `POST ${R}/issues/9/comments`,
      `POST ${R}/issues/40/assignees`,
      `POST ${R}/issues/40/comments`,
    ]);
    gh.expectTokenOnlyInAuthorization(TOKEN, result);
    expectTokenOnlyReadAsPlaintext(engine, gh.requests.length);
  });

  it("automerge rejects an unknown merge method before any request", async () => {
    const { engine, error } = await withFakeEngine(() => github(gh.url).automerge("fast-forward"), secrets);
    expect(String(error)).toMatch(/mergeMethod must be one of merge, squash, rebase/);
    expect(gh.requests).toEqual([]);
    expect(engine.chainsWith("plaintext")).toEqual([]);
  });

  it("a bad event file fails clearly, with no API call", async () => {
    const bad = dag.directory().withNewFile("event.json", "not json").file("event.json");
    const { error } = await withFakeEngine(() => github(gh.url).prowCommands(bad), secrets);
    expect(String(error)).toMatch(/event file is not JSON/);
    expect(gh.requests).toEqual([]);
  });
});

describe("updateDocs", () => {
  const push = {
    ref: "refs/heads/main",
    after: SHA,
    repository: { default_branch: "main" },
    commits: [{ message: "Scale on queue length\n\nlong text", added: ["internal/queue.go"], modified: ["cmd/main.go"], removed: [] }],
  };

  it("without a model: says so, asks no model, calls no API", async () => {
    const { engine, result, error } = await withFakeEngine(() => github(gh.url).updateDocs(eventFile(push), ""), secrets);
    expect(error).toBeUndefined();
    expect(result).toMatch(/^update-docs: no model configured .*nothing done$/);
    expect(gh.requests).toEqual([]);
    expect(engine.chainsWith("llm")).toEqual([]);
    expect(engine.chainsWith("plaintext")).toEqual([]);
  });

  /** The model's result: these paths changed, each file's new text derived from its path. */
  const modelResult = (changes: { added: string[]; modified: string[]; removed: string[] }) => (path: Step[]) => {
    if (!path.some((s) => s.name === "llm")) return undefined;
    const leaf = path.at(-1)!;
    if (leaf.name === "addedPaths") return changes.added;
    if (leaf.name === "modifiedPaths") return changes.modified;
    if (leaf.name === "removedPaths") return changes.removed;
    if (leaf.name === "contents") return `new text of ${path.at(-2)!.args.path}\n`;
    return undefined;
  };

  it("with a model: runs the LLM on the source and opens a draft PR with only the docs edits", async () => {
    gh.on(`GET ${R}/commits/${SHA}/pulls`, [{ number: 31, merged_at: "2026-01-01T00:00:00Z" }])
      .on(`POST ${R}/git/trees`, { sha: "tree-sha" })
      .on(`POST ${R}/git/commits`, { sha: "commit-sha" })
      .on(`POST ${R}/git/refs`, { ref: "refs/heads/docs/pr-31" })
      .on(`POST ${R}/pulls`, { number: 44 });
    const { engine, result, error } = await withFakeEngine(
      () => github(gh.url).updateDocs(eventFile(push), "claude-sonnet-4-5"),
      (e) => {
        secrets(e);
        e.on(modelResult({ added: ["docs/queue.md", "docs/"], modified: ["README.md", "cmd/main.go"], removed: ["docs/old.md"] }));
      },
    );
    expect(error).toBeUndefined();
    expect(result).toBe(
      "update-docs: opened draft PR #44 (docs/pr-31) changing docs/queue.md, README.md, docs/old.md (dropped edits outside the docs: cmd/main.go)",
    );

    // The model, its prompt (with the pushed files and commit subject), and its env.
    const llm = engine.steps("llm");
    expect(llm.map((s) => s.args.model)).toContain("claude-sonnet-4-5");
    const prompt = engine.steps("withPrompt")[0].args.prompt as string;
    expect(prompt).toContain("- internal/queue.go");
    expect(prompt).toContain("- cmd/main.go");
    expect(prompt).toContain("- Scale on queue length");
    expect(prompt).not.toContain("long text");
    expect(engine.steps("withDirectoryInput")[0].args.name).toBe("source");
    expect(engine.steps("withDirectoryOutput")[0].args.name).toBe("updated");
    expect(engine.steps("output").map((s) => s.args.name)).toContain("updated");
    // The model's env never gets the token: no secret binding at all.
    expect(engine.queries.some((q) => /withSecretInput/.test(q))).toBe(false);

    expect(gh.calls()).toEqual([
      { call: `GET ${R}/commits/${SHA}/pulls` },
      {
        call: `POST ${R}/git/trees`,
        body: {
          base_tree: SHA,
          tree: [
            { path: "docs/queue.md", mode: "100644", type: "blob", content: "new text of docs/queue.md\n" },
            { path: "README.md", mode: "100644", type: "blob", content: "new text of README.md\n" },
            { path: "docs/old.md", mode: "100644", type: "blob", sha: null },
          ],
        },
      },
      { call: `POST ${R}/git/commits`, body: { message: expect.stringMatching(/^docs: update for #31\n/), tree: "tree-sha", parents: [SHA] } },
      { call: `POST ${R}/git/refs`, body: { ref: "refs/heads/docs/pr-31", sha: "commit-sha" } },
      {
        call: `POST ${R}/pulls`,
        body: { title: "docs: update for #31", head: "docs/pr-31", base: "main", body: expect.stringContaining("PR #31"), draft: true },
      },
    ]);
    gh.expectTokenOnlyInAuthorization(TOKEN, result);
    expectTokenOnlyReadAsPlaintext(engine, gh.requests.length);
  });

  it("opens nothing when the model changed no docs", async () => {
    gh.on(`GET ${R}/commits/${SHA}/pulls`, []);
    const { result, error } = await withFakeEngine(
      () => github(gh.url).updateDocs(eventFile(push), "gpt-4o"),
      (e) => {
        secrets(e);
        e.on(modelResult({ added: [], modified: ["cmd/main.go"], removed: [] }));
      },
    );
    expect(error).toBeUndefined();
    expect(result).toBe("update-docs: the docs are up to date (dropped edits outside the docs: cmd/main.go)");
    expect(gh.writes()).toEqual([]);
  });

  it("does nothing for a push to another branch", async () => {
    const { result } = await withFakeEngine(() => github(gh.url).updateDocs(eventFile({ ...push, ref: "refs/heads/dev" }), "gpt-4o"), secrets);
    expect(result).toBe("update-docs: push to refs/heads/dev, not main; nothing done");
    expect(gh.requests).toEqual([]);
  });
});
