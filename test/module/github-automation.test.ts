/**
 * Labeler, auto-merge, LGTM removal and docs-PR assignment against a fake GitHub on loopback:
 * the exact requests each one makes, and the token only ever in the Authorization header.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  assignDocsPrs,
  automerge,
  labelIssue,
  parseLabelerConfig,
  removeLgtm,
} from "../../dagger/src/lib/automation.js";
import { GitHubApiError, GitHubClient, type GhPull } from "../../dagger/src/lib/github-api.js";
import { FakeGitHub } from "./github-fake-api.js";

const TOKEN = "ghs_automationToken9876543210";
const R = "/repos/acme/wva";
const SHA = "1111111111111111111111111111111111111111";
const green = { state: "success", total_count: 1, statuses: [{ context: "dco", state: "success" }] };
const noStatuses = { state: "pending", total_count: 0, statuses: [] };

function pull(n: number, over: Partial<GhPull> = {}): GhPull {
  return {
    number: n,
    title: `change ${n}`,
    body: "",
    state: "open",
    draft: false,
    user: { login: "alice" },
    labels: [{ name: "lgtm" }, { name: "approved" }],
    assignees: [],
    head: { ref: `feature-${n}`, sha: SHA.replace(/1/g, String(n % 10)) },
    base: { ref: "main" },
    ...over,
  };
}

let gh: FakeGitHub;
let client: GitHubClient;
beforeEach(async () => {
  gh = new FakeGitHub();
  await gh.start();
  client = new GitHubClient("acme/wva", async () => TOKEN, gh.url);
});
afterEach(() => gh.close());

describe("labeler", () => {
  const config = parseLabelerConfig(readFileSync(new URL("../../.github/labeler.yaml", import.meta.url), "utf8"));

  it("adds needs-triage to a new issue", async () => {
    const out = await labelIssue(client, { action: "opened", issue: { number: 12, title: "Crash", body: null, labels: [] } }, config);
    expect(out).toBe("#12: added needs-triage");
    expect(gh.calls()).toEqual([{ call: `POST ${R}/issues/12/labels`, body: { labels: ["needs-triage"] } }]);
    gh.expectTokenOnlyInAuthorization(TOKEN, out);
  });

  it("does nothing when the issue already has the label, or for another event", async () => {
    await labelIssue(client, { action: "opened", issue: { number: 12, title: "x", body: "", labels: [{ name: "needs-triage" }] } }, config);
    await labelIssue(client, { action: "edited", issue: { number: 12, title: "x", body: "", labels: [] } }, config);
    expect(gh.requests).toEqual([]);
  });

  it("applies only the labels whose expressions match", async () => {
    // issue-labeler's forms: /regex/flags (here case-insensitive), and a plain, case-sensitive regex.
    const cfg = parseLabelerConfig("needs-triage: ['/.*/']\nkind/bug:\n  - '/crash|panic/i'\narea/chart: Helm\n");
    await labelIssue(client, { action: "opened", issue: { number: 3, title: "Panic on start", body: "the helm chart", labels: [] } }, cfg);
    expect(gh.calls()).toEqual([{ call: `POST ${R}/issues/3/labels`, body: { labels: ["needs-triage", "kind/bug"] } }]);
    expect(() => parseLabelerConfig("kind/bug: '(unclosed'")).toThrow(/labeler.yaml: kind\/bug: Invalid regular expression/);
  });
});

describe("auto-merge", () => {
  const list = `GET ${R}/issues?state=open&labels=lgtm%2Capproved&per_page=100`;

  it("merges a PR with lgtm, approved and green checks, naming the head SHA", async () => {
    const pr = pull(5);
    gh.on(list, [{ number: 5, pull_request: {} }, { number: 6 /* an issue, not a PR */ }])
      .on(`GET ${R}/pulls/5`, pr)
      .on(`GET ${R}/commits/${pr.head.sha}/status`, green)
      .on(`GET ${R}/commits/${pr.head.sha}/check-runs?per_page=100`, {
        check_runs: [
          { name: "checks", status: "completed", conclusion: "success" },
          { name: "optional", status: "completed", conclusion: "skipped" },
        ],
      });
    const out = await automerge(client, "squash");
    expect(out).toEqual([`#5 merged (squash) at ${pr.head.sha.slice(0, 7)}`]);
    expect(gh.writes()).toEqual([{ call: `PUT ${R}/pulls/5/merge`, body: { sha: pr.head.sha, merge_method: "squash" } }]);
    gh.expectTokenOnlyInAuthorization(TOKEN, out);
  });

  it("leaves held, draft, failing and pending PRs alone and says why", async () => {
    const held = pull(1, { labels: [{ name: "lgtm" }, { name: "approved" }, { name: "do-not-merge/hold" }] });
    const draft = pull(2, { draft: true });
    const failing = pull(3);
    const pending = pull(4);
    gh.on(list, [1, 2, 3, 4].map((number) => ({ number, pull_request: {} })));
    for (const p of [held, draft, failing, pending]) gh.on(`GET ${R}/pulls/${p.number}`, p);
    for (const p of [held, draft, pending]) gh.on(`GET ${R}/commits/${p.head.sha}/status`, noStatuses);
    gh.on(`GET ${R}/commits/${failing.head.sha}/status`, { state: "failure", total_count: 1, statuses: [{ context: "dco", state: "failure" }] });
    for (const p of [held, draft, failing]) gh.on(`GET ${R}/commits/${p.head.sha}/check-runs?per_page=100`, { check_runs: [] });
    gh.on(`GET ${R}/commits/${pending.head.sha}/check-runs?per_page=100`, {
      check_runs: [{ name: "e2e", status: "in_progress", conclusion: null }, { name: "lint", status: "completed", conclusion: "failure" }],
    });
    const out = await automerge(client, "squash");
    expect(out).toEqual([
      "#1 waits: label do-not-merge/hold",
      "#2 waits: draft",
      "#3 waits: status failure (dco failure)",
      "#4 waits: check e2e in_progress; check lint failure",
    ]);
    expect(gh.writes()).toEqual([]);
  });

  it("makes no merge when no PR carries both labels", async () => {
    gh.on(list, []);
    expect(await automerge(client)).toEqual(["no open pull request has both lgtm and approved"]);
    expect(gh.writes()).toEqual([]);
  });

  it("fails with the API's message, never the token, when the merge is refused", async () => {
    const pr = pull(5);
    gh.on(list, [{ number: 5, pull_request: {} }])
      .on(`GET ${R}/pulls/5`, pr)
      .on(`GET ${R}/commits/${pr.head.sha}/status`, green)
      .on(`GET ${R}/commits/${pr.head.sha}/check-runs?per_page=100`, { check_runs: [] })
      .on(`PUT ${R}/pulls/5/merge`, { status: 409, json: { message: "Head branch was modified" } });
    const err = await automerge(client).catch((e) => e);
    expect(err).toBeInstanceOf(GitHubApiError);
    expect(err.message).toBe(`GitHub API PUT ${R}/pulls/5/merge failed: 409 Head branch was modified`);
    gh.expectTokenOnlyInAuthorization(TOKEN, err);
  });
});

describe("LGTM removal on new commits", () => {
  it("removes lgtm and explains in a comment", async () => {
    const out = await removeLgtm(client, { action: "synchronize", pull_request: { number: 9, labels: [{ name: "lgtm" }, { name: "approved" }] } });
    expect(out).toBe("#9: removed lgtm");
    expect(gh.calls()).toEqual([
      { call: `DELETE ${R}/issues/9/labels/lgtm` },
      { call: `POST ${R}/issues/9/comments`, body: { body: expect.stringContaining("New commits were pushed after the LGTM") } },
    ]);
    gh.expectTokenOnlyInAuthorization(TOKEN, out);
  });

  it("does nothing without lgtm or for another action", async () => {
    expect(await removeLgtm(client, { action: "synchronize", pull_request: { number: 9, labels: [{ name: "approved" }] } })).toBe("#9: no lgtm label");
    expect(await removeLgtm(client, { action: "opened", pull_request: { number: 9, labels: [{ name: "lgtm" }] } })).toMatch(/nothing to do/);
    expect(gh.requests).toEqual([]);
  });
});

describe("docs PR assignment", () => {
  const bot = { login: "github-actions[bot]" };

  it("assigns to the author of the PR named in the body, with attribution", async () => {
    const docs = pull(40, { title: "docs: update for #31", user: bot, body: "Follows the changes of PR #31 (commit abc1234).", head: { ref: "docs/pr-31", sha: SHA } });
    gh.on(`GET ${R}/pulls/31`, pull(31, { user: { login: "carol" } }));
    const out = await assignDocsPrs(client, { action: "opened", pull_request: docs });
    expect(out).toEqual(["#40: assigned to carol (from #31)"]);
    expect(gh.writes()).toEqual([
      { call: `POST ${R}/issues/40/assignees`, body: { assignees: ["carol"] } },
      { call: `POST ${R}/issues/40/comments`, body: { body: expect.stringMatching(/^Assigned to @carol, the author of #31: it documents #31/) } },
    ]);
    gh.expectTokenOnlyInAuthorization(TOKEN, out);
  });

  it("falls back to the branch name, then to the most recently merged PR", async () => {
    const byBranch = pull(41, { title: "docs: sync", user: bot, body: "no reference here", head: { ref: "docs/pr-32", sha: SHA } });
    gh.on(`GET ${R}/pulls/32`, pull(32, { user: { login: "dave" } }));
    expect(await assignDocsPrs(client, { pull_request: byBranch })).toEqual(["#41: assigned to dave (from #32)"]);

    const orphan = pull(42, { title: "docs: sync", user: bot, body: "", head: { ref: "docs/sync-abc1234", sha: SHA } });
    gh.on(`GET ${R}/pulls?state=closed&sort=updated&direction=desc&per_page=30`, [
      pull(30, { state: "closed", merged_at: null, user: { login: "closed-unmerged" } }),
      pull(28, { state: "closed", merged_at: "2026-01-01T10:00:00Z", user: { login: "older" } }),
      pull(29, { state: "closed", merged_at: "2026-01-02T10:00:00Z", user: { login: "erin" } }),
    ]);
    expect(await assignDocsPrs(client, { pull_request: orphan })).toEqual(["#42: assigned to erin (from #29)"]);
    expect(gh.writes().at(-1)).toEqual({
      call: `POST ${R}/issues/42/comments`,
      body: { body: expect.stringContaining("names no PR, so it is attributed to the most recently merged one, #29") },
    });
  });

  it("leaves non-docs PRs, PRs by people and assigned PRs alone", async () => {
    const out = [
      ...(await assignDocsPrs(client, { pull_request: pull(1, { title: "fix: x", user: bot }) })),
      ...(await assignDocsPrs(client, { pull_request: pull(2, { title: "docs: typo", user: { login: "alice" } }) })),
      ...(await assignDocsPrs(client, { pull_request: pull(3, { title: "docs: y", user: bot, assignees: [{ login: "z" }] }) })),
    ];
    expect(out).toEqual([
      "#1: not a docs: PR opened by github-actions[bot], left alone",
      "#2: not a docs: PR opened by github-actions[bot], left alone",
      "#3: already assigned",
    ]);
    expect(gh.requests).toEqual([]);
  });

  it("takes a dispatch input, or sweeps open unassigned docs PRs", async () => {
    gh.on(`GET ${R}/pulls/50`, pull(50, { title: "docs: a", user: bot, body: "see #31" }))
      .on(`GET ${R}/pulls/31`, pull(31, { user: { login: "carol" } }))
      .on(`GET ${R}/pulls?state=open&per_page=100`, [
        pull(51, { title: "docs: b", user: bot, body: "https://github.com/acme/wva/pull/31" }),
        pull(52, { title: "feat: not docs", user: bot }),
      ]);
    expect(await assignDocsPrs(client, { inputs: { docs_pr_number: "50" } })).toEqual(["#50: assigned to carol (from #31)"]);
    expect(await assignDocsPrs(client, { workflow_run: {} })).toEqual(["#51: assigned to carol (from #31)"]);
    await expect(assignDocsPrs(client, { inputs: { docs_pr_number: "5; rm -rf /" } })).rejects.toThrow(/must be a PR number/);
    expect(gh.writes().map((w) => w.call)).toEqual([
      `POST ${R}/issues/50/assignees`,
      `POST ${R}/issues/50/comments`,
      `POST ${R}/issues/51/assignees`,
      `POST ${R}/issues/51/comments`,
    ]);
  });
});
