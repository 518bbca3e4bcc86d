/**
 * The prow parser and planner as pure functions: what a comment means, and what a role may do.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCommands, parseProwLabels, planCommands, type ProwContext } from "../../dagger/src/lib/prow.js";

const config = parseProwLabels(readFileSync(new URL("../../.prowlabels.yaml", import.meta.url), "utf8"));
const ctx = (over: Partial<ProwContext> = {}): ProwContext => ({
  commenter: "bob",
  role: "write",
  author: "alice",
  isPR: true,
  labels: [],
  state: "open",
  ...over,
});

describe("parseCommands", () => {
  it("reads all sixteen commands of the spec", () => {
    const body = [
      "/assign @a", "/unassign", "/approve", "/lgtm", "/retitle New", "/area chart", "/kind bug",
      "/priority backlog", "/remove kind/bug", "/close", "/reopen", "/lock", "/milestone v1", "/hold",
      "/cc @r", "/uncc @r",
    ].join("\n");
    const { commands, errors } = parseCommands(body);
    expect(errors).toEqual([]);
    expect(commands.map((c) => c.name)).toEqual([
      "assign", "unassign", "approve", "lgtm", "retitle", "label", "label", "label", "remove",
      "close", "reopen", "lock", "milestone", "hold", "cc", "uncc",
    ]);
  });

  it("skips code fences until the matching fence, even with another fence char inside", () => {
    const { commands } = parseCommands("````\n```\n/lgtm\n```\n/approve\n````\n/hold");
    expect(commands.map((c) => c.line)).toEqual(["/hold"]);
  });

  it("keeps a one-line HTML comment from swallowing the rest", () => {
    expect(parseCommands("<!-- note -->\n/lgtm").commands.map((c) => c.name)).toEqual(["lgtm"]);
    expect(parseCommands("<!-- start\n/lgtm\nend -->\n/approve").commands.map((c) => c.name)).toEqual(["approve"]);
  });

  it("accepts commas and @ in user lists, and rejects impossible logins", () => {
    const [c] = parseCommands("/cc @a-b, c1").commands;
    expect(c).toMatchObject({ name: "cc", users: ["a-b", "c1"] });
    expect(parseCommands("/assign -bad").errors).toEqual(["`/assign -bad`: not a GitHub user name: -bad"]);
    expect(parseCommands("/assign a".padEnd(50, "x")).errors).toHaveLength(1);
  });

  it("reads /milestone clear and /hold with a reason", () => {
    expect(parseCommands("/milestone clear").commands[0]).toMatchObject({ title: null });
    expect(parseCommands("/hold waiting for the release").commands[0]).toMatchObject({ name: "hold", cancel: false });
    expect(parseCommands("/approve no-issue").commands[0]).toMatchObject({ name: "approve", cancel: false });
  });
});

describe("planCommands", () => {
  it("adds each label once and keeps one priority", () => {
    const { commands } = parseCommands("/lgtm\n/lgtm\n/priority backlog\n/priority important-soon");
    const plan = planCommands(ctx({ labels: ["priority/critical-urgent"] }), commands, config);
    expect(plan.actions).toEqual([
      { op: "addLabels", labels: ["lgtm"] },
      { op: "removeLabel", label: "priority/critical-urgent" },
      { op: "addLabels", labels: ["priority/backlog"] },
      { op: "removeLabel", label: "priority/backlog" },
      { op: "addLabels", labels: ["priority/important-soon"] },
    ]);
  });

  it.each([
    ["admin", true],
    ["maintain", true],
    ["write", true],
    ["triage", false],
    ["read", false],
    ["none", false],
    ["some-custom-role", false],
  ])("/approve by role %s allowed: %s", (role, allowed) => {
    const plan = planCommands(ctx({ role }), parseCommands("/approve").commands, config);
    expect(plan.actions.length === 1).toBe(allowed);
    expect(plan.rejections.length === 1).toBe(!allowed);
  });

  it("matches the author case-insensitively", () => {
    const plan = planCommands(ctx({ commenter: "Alice", role: "admin" }), parseCommands("/lgtm").commands, config);
    expect(plan.rejections).toEqual(["`/lgtm`: you cannot LGTM your own pull request"]);
  });

  it("reads .prowlabels.yaml and rejects a malformed one", () => {
    expect(config.priority).toContain("backlog");
    expect(config.area.length).toBeGreaterThan(0);
    expect(() => parseProwLabels("area: chart\n")).toThrow(/area must be a list of strings/);
  });
});
