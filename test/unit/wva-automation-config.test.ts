/**
 * The labeler and prow configuration as WVA writes them (copies of its real `.github/labeler.yaml`
 * and `.prowlabels.yaml`): issue-labeler's `/regex/flags` form and plain patterns, and prow label
 * families with no `area` list.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { labelerPattern, labelsFor, parseLabelerConfig } from "../../dagger/src/lib/automation.js";
import { parseCommands, parseProwLabels, planCommands, type ProwContext } from "../../dagger/src/lib/prow.js";
import { upstreamCopy } from "../upstream.js";

const wva = upstreamCopy();
const wvaFile = (p: string) => readFileSync(join(wva, p), "utf8");

describe("issue-labeler patterns", () => {
  it("WVA's labeler.yaml ('/.*/') labels every new issue needs-triage, with or without a body", () => {
    const config = parseLabelerConfig(wvaFile(".github/labeler.yaml"));
    expect(Object.keys(config)).toEqual(["needs-triage"]);
    expect(labelsFor(config, "Controller crashes on start", "Steps to reproduce: …")).toEqual(["needs-triage"]);
    expect(labelsFor(config, "a", "")).toEqual(["needs-triage"]);
    // What the module did before: the slashes taken literally, so almost nothing matched.
    expect(new RegExp("/.*/").test("Controller crashes on start")).toBe(false);
  });

  it("/body/flags is a regex with its flags; a plain string is a regex source as is, case-sensitive", () => {
    expect(labelerPattern("/(critical|urgent)/i").test("URGENT: prod down")).toBe(true);
    expect(labelerPattern("/(critical|urgent)/").test("URGENT: prod down")).toBe(false);
    expect(labelerPattern("(critical|urgent)").test("URGENT")).toBe(false);
    expect(labelerPattern("(critical|urgent)").test("this is urgent")).toBe(true);
    expect(labelerPattern("a/b").test("path a/b here")).toBe(true);
    expect(labelerPattern("/^line two$/m").test("line one\nline two")).toBe(true);
    expect(labelerPattern("/x/").source).toBe("x");
  });

  it("a /g pattern matches every issue, not every other one", () => {
    const config = parseLabelerConfig("bug: ['/crash/g']\n");
    expect(labelsFor(config, "crash", "")).toEqual(["bug"]);
    expect(labelsFor(config, "crash", "")).toEqual(["bug"]);
  });

  it("bad flags or a bad expression name the label and the expected form", () => {
    expect(() => parseLabelerConfig("bug: ['/crash/q']")).toThrow(/labeler.yaml: bug: .*\/expression\/flags/);
    expect(() => parseLabelerConfig("bug: ['(unclosed']")).toThrow(/labeler.yaml: bug: Invalid regular expression/);
  });
});

describe("WVA's .prowlabels.yaml", () => {
  const config = parseProwLabels(wvaFile(".prowlabels.yaml"));
  const ctx: ProwContext = { commenter: "bob", role: "write", author: "alice", isPR: true, labels: ["priority/p2"], state: "open" };

  it("reads its families: kind and priority, no area", () => {
    expect(config).toEqual({ area: [], kind: ["bug", "security", "feature", "docs"], priority: ["p0", "p1", "p2"] });
  });

  it("/kind bug and /priority p0 add WVA's labels (the priority replaces p2); /area is refused with the reason", () => {
    const plan = planCommands(ctx, parseCommands("/kind bug\n/priority p0\n/area chart").commands, config);
    expect(plan.actions).toEqual([
      { op: "addLabels", labels: ["kind/bug"] },
      { op: "removeLabel", label: "priority/p2" },
      { op: "addLabels", labels: ["priority/p0"] },
    ]);
    expect(plan.rejections.join("\n")).toMatch(/\/area chart.*this repository has no area labels \(.prowlabels.yaml has no area list\)/);
  });

  it("a value WVA does not list is refused with WVA's list", () => {
    const plan = planCommands(ctx, parseCommands("/priority critical-urgent").commands, config);
    expect(plan.actions).toEqual([]);
    expect(plan.rejections.join("\n")).toMatch(/unknown priority critical-urgent; allowed: p0, p1, p2/);
  });

  it("an unknown section is refused rather than ignored", () => {
    expect(() => parseProwLabels("areas: [x]\nkind: [bug]\n")).toThrow(/unknown section\(s\) areas; the sections are area, kind, priority/);
  });
});
