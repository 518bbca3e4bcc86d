/**
 * The input checks of the release and publish functions as pure functions: joined list
 * arguments, controller-image platforms, image references, and the message of a half-finished release.
 */
import { describe, expect, test } from "vitest";
import { imageTagList, listArgument } from "../../dagger/src/lib/args.js";
import { imagePlatform, imagePlatforms } from "../../dagger/src/lib/platform.js";
import { parseRepository } from "../../dagger/src/lib/tags.js";
import { partialReleaseMessage } from "../../dagger/src/lib/release-messages.js";

describe("listArgument", () => {
  test.each<[string[], string[]]>([
    [["v0.4.0 v0.3.0"], ["v0.4.0", "v0.3.0"]],
    [["v0.4.0,v0.3.0"], ["v0.4.0", "v0.3.0"]],
    [[" v0.4.0 ,\tv0.3.0\n"], ["v0.4.0", "v0.3.0"]],
    [["v0.4.0", "v0.3.0 latest"], ["v0.4.0", "v0.3.0", "latest"]],
    [["a", "a"], ["a", "a"]],
    [[""], []],
    [[], []],
  ])("%j → %j", (given, want) => {
    expect(listArgument(given)).toEqual(want);
  });

  test("image tags are checked after the split, naming the argument", () => {
    expect(imageTagList(["v0.4.1", "latest", "sha-1a2b"], "--tags")).toEqual(["v0.4.1", "latest", "sha-1a2b"]);
    expect(() => imageTagList(["v1", ".hidden"], "--existing-tags")).toThrow(/--existing-tags: invalid image tag ".hidden"/);
    expect(() => imageTagList(["x".repeat(129)], "--tags")).toThrow(/invalid image tag/);
  });
});

describe("controller image platforms", () => {
  test.each(["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/ppc64le", "linux/s390x"])("%s is accepted", (p) => {
    expect(imagePlatform(p).goos).toBe("linux");
  });

  test.each<[string, RegExp]>([
    ["windows/amd64", /OS must be linux \(got "windows"\); use linux\/<arch>, e.g. --platforms linux\/amd64,linux\/arm64/],
    ["darwin/arm64", /OS must be linux/],
    ["linux/sparc", /unsupported architecture "sparc"/],
    ["linux/386", /no controller image for architecture "386"/],
    ["linux/amd64/v3", /a variant is only meaningful for linux\/arm/],
    ["linux/arm/v5", /linux\/arm variants are v6 and v7/],
    ["linux", /os\/arch/],
  ])("%s is refused: %s", (p, why) => {
    expect(() => imagePlatform(p)).toThrow(why);
  });

  test("a list: at least one, no duplicates", () => {
    expect(imagePlatforms(["linux/amd64", "linux/arm64"])).toEqual(["linux/amd64", "linux/arm64"]);
    expect(() => imagePlatforms([])).toThrow(/no platforms given; pass e.g. --platforms/);
    expect(() => imagePlatforms(["linux/amd64", "linux/amd64"])).toThrow(/given twice/);
  });
});

describe("image references", () => {
  test.each<[string, RegExp]>([
    ["ghcr.io/LLM-D/wva", /repository names are lowercase; use "ghcr.io\/llm-d\/wva"/],
    ["Wva", /lowercase; use "wva"/],
    ["https://ghcr.io/llm-d/wva", /drop the https:\/\/ scheme/],
    ["http://localhost:5000/wva", /drop the http:\/\/ scheme/],
    ["ghcr.io/llm-d/wva:v1", /carries a tag/],
    ["ghcr.io/llm-d/wva@sha256:abc", /carries a digest/],
    ["ghcr.io/llm-d/-wva", /path component "-wva" may only/],
    ["ghcr.io/llm-d/wva..x", /path component "wva..x"/],
    ["gh_cr.io/x/y", /registry host "gh_cr.io" is not a host/],
    ["ghcr.io//x", /empty path component/],
    ["", /it is empty/],
  ])("%j is refused: %s", (ref, why) => {
    expect(() => parseRepository(ref, "--image-repository")).toThrow(why);
    expect(() => parseRepository(ref, "--image-repository")).toThrow(/^--image-repository /);
  });

  test.each([
    ["ghcr.io/llm-d/llm-d-workload-variant-autoscaler", "ghcr.io", "llm-d/llm-d-workload-variant-autoscaler"],
    ["registry.example.com:5443/team/wva_x.y__z", "registry.example.com:5443", "team/wva_x.y__z"],
    ["oci://ghcr.io/llm-d", "ghcr.io", "llm-d"],
  ])("%s is valid", (ref, host, path) => {
    expect(parseRepository(ref)).toEqual({ host, path });
  });

  test("a chart registry with a scheme is told about oci://", () => {
    expect(() => parseRepository("https://ghcr.io/llm-d", "--chart-registry")).toThrow(/\(or oci:\/\/host\/path\)/);
  });
});

describe("a half-finished release", () => {
  const plan = {
    tag: "v0.5.1", dryRun: false, imageRepository: "ghcr.io/o/wva", chartRegistry: "oci://ghcr.io/o/charts",
    username: "bot", password: true, plainHttp: true, registryService: undefined,
  };
  test("lists the published image references and the command that finishes it", () => {
    const msg = partialReleaseMessage(plan, ["ghcr.io/o/wva:v0.5.1@sha256:aa", "ghcr.io/o/wva:latest@sha256:aa"], new Error("403 Forbidden"));
    expect(msg.split("\n")).toEqual([
      "release v0.5.1 is half done: the image is published, the chart is not.",
      "published:",
      "  image ghcr.io/o/wva:v0.5.1@sha256:aa",
      "  image ghcr.io/o/wva:latest@sha256:aa",
      "not published: the chart (oci://ghcr.io/o/charts): 403 Forbidden",
      "fix the cause above, then finish the release (the image is reused, not pushed again):",
      "  dagger call release --tag v0.5.1 --reuse-image --image-repository ghcr.io/o/wva --chart-registry oci://ghcr.io/o/charts --username bot --password <the same secret, e.g. env://CR_TOKEN> --plain-http",
    ]);
  });
  test("a dry run has nothing to finish; a reused image was not published by this run", () => {
    expect(partialReleaseMessage({ ...plan, dryRun: true }, ["localhost:5000/o/wva:v0.5.1@sha256:aa"], "boom")).not.toContain("dagger call");
    expect(partialReleaseMessage(plan, [], "boom")).toBe("the chart push failed: boom");
  });
});
