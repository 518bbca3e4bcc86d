/**
 * Release naming rules: which git tags are releases, what chart version and image tags they
 * give, when `latest` moves, and how image references split into registry host and repository.
 */
import semver from "semver";

/** The form a release tag must have, shown in every rejection. */
export const TAG_FORM = "expected vMAJOR.MINOR.PATCH[-PRERELEASE], e.g. v0.4.1 or v0.5.0-rc.1";

/** What a valid release tag means for the release. */
export interface ReleaseTag {
  /** The tag as given, e.g. `v0.4.1`; also the image tag and the chart's appVersion. */
  tag: string;
  /** The semantic version without the `v`, e.g. `0.4.1`; also the chart version. */
  version: string;
  /** Chart.yaml `version`: the tag without `v`. */
  chartVersion: string;
  /** Chart.yaml `appVersion`: the tag itself. */
  appVersion: string;
  /** True when the tag has a prerelease part (`-rc.1`, `-test`, …). */
  prerelease: boolean;
  /** True for `v*-test` tags: a rehearsal release that never moves `latest`. */
  test: boolean;
}

/**
 * Parses a release tag. Accepts exactly `v` + a strict semantic version without build metadata
 * (`+…` cannot appear in an image tag); throws an error that shows the expected form otherwise.
 */
export function parseReleaseTag(tag: string): ReleaseTag {
  const reject = (why: string): never => {
    throw new Error(`invalid release tag "${tag}": ${why}; ${TAG_FORM}`);
  };
  if (!tag.startsWith("v")) reject("a release tag starts with v");
  const version = tag.slice(1);
  const parsed = semver.parse(version);
  if (!parsed) reject("not a semantic version");
  // semver.parse tolerates a second "v", "=" or surrounding spaces; the tag must be the version verbatim.
  if (parsed!.version !== version) reject("build metadata and extra characters are not allowed");
  return {
    tag,
    version,
    chartVersion: version,
    appVersion: tag,
    prerelease: parsed!.prerelease.length > 0,
    test: tag.endsWith("-test"),
  };
}

/** True when `tag` is a valid release tag (see parseReleaseTag). */
export function isReleaseTag(tag: string): boolean {
  try {
    parseReleaseTag(tag);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether publishing `tag` should move `latest`: only a stable tag (no prerelease) that is at
 * least as high as every stable release among `existing` (tags that are not releases, such as
 * `latest`, `main` or `sha-…`, are ignored). Re-publishing the highest release keeps it on `latest`.
 */
export function movesLatest(tag: string, existing: string[]): boolean {
  return latestDecision(tag, existing).moves;
}

/** Whether `latest` moves for `tag`, and why, in words for the release summary. */
export function latestDecision(tag: string, existing: string[]): { moves: boolean; reason: string } {
  const t = parseReleaseTag(tag);
  if (t.test) return { moves: false, reason: "test release" };
  if (t.prerelease) return { moves: false, reason: "prerelease" };
  const higher = existing
    .filter(isReleaseTag)
    .filter((e) => !parseReleaseTag(e).prerelease && semver.gt(parseReleaseTag(e).version, t.version))
    .sort((a, b) => semver.rcompare(a.slice(1), b.slice(1)));
  if (higher.length) return { moves: false, reason: `${higher[0]} is higher` };
  return { moves: true, reason: "highest stable release" };
}

/** The image tags a release publishes: the tag itself, plus `latest` when movesLatest says so. */
export function imageTags(tag: string, existing: string[]): string[] {
  return movesLatest(tag, existing) ? [tag, "latest"] : [tag];
}

/** An image repository reference split into registry host and path. */
export interface ImageRepo {
  /** Registry host (with port), e.g. `ghcr.io` or `localhost:5000`; `docker.io` when the reference has none. */
  host: string;
  /** Repository path inside the registry, e.g. `llm-d-incubation/workload-variant-autoscaler`. */
  path: string;
}

/** A registry host as the distribution reference grammar allows it: DNS labels or an IPv4 address, optional port. */
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$/;
/** One path component of a repository: lowercase alphanumerics joined by `.`, `_`, `__` or dashes. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Splits `ghcr.io/org/name` into host and path the way Docker does: the first component is a
 * host when it contains `.` or `:` or is `localhost`; otherwise the reference is on Docker Hub.
 * Validates the reference against the distribution grammar (lowercase path components, a valid
 * host, no tag, digest or URL scheme other than `oci://`) and throws a message that says what to
 * change; `what` names the argument in that message (e.g. `--image-repository`).
 */
export function parseRepository(ref: string, what = "repository"): ImageRepo {
  const fail = (why: string): never => {
    throw new Error(`${what} ${JSON.stringify(ref)} is not a valid repository reference: ${why}`);
  };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(ref);
  if (scheme && scheme[1] !== "oci") {
    fail(`drop the ${scheme[1]}:// scheme and give host/path${what.includes("chart") ? " (or oci://host/path)" : ""}, e.g. ghcr.io/llm-d/workload-variant-autoscaler`);
  }
  const trimmed = ref.replace(/^oci:\/\//, "").replace(/\/+$/, "");
  if (!trimmed) fail("it is empty; give host/path, e.g. ghcr.io/llm-d/workload-variant-autoscaler");
  if (/\s/.test(trimmed)) fail("it contains white space");
  const [first, ...rest] = trimmed.split("/");
  const isHost = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const host = isHost ? first : "docker.io";
  const path = isHost ? rest.join("/") : trimmed;
  if (isHost && !HOST.test(host)) fail(`registry host ${JSON.stringify(host)} is not a host[:port]`);
  if (path.includes("@")) fail("it carries a digest; give the repository without @sha256:…");
  const parts = path.split("/");
  if (parts.some((p) => p.includes(":"))) fail("it carries a tag; give the repository without :tag (the tag is a separate argument)");
  if (parts.some((p) => !p)) fail("it has an empty path component (//)");
  const upper = parts.find((p) => /[A-Z]/.test(p));
  if (upper !== undefined) fail(`repository names are lowercase; use ${JSON.stringify([...(isHost ? [host] : []), ...parts.map((p) => p.toLowerCase())].join("/"))}`);
  const bad = parts.find((p) => !COMPONENT.test(p));
  if (bad !== undefined) fail(`path component ${JSON.stringify(bad)} may only have lowercase letters, digits and single . _ __ or - between them`);
  return { host, path };
}

/** The registry host of an image repository or OCI chart repository reference. */
export function registryHost(ref: string): string {
  return parseRepository(ref).host;
}

/** An OCI repository as helm wants it: `oci://host/path`, scheme added when missing, no trailing slash. */
export function ociRepository(registry: string): string {
  const r = registry.replace(/\/+$/, "");
  return r.startsWith("oci://") ? r : `oci://${r}`;
}
