import { describe, expect, it } from "vitest";
import { crossBuildDockerfile, declaredArgs, firstStageName } from "../../dagger/src/lib/dockerfile.js";
import { upstreamFile } from "../upstream.js";

describe("crossBuildDockerfile", () => {
  it("puts WVA's builder stage on the build platform and leaves the rest of its Dockerfile alone", () => {
    const original = upstreamFile("Dockerfile");
    const { text, changed } = crossBuildDockerfile(original, "linux/amd64");
    expect(changed).toBe(true);
    const diff = text.split("\n").filter((l, i) => l !== original.split("\n")[i]);
    expect(diff).toEqual(["FROM --platform=linux/amd64 quay.io/projectquay/golang:1.24 AS builder"]);
    expect(text.split("\n").length).toBe(original.split("\n").length);
    expect(firstStageName(text)).toBe("builder");
  });

  it("keeps a stage that names a fixed platform", () => {
    const src = "FROM --platform=linux/arm64 golang:1.24 AS b\nFROM scratch\n";
    expect(crossBuildDockerfile(src, "linux/amd64")).toEqual({ text: src, changed: false });
  });

  it("writes the build platform out where the Dockerfile says $BUILDPLATFORM (Dagger's dockerBuild sets it to the target)", () => {
    const src = "FROM --platform=${BUILDPLATFORM} golang:1.24 AS b\nFROM --platform=$BUILDPLATFORM alpine AS tools\nFROM scratch\n";
    expect(crossBuildDockerfile(src, "linux/arm64")).toEqual({
      text: "FROM --platform=linux/arm64 golang:1.24 AS b\nFROM --platform=linux/arm64 alpine AS tools\nFROM scratch\n",
      changed: true,
    });
  });

  it("refuses a build platform that is not os/arch", () => {
    expect(() => crossBuildDockerfile("FROM scratch\n", "$(evil)")).toThrow(/not a build platform/);
  });

  it("changes only the first FROM, after comments and ARGs", () => {
    const src = "# syntax=docker/dockerfile:1\nARG GO=1.24\nfrom golang:${GO}\nFROM scratch\n";
    expect(crossBuildDockerfile(src, "linux/amd64").text).toBe(
      "# syntax=docker/dockerfile:1\nARG GO=1.24\nfrom --platform=linux/amd64 golang:${GO}\nFROM scratch\n",
    );
    expect(firstStageName(src)).toBeUndefined();
  });

  it("refuses a Dockerfile without FROM", () => {
    expect(() => crossBuildDockerfile("RUN true\n", "linux/amd64")).toThrow(/no FROM/);
  });
});

describe("declaredArgs", () => {
  it("lists the ARGs a Dockerfile declares, once each", () => {
    expect(declaredArgs("ARG GO=1.24\nFROM golang:${GO}\nARG TARGETOS\nARG VERSION=dev\narg TARGETOS\n")).toEqual(["GO", "TARGETOS", "VERSION"]);
    expect(declaredArgs(upstreamFile("Dockerfile"))).toEqual(["TARGETOS", "TARGETARCH"]);
  });
});
