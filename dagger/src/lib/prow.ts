/**
 * Prow-style slash commands in issue and pull-request comments: a pure parser, a pure planner that
 * applies the permission rules, and an executor that turns the plan into GitHub API calls.
 *
 * Permission rules (role = the commenter's repository role; triage+ = triage, write, maintain, admin):
 *
 * | Command                              | Who                                                        | Where      |
 * |--------------------------------------|------------------------------------------------------------|------------|
 * | `/assign`, `/unassign` (no user)     | anyone, for themselves                                     | issues, PRs|
 * | `/assign @u`, `/unassign @u`         | triage+ (anyone when @u is themselves)                     | issues, PRs|
 * | `/cc @u`                             | anyone                                                     | PRs        |
 * | `/uncc [@u]`                         | anyone for themselves; the author or triage+ for others    | PRs        |
 * | `/approve [cancel]`                  | write+                                                     | PRs        |
 * | `/lgtm`                              | write+, and not the PR's author                            | PRs        |
 * | `/lgtm cancel`                       | write+ or the PR's author                                  | PRs        |
 * | `/hold`                              | anyone                                                     | PRs        |
 * | `/hold cancel`                       | the author or triage+                                      | PRs        |
 * | `/retitle <title>`                   | the author or triage+                                      | issues, PRs|
 * | `/area /kind /priority`, `/remove-…` | the author or triage+; values must be in .prowlabels.yaml  | issues, PRs|
 * | `/remove <label>`                    | the author or triage+; `lgtm`/`approved` need write+       | issues, PRs|
 * | `/close`, `/reopen`                  | the author or triage+                                      | issues, PRs|
 * | `/lock`, `/milestone <title|clear>`  | triage+                                                    | issues, PRs|
 *
 * write+ = write, maintain or admin. `/priority` keeps one priority: it replaces any other.
 * Comments from bots are ignored. Rejected or malformed commands are answered in one comment.
 */
import YAML from "yaml";
import type { GitHubClient } from "./github-api.js";

/** Label a passing `/lgtm` adds. */
export const LGTM = "lgtm";
/** Label a passing `/approve` adds. */
export const APPROVED = "approved";
/** Label `/hold` adds; any `do-not-merge/*` label blocks auto-merge. */
export const HOLD = "do-not-merge/hold";

/** The label families `/area`, `/kind` and `/priority` draw from. */
export type LabelKind = "area" | "kind" | "priority";

/** One parsed command, with the comment line it came from. */
export type Command = { line: string } & (
  | { name: "assign" | "unassign" | "cc" | "uncc"; users: string[] }
  | { name: "approve" | "lgtm" | "hold"; cancel: boolean }
  | { name: "retitle"; title: string }
  | { name: "label"; op: "add" | "remove"; kind: LabelKind; values: string[] }
  | { name: "remove"; labels: string[] }
  | { name: "close" | "reopen" | "lock" }
  | { name: "milestone"; title: string | null }
);

/** Commands found in a comment, and messages for the malformed ones. */
export interface Parsed {
  commands: Command[];
  errors: string[];
}

/** The values each label family allows (from `.prowlabels.yaml`). */
export type ProwLabels = Record<LabelKind, string[]>;

const KINDS: LabelKind[] = ["area", "kind", "priority"];
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NAMES = new Set([
  "assign", "unassign", "approve", "lgtm", "retitle", "area", "kind", "priority", "remove",
  "close", "reopen", "lock", "milestone", "hold", "cc", "uncc",
  "remove-area", "remove-kind", "remove-priority",
]);

/**
 * Finds the commands in a comment: one per line, the line starting with `/name`. Lines inside
 * fenced code blocks, indented code, block quotes and HTML comments are not commands; unknown
 * `/words` are ignored (they may belong to another bot).
 */
export function parseCommands(body: string): Parsed {
  const commands: Command[] = [];
  const errors: string[] = [];
  let fence: string | undefined;
  let inHtmlComment = false;
  for (const raw of body.split(/\r?\n/)) {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(raw);
    if (fence) {
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length) fence = undefined;
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    if (inHtmlComment) {
      if (raw.includes("-->")) inHtmlComment = false;
      continue;
    }
    if (/^ {0,3}<!--/.test(raw)) {
      inHtmlComment = !raw.includes("-->");
      continue;
    }
    if (/^ {0,3}>/.test(raw) || /^( {4}|\t)/.test(raw)) continue;
    const m = /^ {0,3}\/([A-Za-z][A-Za-z-]*)(?:[ \t]+(.*?))?[ \t]*$/.exec(raw);
    if (!m) continue;
    const name = m[1].toLowerCase();
    if (!NAMES.has(name)) continue;
    const line = raw.trim();
    const arg = (m[2] ?? "").trim();
    const r = parseOne(name, arg, line);
    if (typeof r === "string") errors.push(`\`${line}\`: ${r}`);
    else commands.push(r);
  }
  return { commands, errors };
}

function words(arg: string): string[] {
  return arg.split(/[\s,]+/).filter(Boolean);
}

function parseOne(name: string, arg: string, line: string): Command | string {
  switch (name) {
    case "assign":
    case "unassign":
    case "cc":
    case "uncc": {
      const users = words(arg).map((u) => u.replace(/^@/, ""));
      const bad = users.filter((u) => !LOGIN.test(u));
      if (bad.length) return `not a GitHub user name: ${bad.join(", ")}`;
      if (name === "cc" && users.length === 0) return "name at least one reviewer, e.g. `/cc @user`";
      return { line, name, users };
    }
    case "approve":
    case "lgtm":
    case "hold": {
      const a = arg.toLowerCase();
      if (a === "cancel") return { line, name, cancel: true };
      if (a === "" || (name === "approve" && a === "no-issue") || name === "hold") return { line, name, cancel: false };
      return `expected \`/${name}\` or \`/${name} cancel\``;
    }
    case "retitle":
      if (!arg) return "give the new title, e.g. `/retitle Fix the scaler`";
      if (arg.length > 256) return "a title has at most 256 characters";
      return { line, name, title: arg };
    case "area":
    case "kind":
    case "priority":
    case "remove-area":
    case "remove-kind":
    case "remove-priority": {
      const kind = name.replace("remove-", "") as LabelKind;
      const values = words(arg);
      if (!values.length) return `give a value, e.g. \`/${name} <value>\``;
      if (kind === "priority" && name === "priority" && values.length > 1) return "give one priority";
      return { line, name: "label", op: name.startsWith("remove-") ? "remove" : "add", kind, values };
    }
    case "remove": {
      const labels = words(arg);
      if (!labels.length) return "give the label to remove, e.g. `/remove kind/bug`";
      return { line, name, labels };
    }
    case "close":
    case "reopen":
    case "lock":
      return { line, name };
    case "milestone":
      if (!arg) return "give a milestone title, or `clear`";
      return { line, name, title: arg.toLowerCase() === "clear" ? null : arg };
  }
  return "unknown command";
}

/**
 * Reads `.prowlabels.yaml`: lists `area`, `kind`, `priority` of allowed values. A missing list
 * (WVA's file has no `area`) allows no value of that family; an unknown section is refused.
 */
export function parseProwLabels(text: string): ProwLabels {
  const doc = (YAML.parse(text) ?? {}) as Record<string, unknown>;
  const unknownSections = Object.keys(doc).filter((k) => !(KINDS as string[]).includes(k));
  if (unknownSections.length) {
    throw new Error(`.prowlabels.yaml: unknown section(s) ${unknownSections.join(", ")}; the sections are ${KINDS.join(", ")}`);
  }
  const out = {} as ProwLabels;
  for (const k of KINDS) {
    const v = doc[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      throw new Error(`.prowlabels.yaml: ${k} must be a list of strings`);
    }
    out[k] = v as string[];
  }
  return out;
}

/** What the planner knows about the comment and its issue or pull request. */
export interface ProwContext {
  commenter: string;
  /** The commenter's repository role: admin, maintain, write, triage, read or none. */
  role: string;
  author: string;
  isPR: boolean;
  labels: string[];
  state: "open" | "closed";
}

/** One change to make through the API, in order. */
export type Action =
  | { op: "addLabels"; labels: string[] }
  | { op: "removeLabel"; label: string }
  | { op: "addAssignees" | "removeAssignees" | "requestReviewers" | "removeReviewers"; users: string[] }
  | { op: "retitle"; title: string }
  | { op: "close" | "reopen" | "lock" }
  | { op: "milestone"; title: string | null };

/** The actions to take and the reasons some commands were refused. */
export interface Plan {
  actions: Action[];
  rejections: string[];
}

const RANK: Record<string, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

/** Applies the permission rules (see the table at the top) and the label config to parsed commands. */
export function planCommands(ctx: ProwContext, commands: Command[], config: ProwLabels): Plan {
  const actions: Action[] = [];
  const rejections: string[] = [];
  const labels = new Set(ctx.labels);
  const rank = RANK[ctx.role] ?? 1;
  const triage = rank >= RANK.triage;
  const write = rank >= RANK.write;
  const isAuthor = ctx.commenter.toLowerCase() === ctx.author.toLowerCase();
  const self = (u: string) => u.toLowerCase() === ctx.commenter.toLowerCase();
  const reject = (c: Command, why: string) => rejections.push(`\`${c.line}\`: ${why}`);
  const add = (ls: string[]) => {
    const fresh = ls.filter((l) => !labels.has(l));
    if (fresh.length) actions.push({ op: "addLabels", labels: fresh });
    fresh.forEach((l) => labels.add(l));
  };
  const remove = (l: string) => {
    if (!labels.has(l)) return;
    actions.push({ op: "removeLabel", label: l });
    labels.delete(l);
  };

  for (const c of commands) {
    const prOnly = ["approve", "lgtm", "hold", "cc", "uncc"].includes(c.name);
    if (prOnly && !ctx.isPR) {
      reject(c, "works on pull requests only");
      continue;
    }
    switch (c.name) {
      case "assign":
      case "unassign": {
        const users = c.users.length ? c.users : [ctx.commenter];
        if (!triage && !users.every(self)) {
          reject(c, "only collaborators with triage access or above may assign others; anyone may assign themselves");
          continue;
        }
        actions.push({ op: c.name === "assign" ? "addAssignees" : "removeAssignees", users });
        break;
      }
      case "cc":
        actions.push({ op: "requestReviewers", users: c.users });
        break;
      case "uncc": {
        const users = c.users.length ? c.users : [ctx.commenter];
        if (!users.every(self) && !isAuthor && !triage) {
          reject(c, "only the author or collaborators with triage access may remove other reviewers");
          continue;
        }
        actions.push({ op: "removeReviewers", users });
        break;
      }
      case "approve":
        if (!write) {
          reject(c, "only collaborators with write access may approve");
          continue;
        }
        c.cancel ? remove(APPROVED) : add([APPROVED]);
        break;
      case "lgtm":
        if (c.cancel) {
          if (!write && !isAuthor) {
            reject(c, "only collaborators with write access or the author may cancel an LGTM");
            continue;
          }
          remove(LGTM);
          break;
        }
        if (isAuthor) {
          reject(c, "you cannot LGTM your own pull request");
          continue;
        }
        if (!write) {
          reject(c, "only collaborators with write access may LGTM");
          continue;
        }
        add([LGTM]);
        break;
      case "hold":
        if (c.cancel) {
          if (!isAuthor && !triage) {
            reject(c, "only the author or collaborators with triage access may cancel a hold");
            continue;
          }
          remove(HOLD);
        } else add([HOLD]);
        break;
      case "retitle":
        if (!isAuthor && !triage) {
          reject(c, "only the author or collaborators with triage access may retitle");
          continue;
        }
        actions.push({ op: "retitle", title: c.title });
        break;
      case "label": {
        if (!isAuthor && !triage) {
          reject(c, `only the author or collaborators with triage access may change ${c.kind} labels`);
          continue;
        }
        const unknown = c.values.filter((v) => !config[c.kind].includes(v));
        if (unknown.length) {
          reject(
            c,
            config[c.kind].length
              ? `unknown ${c.kind} ${unknown.join(", ")}; allowed: ${config[c.kind].join(", ")}`
              : `this repository has no ${c.kind} labels (.prowlabels.yaml has no ${c.kind} list)`,
          );
          continue;
        }
        const names = c.values.map((v) => `${c.kind}/${v}`);
        if (c.op === "remove") names.forEach(remove);
        else {
          if (c.kind === "priority") [...labels].filter((l) => l.startsWith("priority/") && !names.includes(l)).forEach(remove);
          add(names);
        }
        break;
      }
      case "remove": {
        if (!isAuthor && !triage) {
          reject(c, "only the author or collaborators with triage access may remove labels");
          continue;
        }
        const guarded = c.labels.filter((l) => l === LGTM || l === APPROVED);
        if (guarded.length && !write) {
          reject(c, `removing ${guarded.join(", ")} needs write access`);
          continue;
        }
        c.labels.forEach(remove);
        break;
      }
      case "close":
      case "reopen":
        if (!isAuthor && !triage) {
          reject(c, `only the author or collaborators with triage access may ${c.name}`);
          continue;
        }
        actions.push({ op: c.name });
        break;
      case "lock":
        if (!triage) {
          reject(c, "only collaborators with triage access may lock a conversation");
          continue;
        }
        actions.push({ op: "lock" });
        break;
      case "milestone":
        if (!triage) {
          reject(c, "only collaborators with triage access may set the milestone");
          continue;
        }
        actions.push({ op: "milestone", title: c.title });
        break;
    }
  }
  return { actions, rejections };
}

/** The comment that triggered the run: issue or PR number, its data, the comment and its author. */
export interface ProwEvent {
  number: number;
  isPR: boolean;
  author: string;
  labels: string[];
  state: "open" | "closed";
  commenter: string;
  body: string;
}

/** Reads an `issue_comment` event payload (the file at $GITHUB_EVENT_PATH). */
export function prowEventFromPayload(payload: any): ProwEvent {
  const issue = payload?.issue;
  const comment = payload?.comment;
  if (!issue || !comment) throw new Error("not an issue_comment event: the payload has no issue or comment");
  return {
    number: issue.number,
    isPR: !!issue.pull_request,
    author: issue.user?.login ?? "",
    labels: (issue.labels ?? []).map((l: { name: string }) => l.name),
    state: issue.state === "closed" ? "closed" : "open",
    commenter: comment.user?.login ?? "",
    body: comment.body ?? "",
  };
}

/**
 * Runs the commands of one comment: parse, ask GitHub for the commenter's role, plan, then apply
 * the actions in order and answer refused or malformed commands in one comment. A comment without
 * commands, or from a bot, makes no API call. Returns one line per outcome.
 */
export async function runProw(gh: GitHubClient, ev: ProwEvent, config: ProwLabels): Promise<string[]> {
  if (ev.commenter.endsWith("[bot]")) return [`ignored: comment by ${ev.commenter}`];
  const { commands, errors } = parseCommands(ev.body);
  if (!commands.length && !errors.length) return ["no commands"];
  const role = commands.length ? await gh.permission(ev.commenter) : "none";
  const { actions, rejections } = planCommands({ ...ev, role }, commands, config);
  const done: string[] = [];
  const failures = [...errors, ...rejections];
  for (const a of actions) {
    try {
      done.push(await apply(gh, ev.number, a));
    } catch (e) {
      failures.push(`${describe(a)} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (failures.length) {
    await gh.comment(
      ev.number,
      `@${ev.commenter}: these commands were not applied:\n\n${failures.map((f) => `- ${f}`).join("\n")}`,
    );
  }
  return [...done, ...failures.map((f) => `refused ${f}`)];
}

function describe(a: Action): string {
  switch (a.op) {
    case "addLabels":
      return `add labels ${a.labels.join(", ")}`;
    case "removeLabel":
      return `remove label ${a.label}`;
    case "milestone":
      return a.title === null ? "clear milestone" : `set milestone ${a.title}`;
    case "retitle":
      return `retitle to ${JSON.stringify(a.title)}`;
    case "close":
    case "reopen":
    case "lock":
      return a.op;
    default:
      return `${a.op} ${a.users.join(", ")}`;
  }
}

async function apply(gh: GitHubClient, n: number, a: Action): Promise<string> {
  switch (a.op) {
    case "addLabels":
      await gh.addLabels(n, a.labels);
      break;
    case "removeLabel":
      await gh.removeLabel(n, a.label);
      break;
    case "addAssignees":
      await gh.addAssignees(n, a.users);
      break;
    case "removeAssignees":
      await gh.removeAssignees(n, a.users);
      break;
    case "requestReviewers":
      await gh.requestReviewers(n, a.users);
      break;
    case "removeReviewers":
      await gh.removeReviewers(n, a.users);
      break;
    case "retitle":
      await gh.updateIssue(n, { title: a.title });
      break;
    case "close":
      await gh.updateIssue(n, { state: "closed" });
      break;
    case "reopen":
      await gh.updateIssue(n, { state: "open" });
      break;
    case "lock":
      await gh.lock(n);
      break;
    case "milestone": {
      if (a.title === null) {
        await gh.updateIssue(n, { milestone: null });
        break;
      }
      const m = (await gh.listMilestones()).find((x) => x.title === a.title);
      if (!m) throw new Error(`no open milestone titled ${JSON.stringify(a.title)}`);
      await gh.updateIssue(n, { milestone: m.number });
      break;
    }
  }
  return describe(a);
}
