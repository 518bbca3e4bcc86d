/**
 * The repository automation as functions: prow commands, the issue labeler, auto-merge, LGTM
 * removal, docs-PR assignment and the agentic docs sync. Workflows call these with the event
 * payload file (`--event "$GITHUB_EVENT_PATH"`), so no event text is ever spliced into a shell.
 */
import { Directory, File, Secret, dag, func, object } from "@dagger.io/dagger";
import {
  assignDocsPrs,
  automerge,
  labelIssue,
  parseLabelerConfig,
  removeLgtm,
} from "./lib/automation.js";
import { docsPrText, docsPrompt, isDocPath } from "./lib/docs-pr.js";
import { GitHubClient, type GhTreeEntry } from "./lib/github-api.js";
import { parseProwLabels, prowEventFromPayload, runProw } from "./lib/prow.js";

const MERGE_METHODS = ["merge", "squash", "rebase"];

/** GitHub automation for one repository, calling the REST API with a token kept as a Secret. */
@object()
export class Github {
  /** The repository, as owner/name. */
  @func()
  repository: string;

  /** Base URL of the GitHub REST API (e.g. https://api.github.com, or a GitHub Enterprise URL). */
  @func()
  apiUrl: string;

  token: Secret;
  source: Directory;

  /**
   * @param token GitHub token; read only when a request is sent, and sent only in the Authorization header.
   * @param repository The repository, as owner/name.
   * @param apiUrl Base URL of the GitHub REST API.
   * @param source The repository tree: `.prowlabels.yaml` and `.github/labeler.yaml` are read from it.
   */
  constructor(token: Secret, repository: string, apiUrl: string, source: Directory) {
    this.token = token;
    this.repository = repository;
    this.apiUrl = apiUrl;
    this.source = source;
  }

  /**
   * Runs the prow-style commands of an `issue_comment` event (`/lgtm`, `/approve`, `/assign`, …)
   * under the permission rules, with labels checked against `.prowlabels.yaml`; answers refused
   * commands in a comment. Returns one line per outcome.
   *
   * @param event The event payload file ($GITHUB_EVENT_PATH).
   */
  @func({ cache: "never" })
  async prowCommands(event: File): Promise<string> {
    const ev = prowEventFromPayload(await readEvent(event));
    const config = parseProwLabels(await this.source.file(".prowlabels.yaml").contents());
    return (await runProw(this.client(), ev, config)).join("\n");
  }

  /**
   * Labels a newly opened issue from `.github/labeler.yaml` (every issue gets `needs-triage`).
   *
   * @param event The `issues: opened` event payload file ($GITHUB_EVENT_PATH).
   */
  @func({ cache: "never" })
  async labelIssue(event: File): Promise<string> {
    const config = parseLabelerConfig(await this.source.file(".github/labeler.yaml").contents());
    return labelIssue(this.client(), await readEvent(event), config);
  }

  /**
   * Merges each open pull request that has `lgtm` and `approved`, no `do-not-merge/*` label, is not
   * a draft, and whose head commit's statuses and check runs are all green. Returns one line per PR.
   *
   * @param mergeMethod How to merge: merge, squash or rebase.
   */
  @func({ cache: "never" })
  async automerge(mergeMethod = "squash"): Promise<string> {
    if (!MERGE_METHODS.includes(mergeMethod)) {
      throw new Error(`mergeMethod must be one of ${MERGE_METHODS.join(", ")}, got ${JSON.stringify(mergeMethod)}`);
    }
    return (await automerge(this.client(), mergeMethod)).join("\n");
  }

  /**
   * Removes `lgtm` from a pull request that received new commits, with a comment saying why.
   *
   * @param event The `pull_request_target: synchronize` event payload file ($GITHUB_EVENT_PATH).
   */
  @func({ cache: "never" })
  async removeLgtm(event: File): Promise<string> {
    return removeLgtm(this.client(), await readEvent(event));
  }

  /**
   * Assigns `docs:` pull requests opened by github-actions[bot] to the author of the PR they
   * document (from the body or branch name, else the most recently merged PR), with a comment.
   *
   * @param event The event payload file: a PR-opened event, a dispatch with input `docs_pr_number`, or any other event to sweep all open unassigned docs PRs.
   */
  @func({ cache: "never" })
  async assignDocsPr(event: File): Promise<string> {
    return (await assignDocsPrs(this.client(), await readEvent(event))).join("\n");
  }

  /**
   * Agentic docs sync for a push to the default branch: a model (through Dagger's LLM API) edits
   * docs/ and Markdown files to match the pushed changes, and the result is opened as a draft PR.
   * Without a model it does nothing and says so. Edits outside the docs are dropped.
   *
   * @param event The `push` event payload file ($GITHUB_EVENT_PATH).
   * @param model The LLM to use (e.g. claude-sonnet-4-5); empty means not configured.
   */
  @func({ cache: "never" })
  async updateDocs(event: File, model = ""): Promise<string> {
    if (!model.trim()) {
      return "update-docs: no model configured (pass --model, e.g. from the WVA_DOCS_MODEL repository variable); nothing done";
    }
    const payload = await readEvent(event);
    const sha: string | undefined = payload.after ?? payload.head_commit?.id;
    const base: string = payload.repository?.default_branch ?? "main";
    if (!sha || !/^[0-9a-f]{40}$/.test(sha)) throw new Error("not a push event: the payload has no commit SHA (after)");
    if (payload.ref !== `refs/heads/${base}`) return `update-docs: push to ${payload.ref}, not ${base}; nothing done`;

    const gh = this.client();
    const prs = await gh.pullsForCommit(sha);
    const prNumber = (prs.find((p) => p.merged_at) ?? prs[0])?.number;
    const commits: any[] = payload.commits ?? [];
    const changed = [...new Set(commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]))];

    const env = dag
      .env()
      .withDirectoryInput("source", this.source, "The repository at the pushed commit")
      .withDirectoryOutput("updated", "The repository with only documentation (docs/, *.md) updated");
    const updated = dag
      .llm({ model })
      .withEnv(env)
      .withPrompt(docsPrompt(changed, commits.map((c) => String(c.message ?? ""))))
      .loop()
      .env()
      .output("updated")
      .asDirectory();
    const cs = updated.changes(this.source);
    const [added, modified, removed] = await Promise.all([cs.addedPaths(), cs.modifiedPaths(), cs.removedPaths()]);
    const files = (ps: string[]) => ps.filter((p) => !p.endsWith("/"));
    const all = [...files(added), ...files(modified), ...files(removed)];
    const dropped = all.filter((p) => !isDocPath(p));
    const note = dropped.length ? ` (dropped edits outside the docs: ${dropped.join(", ")})` : "";
    const docs = all.filter(isDocPath);
    if (!docs.length) return `update-docs: the docs are up to date${note}`;

    const tree: GhTreeEntry[] = [];
    for (const p of [...files(added), ...files(modified)].filter(isDocPath)) {
      tree.push({ path: p, mode: "100644", type: "blob", content: await updated.file(p).contents() });
    }
    for (const p of files(removed).filter(isDocPath)) tree.push({ path: p, mode: "100644", type: "blob", sha: null });

    const text = docsPrText({ sha, prNumber, paths: docs });
    const t = await gh.createTree(sha, tree);
    const commit = await gh.createCommit(text.commitMessage, t.sha, [sha]);
    await gh.createBranch(text.branch, commit.sha);
    const pr = await gh.createPull({ title: text.title, head: text.branch, base, body: text.body, draft: true });
    return `update-docs: opened draft PR #${pr.number} (${text.branch}) changing ${docs.join(", ")}${note}`;
  }

  private client(): GitHubClient {
    return new GitHubClient(this.repository, () => this.token.plaintext(), this.apiUrl);
  }
}

async function readEvent(event: File): Promise<any> {
  const text = await event.contents();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("the event file is not JSON (pass --event \"$GITHUB_EVENT_PATH\")");
  }
}
