import { describe, expect, it } from "vitest";
import { crossBuildDockerfile, declaredArgs, firstStageName } from "../../dagger/src/lib/dockerfile.js";
import { upstreamFile } from "../upstream.js";

describe("crossBuildDockerfile", () => {
  it("puts WVA's builder stage on the build platform and leaves the rest of its Dockerfile alone", () => {
    const original = upstreamFile("Dockerfile");
    const { text, changed } = crossBuildDockerfile(original);
    expect(changed).toBe(true);
    const diff = text.split("\n").filter((l, i) => l !== original.split("\n")[i]);
    expect(diff).toEqual(["FROM --platform=$BUILDPLATFORM quay.io/projectquay/golang:1.24 AS builder"]);
    expect(text.split("\n").length).toBe(original.split("\n").length);
    expect(firstStageName(text)).toBe("builder");
  });

  it("keeps a first stage that already names a platform", () => {
    const src = "FROM --platform=${BUILDPLATFORM} golang:1.24 AS b\nFROM scratch\n";
    expect(crossBuildDockerfile(src)).toEqual({ text: src, changed: false });
  });

  it("changes only the first FROM, after comments and ARGs", () => {
    const src = "# syntax=docker/dockerfile:1\nARG GO=1.24\nfrom golang:${GO}\nFROM scratch\n";
    expect(crossBuildDockerfile(src).text).toBe(
      "# syntax=docker/dockerfile:1\nARG GO=1.24\nfrom --platform=$BUILDPLATFORM golang:${GO}\nFROM scratch\n",
    );
    expect(firstStageName(src)).toBeUndefined();
  });

  it("refuses a Dockerfile without FROM", () => {
    expect(() => crossBuildDockerfile("RUN true\n")).toThrow(/no FROM/);
  });
});

describe("declaredArgs", () => {
  it("lists the ARGs a Dockerfile declares, once each", () => {
    expect(declaredArgs("ARG GO=1.24\nFROM golang:${GO}\nARG TARGETOS\nARG VERSION=dev\narg TARGETOS\n")).toEqual(["GO", "TARGETOS", "VERSION"]);
    expect(declaredArgs(upstreamFile("Dockerfile"))).toEqual(["TARGETOS", "TARGETARCH"]);
  });
});
