/**
 * Pure helpers of the GitHub automation: docs-PR references, docs paths, PR text, merge blockers.
 */
import { describe, expect, it } from "vitest";
import { mergeBlockers } from "../../dagger/src/lib/automation.js";
import { docsPrText, isBotDocsPr, isDocPath, originalPrNumber } from "../../dagger/src/lib/docs-pr.js";
import { GitHubClient } from "../../dagger/src/lib/github-api.js";

describe("originalPrNumber", () => {
  it.each([
    ["Follows #123.", "docs/x", 123],
    ["Updates docs for PR 77", "b", 77],
    ["see https://github.com/o/r/pull/456 for context", "b", 456],
    ["(#12)", "b", 12],
    ["", "docs/pr-88", 88],
    ["", "docs-pr-89", 89],
    ["", "update-docs-90", 90],
    ["nothing", "docs/sync-abc1234", undefined],
    ["issue#5 is not a reference", "main", undefined],
    [null, "feature", undefined],
  ])("body %j branch %j → %j", (body, branch, want) => {
    expect(originalPrNumber(body, branch)).toBe(want);
  });

  it("never returns the docs PR's own number", () => {
    expect(originalPrNumber("This is #40, follows #31", "docs/x", 40)).toBe(31);
  });
});

describe("docs paths and PR text", () => {
  it.each([
    ["docs/user-guide/install.md", true],
    ["README.md", true],
    ["charts/wva/README.md", true],
    ["docs/diagram.svg", true],
    ["cmd/main.go", false],
    [".github/workflows/x.md", false],
    ["docs/../cmd/main.go", false],
  ])("%s is a doc: %s", (p, want) => expect(isDocPath(p)).toBe(want));

  it("names the PR after the merged PR, or the commit when there is none", () => {
    expect(docsPrText({ sha: "abcdef0123", prNumber: 31, paths: ["README.md"] })).toMatchObject({
      branch: "docs/pr-31",
      title: "docs: update for #31",
    });
    const t = docsPrText({ sha: "abcdef0123", paths: ["docs/a.md"] });
    expect(t).toMatchObject({ branch: "docs/sync-abcdef0", title: "docs: sync with abcdef0" });
    expect(t.body).toContain("- `docs/a.md`");
    // The PR the docs PR creates is found again by assign-docs-pr.
    expect(originalPrNumber(docsPrText({ sha: "abcdef0123", prNumber: 31, paths: [] }).body, "x")).toBe(31);
  });

  it("recognises bot docs PRs only", () => {
    expect(isBotDocsPr({ title: "docs: x", user: { login: "github-actions[bot]" } })).toBe(true);
    expect(isBotDocsPr({ title: "docs(api): x", user: { login: "github-actions[bot]" } })).toBe(true);
    expect(isBotDocsPr({ title: "docs: x", user: { login: "alice" } })).toBe(false);
    expect(isBotDocsPr({ title: "fix: docs", user: { login: "github-actions[bot]" } })).toBe(false);
  });
});

describe("mergeBlockers", () => {
  const ok = { state: "success" as const, total_count: 1, statuses: [{ context: "c", state: "success" }] };
  it("passes lgtm + approved with green checks; treats no statuses at all as green", () => {
    expect(mergeBlockers(["lgtm", "approved"], false, ok, [])).toEqual([]);
    expect(mergeBlockers(["lgtm", "approved"], false, { state: "pending", total_count: 0, statuses: [] }, [])).toEqual([]);
  });
  it("lists every reason not to merge", () => {
    expect(
      mergeBlockers(["lgtm", "do-not-merge/work-in-progress"], true, { state: "pending", total_count: 1, statuses: [{ context: "dco", state: "pending" }] }, [
        { name: "e2e", status: "queued", conclusion: null },
        { name: "lint", status: "completed", conclusion: "cancelled" },
        { name: "opt", status: "completed", conclusion: "neutral" },
      ]),
    ).toEqual([
      "missing label approved",
      "label do-not-merge/work-in-progress",
      "draft",
      "status pending (dco pending)",
      "check e2e queued",
      "check lint cancelled",
    ]);
  });
});

describe("GitHubClient", () => {
  it("refuses a repository that is not owner/name before any request", () => {
    expect(() => new GitHubClient("acme/wva/../x", async () => "t")).toThrow(/owner\/name/);
    expect(() => new GitHubClient("acme", async () => "t")).toThrow(/owner\/name/);
  });
});
