/**
 * The few shell scripts the release runs inside containers. Each is a constant: every value
 * arrives through environment variables or "$@", and secrets only through secret variables
 * (REGISTRY_PASSWORD, GIT_TOKEN), so no token is ever part of an argument, a script or a layer.
 */

/**
 * Logs helm in to "$REGISTRY_HOST" when REGISTRY_PASSWORD is set (password on stdin; over plain
 * HTTP when REGISTRY_PLAIN_HTTP=true), then runs "$@". The credentials file lives on a tmpfs ($HELM_REGISTRY_CONFIG), not in the container's layer.
 */
export const HELM_LOGIN_THEN = `set -eu
export HELM_REGISTRY_CONFIG="\${REGISTRY_AUTH_DIR:-/run/registry-auth}/config.json"
if [ -n "\${REGISTRY_PASSWORD:-}" ]; then
  plain=""
  if [ "\${REGISTRY_PLAIN_HTTP:-false}" = true ]; then plain=--plain-http; fi
  printf '%s' "$REGISTRY_PASSWORD" | helm registry login "$REGISTRY_HOST" --username "\${REGISTRY_USER:?REGISTRY_USER is required with a password}" --password-stdin $plain >/dev/null
fi
exec "$@"`;

/** The same for crane: DOCKER_CONFIG on a tmpfs, `crane auth login` when a password is set, then "$@". */
export const CRANE_LOGIN_THEN = `set -eu
export DOCKER_CONFIG="\${REGISTRY_AUTH_DIR:-/run/registry-auth}"
if [ -n "\${REGISTRY_PASSWORD:-}" ]; then
  printf '%s' "$REGISTRY_PASSWORD" | crane auth login "$REGISTRY_HOST" --username "\${REGISTRY_USER:?REGISTRY_USER is required with a password}" --password-stdin >/dev/null
fi
exec "$@"`;

/** Where registry credentials live while a command runs (a tmpfs mount). */
export const REGISTRY_AUTH_DIR = "/run/registry-auth";

/**
 * Commits the chart files in $UPDATE_DIR (default /update; names in $FILES) to $CHART_PATH of $REPO_URL on branch
 * $BRANCH and pushes. With GIT_TOKEN set, git authenticates with an HTTP header built here, in
 * the shell (`-c http.extraheader`, never stored in .git/config). Prints `pushed <sha>`, or
 * `unchanged <sha>` when the branch already has these files. A rejected push fails the script.
 */
export const COMMIT_CHART = `set -eu
auth=""
if [ -n "\${GIT_TOKEN:-}" ]; then
  auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GIT_TOKEN" | base64 | tr -d '\\n')"
fi
g() { if [ -n "$auth" ]; then git -c http.extraheader="$auth" "$@"; else git "$@"; fi; }
src=\${UPDATE_DIR:-/update}
dir=\${WORK_DIR:-/run/commit}/repo
g clone --quiet --depth 1 --branch "$BRANCH" "$REPO_URL" "$dir"
cd "$dir"
mkdir -p "$CHART_PATH"
for f in $FILES; do
  cp "$src/$f" "$CHART_PATH/$f"
  git add -- "$CHART_PATH/$f"
done
if git diff --cached --quiet; then
  echo "unchanged $(git rev-parse HEAD)"
  exit 0
fi
git -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL" commit --quiet --signoff -m "$MESSAGE"
g push --quiet origin "HEAD:refs/heads/$BRANCH"
echo "pushed $(git rev-parse HEAD)"`;

/** A value unique to each call: set as an environment variable, it keeps a side-effecting command out of the engine's cache. */
export function runId(): string {
  return `${new Date().toISOString()}-${Math.random().toString(36).slice(2, 10)}`;
}
