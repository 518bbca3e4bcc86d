/**
 * A repository's Dockerfile made to cross-build, the way kubebuilder's `docker-buildx` target does:
 * the first stage (the builder) runs on the build platform, so `go build` cross-compiles with the
 * TARGETOS/TARGETARCH the Dockerfile passes it instead of running under emulation. Pure functions.
 *
 * The build platform is written out literally (`FROM --platform=linux/amd64 …`): Dagger's
 * `dockerBuild` gives the frontend the target platform only, so there `$BUILDPLATFORM` is the
 * target platform and `FROM --platform=$BUILDPLATFORM` would still run the builder emulated.
 */

const BUILDPLATFORM = /\$\{BUILDPLATFORM\}|\$BUILDPLATFORM\b/g;

/**
 * The Dockerfile with its builder on `buildPlatform` (the engine's own platform, e.g. linux/amd64):
 * `--platform=<buildPlatform>` on the first FROM unless that FROM already names a platform, and
 * `$BUILDPLATFORM` / `${BUILDPLATFORM}` in any FROM's `--platform` replaced by it.
 */
export function crossBuildDockerfile(text: string, buildPlatform: string): { text: string; changed: boolean } {
  if (!/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(buildPlatform)) throw new Error(`not a build platform: ${buildPlatform}`);
  const lines = text.split("\n");
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*FROM)(\s+)(.*)$/i.exec(lines[i]);
    if (!m) continue;
    if (/(^|\s)--platform[=\s]/i.test(m[3])) {
      lines[i] = lines[i].replace(BUILDPLATFORM, buildPlatform);
    } else if (first) {
      lines[i] = `${m[1]} --platform=${buildPlatform}${m[2]}${m[3]}`;
    }
    first = false;
  }
  if (first) throw new Error("the Dockerfile has no FROM instruction");
  const out = lines.join("\n");
  return { text: out, changed: out !== text };
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
