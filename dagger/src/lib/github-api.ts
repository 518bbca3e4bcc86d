/**
 * A small GitHub REST client on `fetch`, with only the calls the repository automation makes.
 *
 * The token is read through `token()` at the moment of each request and sent only in the
 * Authorization header; errors name the method, path and status, never the token.
 */

/** Reads the API token when a request is about to be sent. */
export type TokenSource = () => Promise<string>;

/** A GitHub user as the API returns it (only the fields used here). */
export interface GhUser {
  login: string;
  type?: string;
}

/** A label as the API returns it. */
export interface GhLabel {
  name: string;
}

/** An issue or pull request, seen through the issues API. */
export interface GhIssue {
  number: number;
  title: string;
  body?: string | null;
  state: "open" | "closed";
  user: GhUser;
  labels: GhLabel[];
  assignees?: GhUser[];
  locked?: boolean;
  /** Present when the issue is a pull request. */
  pull_request?: unknown;
}

/** A pull request through the pulls API. */
export interface GhPull {
  number: number;
  title: string;
  body?: string | null;
  state: "open" | "closed";
  draft?: boolean;
  user: GhUser;
  labels: GhLabel[];
  assignees?: GhUser[];
  merged_at?: string | null;
  head: { ref: string; sha: string };
  base: { ref: string };
  html_url?: string;
}

/** The combined commit status (legacy statuses API). */
export interface GhCombinedStatus {
  state: "success" | "pending" | "failure" | "error";
  total_count: number;
  statuses: { context: string; state: string }[];
}

/** One check run on a commit. */
export interface GhCheckRun {
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
}

/** A milestone. */
export interface GhMilestone {
  number: number;
  title: string;
}

/** One entry of a git tree to create: a text file's new content, or `sha: null` to delete it. */
export type GhTreeEntry =
  | { path: string; mode: "100644"; type: "blob"; content: string }
  | { path: string; mode: "100644"; type: "blob"; sha: null };

/** An HTTP error from the API: status and GitHub's message, no credentials. */
export class GitHubApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly apiMessage: string,
  ) {
    super(`GitHub API ${method} ${path} failed: ${status} ${apiMessage}`);
  }
}

/** The calls the automation makes, bound to one repository (`owner/name`). */
export class GitHubClient {
  constructor(
    readonly repository: string,
    private readonly token: TokenSource,
    readonly apiUrl = "https://api.github.com",
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) {
      throw new Error(`repository must be owner/name, got ${JSON.stringify(repository)}`);
    }
  }

  /** Sends one request; returns the parsed JSON body (undefined for 204). */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const url = this.apiUrl.replace(/\/+$/, "") + path;
    const headers: Record<string, string> = {
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": "wva-dagger-automation",
      authorization: `Bearer ${await this.token()}`,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await this.fetchFn(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = JSON.parse(text).message ?? text;
      } catch {
        /* not JSON: keep the text */
      }
      throw new GitHubApiError(method, path, res.status, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private repo(path: string): string {
    return `/repos/${this.repository}${path}`;
  }

  /** The user's role on the repository: admin, maintain, write, triage, read or none. */
  async permission(user: string): Promise<string> {
    try {
      const r = await this.request<{ permission: string; role_name?: string }>(
        "GET",
        this.repo(`/collaborators/${encodeURIComponent(user)}/permission`),
      );
      return r.role_name || r.permission || "none";
    } catch (e) {
      if (e instanceof GitHubApiError && e.status === 404) return "none";
      throw e;
    }
  }

  getIssue(n: number): Promise<GhIssue> {
    return this.request("GET", this.repo(`/issues/${n}`));
  }

  getPull(n: number): Promise<GhPull> {
    return this.request("GET", this.repo(`/pulls/${n}`));
  }

  /** Open issues and pull requests carrying all of `labels`. */
  listOpenIssuesWithLabels(labels: string[]): Promise<GhIssue[]> {
    const q = encodeURIComponent(labels.join(","));
    return this.request("GET", this.repo(`/issues?state=open&labels=${q}&per_page=100`));
  }

  listOpenPulls(): Promise<GhPull[]> {
    return this.request("GET", this.repo(`/pulls?state=open&per_page=100`));
  }

  /** Recently updated closed pull requests, newest first. */
  listClosedPulls(): Promise<GhPull[]> {
    return this.request("GET", this.repo(`/pulls?state=closed&sort=updated&direction=desc&per_page=30`));
  }

  /** Pull requests that contain a commit (the merged PR of a push to main). */
  pullsForCommit(sha: string): Promise<GhPull[]> {
    return this.request("GET", this.repo(`/commits/${sha}/pulls`));
  }

  addLabels(n: number, labels: string[]): Promise<unknown> {
    return this.request("POST", this.repo(`/issues/${n}/labels`), { labels });
  }

  /** Removes a label; a label that is not there is not an error. */
  async removeLabel(n: number, label: string): Promise<void> {
    try {
      await this.request("DELETE", this.repo(`/issues/${n}/labels/${encodeURIComponent(label)}`));
    } catch (e) {
      if (!(e instanceof GitHubApiError && e.status === 404)) throw e;
    }
  }

  addAssignees(n: number, assignees: string[]): Promise<unknown> {
    return this.request("POST", this.repo(`/issues/${n}/assignees`), { assignees });
  }

  removeAssignees(n: number, assignees: string[]): Promise<unknown> {
    return this.request("DELETE", this.repo(`/issues/${n}/assignees`), { assignees });
  }

  /** Changes title, state or milestone (null clears it). */
  updateIssue(
    n: number,
    fields: { title?: string; state?: "open" | "closed"; milestone?: number | null },
  ): Promise<unknown> {
    return this.request("PATCH", this.repo(`/issues/${n}`), fields);
  }

  lock(n: number): Promise<unknown> {
    return this.request("PUT", this.repo(`/issues/${n}/lock`));
  }

  listMilestones(): Promise<GhMilestone[]> {
    return this.request("GET", this.repo(`/milestones?state=open&per_page=100`));
  }

  requestReviewers(n: number, reviewers: string[]): Promise<unknown> {
    return this.request("POST", this.repo(`/pulls/${n}/requested_reviewers`), { reviewers });
  }

  removeReviewers(n: number, reviewers: string[]): Promise<unknown> {
    return this.request("DELETE", this.repo(`/pulls/${n}/requested_reviewers`), { reviewers });
  }

  comment(n: number, body: string): Promise<unknown> {
    return this.request("POST", this.repo(`/issues/${n}/comments`), { body });
  }

  combinedStatus(sha: string): Promise<GhCombinedStatus> {
    return this.request("GET", this.repo(`/commits/${sha}/status`));
  }

  async checkRuns(sha: string): Promise<GhCheckRun[]> {
    const r = await this.request<{ check_runs: GhCheckRun[] }>(
      "GET",
      this.repo(`/commits/${sha}/check-runs?per_page=100`),
    );
    return r.check_runs;
  }

  /** Merges a PR only if its head is still `sha` (a newer push makes GitHub refuse). */
  merge(n: number, sha: string, mergeMethod: string): Promise<unknown> {
    return this.request("PUT", this.repo(`/pulls/${n}/merge`), { sha, merge_method: mergeMethod });
  }

  createTree(baseTree: string, tree: GhTreeEntry[]): Promise<{ sha: string }> {
    return this.request("POST", this.repo(`/git/trees`), { base_tree: baseTree, tree });
  }

  createCommit(message: string, tree: string, parents: string[]): Promise<{ sha: string }> {
    return this.request("POST", this.repo(`/git/commits`), { message, tree, parents });
  }

  createBranch(branch: string, sha: string): Promise<unknown> {
    return this.request("POST", this.repo(`/git/refs`), { ref: `refs/heads/${branch}`, sha });
  }

  createPull(p: { title: string; head: string; base: string; body: string; draft: boolean }): Promise<GhPull> {
    return this.request("POST", this.repo(`/pulls`), p);
  }
}
