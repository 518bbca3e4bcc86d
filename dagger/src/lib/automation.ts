/**
 * The repository automation other than prow commands, as functions of a GitHub client and an event
 * payload: the issue labeler, auto-merge, LGTM removal on new commits, and docs-PR assignment.
 * No Dagger here: the `Github` object wraps these.
 */
import YAML from "yaml";
import type { GhCheckRun, GhCombinedStatus, GhPull, GitHubClient } from "./github-api.js";
import { DOCS_BOT, isBotDocsPr, originalPrNumber } from "./docs-pr.js";
import { APPROVED, LGTM } from "./prow.js";

// ---- labeler ------------------------------------------------------------------------------

/** Labeler config (`.github/labeler.yaml`): label → regular expressions matched on title + body. */
export type LabelerConfig = Record<string, RegExp[]>;

/**
 * One pattern as github/issue-labeler reads it: a string written `/body/flags` (e.g.
 * `/(critical|urgent)/i`, or WVA's catch-all slash-dot-star-slash) is the regular expression
 * `body` with `flags`; any other string is a regular expression source used as is, with no
 * flags (so `crash` is case-sensitive, as in issue-labeler).
 */
export function labelerPattern(pattern: string): RegExp {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(pattern);
  return m ? new RegExp(m[1], m[2]) : new RegExp(pattern);
}

/** Reads `.github/labeler.yaml` (github/issue-labeler's format: `label: [pattern, …]`, see labelerPattern). */
export function parseLabelerConfig(text: string): LabelerConfig {
  const doc = (YAML.parse(text) ?? {}) as Record<string, unknown>;
  const out: LabelerConfig = {};
  for (const [label, v] of Object.entries(doc)) {
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list) || list.some((x) => typeof x !== "string")) {
      throw new Error(`.github/labeler.yaml: ${label} must be a regular expression or a list of them`);
    }
    out[label] = list.map((s: string) => {
      try {
        return labelerPattern(s);
      } catch (e) {
        throw new Error(
          `.github/labeler.yaml: ${label}: ${e instanceof Error ? e.message : String(e)} ` +
            "(write a regular expression, or /expression/flags with flags among d g i m s u v y)",
        );
      }
    });
  }
  return out;
}

/** Labels whose expressions match the issue's title or body. */
export function labelsFor(config: LabelerConfig, title: string, body: string): string[] {
  const text = `${title}\n${body}`;
  return Object.entries(config)
    .filter(([, res]) =>
      res.some((re) => {
        re.lastIndex = 0; // a /g or /y pattern is stateful; every issue starts from the beginning
        return re.test(text);
      }),
    )
    .map(([label]) => label);
}

/** Labels a newly opened issue (event `issues: opened`); returns what it added. */
export async function labelIssue(gh: GitHubClient, payload: any, config: LabelerConfig): Promise<string> {
  const issue = payload?.issue;
  if (!issue || payload.action !== "opened") return "not an issue-opened event: nothing to do";
  const have = new Set((issue.labels ?? []).map((l: { name: string }) => l.name));
  const labels = labelsFor(config, issue.title ?? "", issue.body ?? "").filter((l) => !have.has(l));
  if (!labels.length) return `#${issue.number}: no label to add`;
  await gh.addLabels(issue.number, labels);
  return `#${issue.number}: added ${labels.join(", ")}`;
}

// ---- auto-merge ---------------------------------------------------------------------------

/** What blocks a merge right now, given labels, draft flag and the head commit's checks. */
export function mergeBlockers(
  labels: string[],
  draft: boolean,
  status: GhCombinedStatus,
  runs: GhCheckRun[],
): string[] {
  const out: string[] = [];
  for (const need of [LGTM, APPROVED]) if (!labels.includes(need)) out.push(`missing label ${need}`);
  for (const l of labels) if (l.startsWith("do-not-merge/")) out.push(`label ${l}`);
  if (draft) out.push("draft");
  // No legacy statuses at all reports "pending" with total_count 0: that is not a pending check.
  if (status.total_count > 0 && status.state !== "success") {
    const bad = status.statuses.filter((s) => s.state !== "success").map((s) => `${s.context} ${s.state}`);
    out.push(`status ${status.state}${bad.length ? ` (${bad.join(", ")})` : ""}`);
  }
  for (const r of runs) {
    if (r.status !== "completed") out.push(`check ${r.name} ${r.status}`);
    else if (!["success", "neutral", "skipped"].includes(r.conclusion ?? "")) out.push(`check ${r.name} ${r.conclusion}`);
  }
  return out;
}

/**
 * Merges every open PR that has `lgtm` and `approved`, no `do-not-merge/*` label, is not a draft
 * and whose head commit's statuses and check runs are green. The merge names the head SHA, so a
 * push after the checks makes GitHub refuse it. Returns one line per candidate PR.
 */
export async function automerge(gh: GitHubClient, mergeMethod = "squash"): Promise<string[]> {
  const candidates = (await gh.listOpenIssuesWithLabels([LGTM, APPROVED])).filter((i) => i.pull_request);
  if (!candidates.length) return ["no open pull request has both lgtm and approved"];
  const out: string[] = [];
  for (const c of candidates) {
    const pr = await gh.getPull(c.number);
    const [status, runs] = await Promise.all([gh.combinedStatus(pr.head.sha), gh.checkRuns(pr.head.sha)]);
    const blockers = mergeBlockers(pr.labels.map((l) => l.name), !!pr.draft, status, runs);
    if (blockers.length) {
      out.push(`#${pr.number} waits: ${blockers.join("; ")}`);
      continue;
    }
    await gh.merge(pr.number, pr.head.sha, mergeMethod);
    out.push(`#${pr.number} merged (${mergeMethod}) at ${pr.head.sha.slice(0, 7)}`);
  }
  return out;
}

// ---- LGTM removal -------------------------------------------------------------------------

/** On new commits (`pull_request` synchronize), removes `lgtm` and says why. */
export async function removeLgtm(gh: GitHubClient, payload: any): Promise<string> {
  const pr = payload?.pull_request;
  if (!pr || payload.action !== "synchronize") return "not a pull-request synchronize event: nothing to do";
  const labels: string[] = (pr.labels ?? []).map((l: { name: string }) => l.name);
  if (!labels.includes(LGTM)) return `#${pr.number}: no lgtm label`;
  await gh.removeLabel(pr.number, LGTM);
  await gh.comment(
    pr.number,
    `New commits were pushed after the LGTM, so the \`${LGTM}\` label was removed. A reviewer can \`/lgtm\` again.`,
  );
  return `#${pr.number}: removed lgtm`;
}

// ---- docs PR assignment -------------------------------------------------------------------

/** The most recently merged PR other than `exclude`. */
async function lastMergedPr(gh: GitHubClient, exclude: number): Promise<GhPull | undefined> {
  return (await gh.listClosedPulls())
    .filter((p) => p.merged_at && p.number !== exclude)
    .sort((a, b) => Date.parse(b.merged_at!) - Date.parse(a.merged_at!))[0];
}

/** Assigns one docs PR to the author of the PR it follows, with an attribution comment. */
export async function assignDocsPr(gh: GitHubClient, pr: GhPull): Promise<string> {
  if (!isBotDocsPr(pr)) return `#${pr.number}: not a docs: PR opened by ${DOCS_BOT}, left alone`;
  if (pr.assignees?.length) return `#${pr.number}: already assigned`;
  const ref = originalPrNumber(pr.body, pr.head.ref, pr.number);
  const original = ref !== undefined ? await gh.getPull(ref) : await lastMergedPr(gh, pr.number);
  if (!original) return `#${pr.number}: no original PR found`;
  const author = original.user.login;
  if (author.endsWith("[bot]")) return `#${pr.number}: #${original.number} was opened by a bot (${author}); not assigned`;
  await gh.addAssignees(pr.number, [author]);
  const how =
    ref !== undefined
      ? `it documents #${original.number}`
      : `it names no PR, so it is attributed to the most recently merged one, #${original.number}`;
  await gh.comment(
    pr.number,
    `Assigned to @${author}, the author of #${original.number}: ${how}. Please review the generated text.`,
  );
  return `#${pr.number}: assigned to ${author} (from #${original.number})`;
}

/**
 * Finds the docs PRs to assign from an event: the opened PR (`pull_request_target`), the
 * dispatch input `docs_pr_number`, or else (e.g. after an update-docs run) every open
 * unassigned bot docs PR.
 */
export async function assignDocsPrs(gh: GitHubClient, payload: any): Promise<string[]> {
  if (payload?.pull_request) return [await assignDocsPr(gh, payload.pull_request as GhPull)];
  const input = payload?.inputs?.docs_pr_number;
  if (input !== undefined && input !== "") {
    const n = Number(input);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`docs_pr_number must be a PR number, got ${JSON.stringify(input)}`);
    return [await assignDocsPr(gh, await gh.getPull(n))];
  }
  const open = (await gh.listOpenPulls()).filter((p) => isBotDocsPr(p) && !p.assignees?.length);
  if (!open.length) return ["no unassigned docs PR"];
  const out: string[] = [];
  for (const p of open) out.push(await assignDocsPr(gh, p));
  return out;
}
