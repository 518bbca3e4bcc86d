/**
 * Comments → parsed commands → GitHub API calls, through the real client against a fake GitHub
 * on loopback: the exact writes for each comment, including malformed and unauthorized ones.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubClient } from "../../dagger/src/lib/github-api.js";
import { parseCommands, parseProwLabels, runProw, type Command, type ProwEvent } from "../../dagger/src/lib/prow.js";
import { FakeGitHub } from "./github-fake-api.js";

const TOKEN = "ghs_prowTestToken0123456789";
const R = "/repos/acme/wva";
const config = parseProwLabels(readFileSync(new URL("../../.prowlabels.yaml", import.meta.url), "utf8"));
const ROLES: Record<string, string> = {
  alice: "read", // the PR author
  bob: "write",
  maya: "maintain",
  tess: "triage",
  mallory: "read",
  nobody: "none",
};

/** A compact view of a parsed command, e.g. `lgtm cancel`, `label add area chart`. */
function show(c: Command): string {
  switch (c.name) {
    case "assign":
    case "unassign":
    case "cc":
    case "uncc":
      return [c.name, ...c.users].join(" ");
    case "approve":
    case "lgtm":
    case "hold":
      return c.cancel ? `${c.name} cancel` : c.name;
    case "retitle":
      return `retitle ${c.title}`;
    case "label":
      return `label ${c.op} ${c.kind} ${c.values.join(" ")}`;
    case "remove":
      return `remove ${c.labels.join(" ")}`;
    case "milestone":
      return `milestone ${c.title ?? "clear"}`;
    default:
      return c.name;
  }
}

interface Case {
  name: string;
  comment: string;
  by: string;
  pr?: boolean;
  labels?: string[];
  parsed: string[];
  errors?: number;
  writes: { call: string; body?: unknown }[];
}

const refused = (...reasons: string[]) => ({
  call: `POST ${R}/issues/7/comments`,
  body: { body: expect.stringMatching(new RegExp(reasons.map(esc).join("[\\s\\S]*"))) },
});
function esc(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const cases: Case[] = [
  { name: "lgtm by a writer", comment: "/lgtm", by: "bob", parsed: ["lgtm"], writes: [{ call: `POST ${R}/issues/7/labels`, body: { labels: ["lgtm"] } }] },
  { name: "lgtm by the author is refused", comment: "/lgtm", by: "alice", parsed: ["lgtm"], writes: [refused("@alice", "/lgtm", "cannot LGTM your own pull request")] },
  { name: "lgtm by a reader is refused", comment: "/lgtm", by: "mallory", parsed: ["lgtm"], writes: [refused("/lgtm", "only collaborators with write access may LGTM")] },
  { name: "lgtm by a non-collaborator is refused", comment: "/lgtm", by: "nobody", parsed: ["lgtm"], writes: [refused("only collaborators with write access may LGTM")] },
  { name: "lgtm already there: no write", comment: "/lgtm", by: "bob", labels: ["lgtm"], parsed: ["lgtm"], writes: [] },
  { name: "lgtm cancel by the author", comment: "/lgtm cancel", by: "alice", labels: ["lgtm"], parsed: ["lgtm cancel"], writes: [{ call: `DELETE ${R}/issues/7/labels/lgtm` }] },
  { name: "approve by a maintainer", comment: "/approve", by: "maya", parsed: ["approve"], writes: [{ call: `POST ${R}/issues/7/labels`, body: { labels: ["approved"] } }] },
  { name: "approve by a triager is refused", comment: "/approve", by: "tess", parsed: ["approve"], writes: [refused("/approve", "only collaborators with write access may approve")] },
  { name: "approve cancel", comment: "/approve cancel", by: "bob", labels: ["approved"], parsed: ["approve cancel"], writes: [{ call: `DELETE ${R}/issues/7/labels/approved` }] },
  { name: "approve on an issue is refused", comment: "/approve", by: "bob", pr: false, parsed: ["approve"], writes: [refused("works on pull requests only")] },
  { name: "assign self, anyone", comment: "/assign", by: "nobody", parsed: ["assign"], writes: [{ call: `POST ${R}/issues/7/assignees`, body: { assignees: ["nobody"] } }] },
  { name: "assign someone else without triage is refused", comment: "/assign @carol", by: "mallory", parsed: ["assign carol"], writes: [refused("/assign @carol", "assign others")] },
  { name: "assign two users by a triager", comment: "/assign @carol dave", by: "tess", parsed: ["assign carol dave"], writes: [{ call: `POST ${R}/issues/7/assignees`, body: { assignees: ["carol", "dave"] } }] },
  { name: "unassign self", comment: "/unassign", by: "mallory", parsed: ["unassign"], writes: [{ call: `DELETE ${R}/issues/7/assignees`, body: { assignees: ["mallory"] } }] },
  { name: "retitle by the author", comment: "/retitle Scale on queue length too", by: "alice", parsed: ["retitle Scale on queue length too"], writes: [{ call: `PATCH ${R}/issues/7`, body: { title: "Scale on queue length too" } }] },
  { name: "retitle by a stranger is refused", comment: "/retitle hacked", by: "mallory", parsed: ["retitle hacked"], writes: [refused("may retitle")] },
  { name: "retitle without a title is malformed", comment: "/retitle", by: "alice", parsed: [], errors: 1, writes: [refused("`/retitle`", "give the new title")] },
  {
    name: "area and kind in one comment",
    comment: "Thanks!\n/area chart\n/kind bug",
    by: "alice",
    parsed: ["label add area chart", "label add kind bug"],
    writes: [
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["area/chart"] } },
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["kind/bug"] } },
    ],
  },
  { name: "area not in .prowlabels.yaml is refused", comment: "/area frontend", by: "alice", parsed: ["label add area frontend"], writes: [refused("unknown area frontend", "allowed: controller")] },
  {
    name: "priority replaces the previous one",
    comment: "/priority backlog",
    by: "tess",
    labels: ["priority/important-soon", "kind/bug"],
    parsed: ["label add priority backlog"],
    writes: [
      { call: `DELETE ${R}/issues/7/labels/priority%2Fimportant-soon` },
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["priority/backlog"] } },
    ],
  },
  { name: "two priorities are malformed", comment: "/priority backlog important-soon", by: "tess", parsed: [], errors: 1, writes: [refused("give one priority")] },
  { name: "remove-kind", comment: "/remove-kind bug", by: "alice", labels: ["kind/bug"], parsed: ["label remove kind bug"], writes: [{ call: `DELETE ${R}/issues/7/labels/kind%2Fbug` }] },
  { name: "remove a label by a triager", comment: "/remove area/chart", by: "tess", labels: ["area/chart"], parsed: ["remove area/chart"], writes: [{ call: `DELETE ${R}/issues/7/labels/area%2Fchart` }] },
  { name: "remove lgtm needs write", comment: "/remove lgtm", by: "alice", labels: ["lgtm"], parsed: ["remove lgtm"], writes: [refused("removing lgtm needs write access")] },
  { name: "close by the author", comment: "/close", by: "alice", parsed: ["close"], writes: [{ call: `PATCH ${R}/issues/7`, body: { state: "closed" } }] },
  { name: "reopen by a stranger is refused", comment: "/reopen", by: "mallory", parsed: ["reopen"], writes: [refused("may reopen")] },
  { name: "lock by a writer", comment: "/lock", by: "bob", parsed: ["lock"], writes: [{ call: `PUT ${R}/issues/7/lock` }] },
  { name: "lock by the author is refused", comment: "/lock", by: "alice", parsed: ["lock"], writes: [refused("may lock")] },
  { name: "milestone by title", comment: "/milestone v0.5", by: "bob", parsed: ["milestone v0.5"], writes: [{ call: `PATCH ${R}/issues/7`, body: { milestone: 3 } }] },
  { name: "milestone that does not exist", comment: "/milestone v9", by: "bob", parsed: ["milestone v9"], writes: [refused("set milestone v9 failed", 'no open milestone titled "v9"')] },
  { name: "milestone clear", comment: "/milestone clear", by: "bob", parsed: ["milestone clear"], writes: [{ call: `PATCH ${R}/issues/7`, body: { milestone: null } }] },
  { name: "hold by anyone", comment: "/hold", by: "mallory", parsed: ["hold"], writes: [{ call: `POST ${R}/issues/7/labels`, body: { labels: ["do-not-merge/hold"] } }] },
  { name: "hold cancel by a stranger is refused", comment: "/hold cancel", by: "mallory", labels: ["do-not-merge/hold"], parsed: ["hold cancel"], writes: [refused("cancel a hold")] },
  { name: "hold cancel by the author", comment: "/hold cancel", by: "alice", labels: ["do-not-merge/hold"], parsed: ["hold cancel"], writes: [{ call: `DELETE ${R}/issues/7/labels/do-not-merge%2Fhold` }] },
  { name: "cc a reviewer", comment: "/cc @carol", by: "mallory", parsed: ["cc carol"], writes: [{ call: `POST ${R}/pulls/7/requested_reviewers`, body: { reviewers: ["carol"] } }] },
  { name: "uncc self", comment: "/uncc", by: "carol", parsed: ["uncc"], writes: [{ call: `DELETE ${R}/pulls/7/requested_reviewers`, body: { reviewers: ["carol"] } }] },
  { name: "cc without a user is malformed", comment: "/cc", by: "bob", parsed: [], errors: 1, writes: [refused("name at least one reviewer")] },
  { name: "bad user name is malformed", comment: "/assign @bad_name!", by: "bob", parsed: [], errors: 1, writes: [refused("not a GitHub user name: bad_name!")] },
  { name: "lgtm with junk is malformed", comment: "/lgtm please", by: "bob", parsed: [], errors: 1, writes: [refused("expected `/lgtm` or `/lgtm cancel`")] },
  {
    name: "several commands, one refused",
    comment: "/LGTM\r\n/approve\n/area nope\n/hold",
    by: "bob",
    parsed: ["lgtm", "approve", "label add area nope", "hold"],
    writes: [
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["lgtm"] } },
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["approved"] } },
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["do-not-merge/hold"] } },
      refused("unknown area nope"),
    ],
  },
  { name: "commands in a fenced code block are ignored", comment: "Try:\n```\n/lgtm\n/approve\n```", by: "bob", parsed: [], writes: [] },
  { name: "commands in a quote are ignored", comment: "> /approve\nI disagree", by: "bob", parsed: [], writes: [] },
  { name: "indented code and HTML comments are ignored", comment: "    /lgtm\n<!--\n/approve\n-->", by: "bob", parsed: [], writes: [] },
  { name: "a command mid-sentence is not a command", comment: "Please /lgtm when ready", by: "bob", parsed: [], writes: [] },
  { name: "unknown slash words are ignored", comment: "/ok-to-test\n/foo bar", by: "bob", parsed: [], writes: [] },
];

describe("prow commands: comment → parse → API calls", () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = new FakeGitHub();
    for (const [u, role] of Object.entries(ROLES)) {
      gh.on(`GET ${R}/collaborators/${u}/permission`, { permission: role === "maintain" ? "write" : role, role_name: role });
    }
    gh.on(`GET ${R}/milestones?state=open&per_page=100`, [{ number: 3, title: "v0.5" }]);
    await gh.start();
  });
  afterEach(() => gh.close());

  it.each(cases)("$name", async (c) => {
    const parsed = parseCommands(c.comment);
    expect(parsed.commands.map(show)).toEqual(c.parsed);
    expect(parsed.errors).toHaveLength(c.errors ?? 0);

    const client = new GitHubClient("acme/wva", async () => TOKEN, gh.url);
    const ev: ProwEvent = { number: 7, isPR: c.pr ?? true, author: "alice", labels: c.labels ?? [], state: "open", commenter: c.by, body: c.comment };
    const out = await runProw(client, ev, config);

    expect(gh.writes()).toEqual(c.writes);
    // The role is asked for once when there is a command to judge, never for a comment without one.
    const roleQueries = gh.requests.filter((r) => r.path.includes("/permission"));
    expect(roleQueries).toHaveLength(c.parsed.length ? 1 : 0);
    if (!c.parsed.length && !c.errors) expect(gh.requests).toEqual([]);
    if (gh.requests.length) gh.expectTokenOnlyInAuthorization(TOKEN, out);
  });

  it("ignores comments from bots without any API call", async () => {
    const client = new GitHubClient("acme/wva", async () => TOKEN, gh.url);
    const out = await runProw(client, { number: 7, isPR: true, author: "alice", labels: [], state: "open", commenter: "github-actions[bot]", body: "/lgtm" }, config);
    expect(out).toEqual(["ignored: comment by github-actions[bot]"]);
    expect(gh.requests).toEqual([]);
  });

  it("reports a failing API call in the reply instead of stopping", async () => {
    gh.on(`POST ${R}/issues/7/labels`, { status: 403, json: { message: "Resource not accessible by integration" } });
    const client = new GitHubClient("acme/wva", async () => TOKEN, gh.url);
    const out = await runProw(client, { number: 7, isPR: true, author: "alice", labels: [], state: "open", commenter: "bob", body: "/lgtm\n/assign" }, config);
    expect(gh.writes()).toEqual([
      { call: `POST ${R}/issues/7/labels`, body: { labels: ["lgtm"] } },
      { call: `POST ${R}/issues/7/assignees`, body: { assignees: ["bob"] } },
      refused("add labels lgtm failed", "403 Resource not accessible by integration"),
    ]);
    expect(out).toContain("addAssignees bob");
    gh.expectTokenOnlyInAuthorization(TOKEN, out);
  });
});
