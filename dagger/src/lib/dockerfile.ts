/**
 * A repository's Dockerfile made to cross-build, the way kubebuilder's `docker-buildx` target does:
 * the first stage (the builder) runs on the build platform, so `go build` cross-compiles with the
 * TARGETOS/TARGETARCH the Dockerfile passes it instead of running under emulation. Pure functions.
 */

/** The Dockerfile with `--platform=$BUILDPLATFORM` on its first FROM, unless that FROM already names a platform. */
export function crossBuildDockerfile(text: string): { text: string; changed: boolean } {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*FROM)(\s+)(.*)$/i.exec(lines[i]);
    if (!m) continue;
    if (/(^|\s)--platform[=\s]/i.test(m[3])) return { text, changed: false };
    lines[i] = `${m[1]} --platform=$BUILDPLATFORM${m[2]}${m[3]}`;
    return { text: lines.join("\n"), changed: true };
  }
  throw new Error("the Dockerfile has no FROM instruction");
}

/** The name of the first stage (`FROM … AS builder` → `builder`), if it has one. */
export function firstStageName(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const m = /^\s*FROM\s+.*?\s+AS\s+(\S+)\s*$/i.exec(line);
    if (m) return m[1];
    if (/^\s*FROM\s/i.test(line)) return undefined;
  }
  return undefined;
}

/** The build arguments the Dockerfile declares (`ARG NAME` / `ARG NAME=default`), in order. */
export function declaredArgs(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(line);
    if (m && !names.includes(m[1])) names.push(m[1]);
  }
  return names;
}
