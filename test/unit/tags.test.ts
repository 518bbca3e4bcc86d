import { describe, expect, test } from "vitest";
import {
  TAG_FORM,
  imageTags,
  latestDecision,
  movesLatest,
  parseReleaseTag,
  parseRepository,
  registryHost,
} from "../../dagger/src/lib/tags.js";

describe("release tags", () => {
  test.each([
    ["v0.4.1", { version: "0.4.1", chartVersion: "0.4.1", appVersion: "v0.4.1", prerelease: false, test: false }],
    ["v0.4.1-rc.1", { version: "0.4.1-rc.1", chartVersion: "0.4.1-rc.1", appVersion: "v0.4.1-rc.1", prerelease: true, test: false }],
    ["v0.5.0-rc-1", { version: "0.5.0-rc-1", chartVersion: "0.5.0-rc-1", appVersion: "v0.5.0-rc-1", prerelease: true, test: false }],
    ["v1.0.0-test", { version: "1.0.0-test", chartVersion: "1.0.0-test", appVersion: "v1.0.0-test", prerelease: true, test: true }],
    ["v0.4.1-rc.1-test", { version: "0.4.1-rc.1-test", chartVersion: "0.4.1-rc.1-test", appVersion: "v0.4.1-rc.1-test", prerelease: true, test: true }],
    ["v10.20.30", { version: "10.20.30", chartVersion: "10.20.30", appVersion: "v10.20.30", prerelease: false, test: false }],
  ])("%s is a release tag", (tag, want) => {
    expect(parseReleaseTag(tag)).toEqual({ tag, ...want });
  });

  test.each([
    ["0.4.1", /starts with v/],
    ["v0.4", /not a semantic version/],
    ["v01.2.3", /not a semantic version/],
    ["v1.02.3", /not a semantic version/],
    ["vfoo", /not a semantic version/],
    ["latest", /starts with v/],
    ["", /starts with v/],
    ["vv0.4.1", /build metadata and extra characters|not a semantic version/],
    ["v=0.4.1", /build metadata and extra characters|not a semantic version/],
    ["v0.4.1+build.5", /build metadata/],
    [" v0.4.1", /starts with v/],
    ["v0.4.1 ", /not a semantic version|extra characters/],
    ["V0.4.1", /starts with v/],
    ["v1.0.0-", /not a semantic version/],
  ])("%j is rejected with the expected form", (tag, why) => {
    let message = "";
    try {
      parseReleaseTag(tag);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(why);
    expect(message).toContain(TAG_FORM);
    expect(message).toContain(`"${tag}"`);
  });

  test("the message shows the expected form with examples", () => {
    expect(() => parseReleaseTag("v0.4")).toThrow(
      'invalid release tag "v0.4": not a semantic version; expected vMAJOR.MINOR.PATCH[-PRERELEASE], e.g. v0.4.1 or v0.5.0-rc.1',
    );
  });
});

describe("latest", () => {
  const history = ["v0.3.0", "v0.4.0", "v0.4.1", "latest", "main", "sha-abc1234", "v0.5.0-rc.1"];

  test.each<[string, string[], boolean]>([
    // First release ever, and non-release tags only.
    ["v0.1.0", [], true],
    ["v0.1.0", ["latest", "main", "pr-12"], true],
    // A newer patch, minor or major moves latest.
    ["v0.4.2", history, true],
    ["v0.5.0", history, true],
    ["v1.0.0", history, true],
    // Re-publishing the highest release keeps latest on it.
    ["v0.4.1", history, true],
    // An older patch or minor (a backport) never moves it.
    ["v0.4.0", history, false],
    ["v0.3.1", history, false],
    ["v0.3.1", ["v0.3.0", "v0.4.0"], false],
    // Prereleases and test releases never move it, even above every release.
    ["v0.5.0-rc.1", history, false],
    ["v0.6.0-rc-1", history, false],
    ["v9.0.0-test", history, false],
    ["v0.1.0-rc.1", [], false],
    // Existing prereleases do not hold back a stable release, even a higher one.
    ["v0.5.0", ["v0.4.1", "v0.6.0-rc.1"], true],
    // Semantic, not lexical, ordering: v0.10.0 > v0.9.0.
    ["v0.10.0", ["v0.9.0", "v0.2.0"], true],
    ["v0.9.1", ["v0.10.0"], false],
    // Invalid existing tags (no v, leading zeros) are not releases and are ignored.
    ["v0.2.0", ["0.9.0", "v01.0.0", "v0.1.0"], true],
  ])("%s against %j: moves latest = %s", (tag, existing, want) => {
    expect(movesLatest(tag, existing)).toBe(want);
    expect(imageTags(tag, existing)).toEqual(want ? [tag, "latest"] : [tag]);
  });

  test("a bad tag is refused, not judged", () => {
    expect(() => movesLatest("0.4.1", [])).toThrow(TAG_FORM);
    expect(() => imageTags("latest", [])).toThrow(TAG_FORM);
  });
});

describe("repositories", () => {
  test.each([
    ["ghcr.io/llm-d-incubation/workload-variant-autoscaler", "ghcr.io", "llm-d-incubation/workload-variant-autoscaler"],
    ["oci://ghcr.io/llm-d-incubation/charts", "ghcr.io", "llm-d-incubation/charts"],
    ["localhost:5000/wva", "localhost:5000", "wva"],
    ["127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b"],
    ["localhost/wva", "localhost", "wva"],
    ["library/busybox", "docker.io", "library/busybox"],
    ["busybox", "docker.io", "busybox"],
  ])("%s", (ref, host, path) => {
    expect(parseRepository(ref)).toEqual({ host, path });
    expect(registryHost(ref)).toBe(host);
  });

  test.each(["", "ghcr.io/org/name:v1", "ghcr.io/org/name@sha256:abc", "ghcr.io//x", "a b/c"])(
    "%j is not a repository",
    (ref) => {
      expect(() => parseRepository(ref)).toThrow();
    },
  );
});

describe("latestDecision explains itself", () => {
  test.each<[string, string[], { moves: boolean; reason: string }]>([
    ["v0.5.0", ["v0.4.1"], { moves: true, reason: "highest stable release" }],
    ["v0.4.2", ["v0.4.1", "v0.5.0", "v0.10.0", "v0.6.0"], { moves: false, reason: "v0.10.0 is higher" }],
    ["v0.6.0-rc.1", [], { moves: false, reason: "prerelease" }],
    ["v0.6.0-test", [], { moves: false, reason: "test release" }],
  ])("%s against %j", (tag, existing, want) => {
    expect(latestDecision(tag, existing)).toEqual(want);
  });
});
