import { describe, expect, test } from "vitest";
import { envtestVersions, goVersionOf, parseGoMod } from "../../dagger/src/lib/gomod.js";

describe("goVersionOf", () => {
  test.each([
    ["go only, minor", "module x\n\ngo 1.24\n", "1.24"],
    ["go only, patch", "module x\ngo 1.24.0\n", "1.24.0"],
    ["toolchain wins over go", "module x\ngo 1.23.0\ntoolchain go1.24.5\n", "1.24.5"],
    ["toolchain before go", "module x\ntoolchain go1.26.8\ngo 1.26.0\n", "1.26.8"],
    ["comments and CRLF", "module x // the module\r\n\r\n// go 1.10\r\ngo 1.22.3 // pinned\r\n", "1.22.3"],
    ["release candidate", "module x\ngo 1.27rc1\n", "1.27rc1"],
    ["toolchain default is ignored", "module x\ngo 1.25.1\ntoolchain default\n", "1.25.1"],
  ])("%s", (_, text, want) => {
    expect(goVersionOf(text)).toBe(want);
  });

  test("a go.mod with neither directive is a clear error", () => {
    expect(() => goVersionOf("module example.com/x\n\nrequire golang.org/x/mod v0.1.0\n")).toThrow(
      /neither a `toolchain goX.Y.Z` nor a `go X.Y` directive/,
    );
  });

  test("a directive inside a comment does not count", () => {
    expect(() => goVersionOf("module x\n// go 1.24\n")).toThrow(/neither/);
  });

  test("garbage in the go directive is rejected", () => {
    expect(() => goVersionOf("module x\ngo latest\n")).toThrow(/not of the form/);
  });
});

describe("parseGoMod", () => {
  const text = `module github.com/llm-d/llm-d-workload-variant-autoscaler

go 1.24.0

require (
	github.com/onsi/ginkgo/v2 v2.28.1
	k8s.io/api v0.34.2 // indirect
	sigs.k8s.io/controller-runtime v0.22.4
)

require github.com/prometheus/client_golang v1.23.2

replace (
	example.com/a => ./a
)

exclude example.com/b v1.0.0
`;
  test("reads module, go, and requires in both forms", () => {
    const m = parseGoMod(text);
    expect(m.module).toBe("github.com/llm-d/llm-d-workload-variant-autoscaler");
    expect(m.go).toBe("1.24.0");
    expect(m.toolchain).toBeUndefined();
    expect(m.requires).toEqual({
      "github.com/onsi/ginkgo/v2": "v2.28.1",
      "k8s.io/api": "v0.34.2",
      "sigs.k8s.io/controller-runtime": "v0.22.4",
      "github.com/prometheus/client_golang": "v1.23.2",
    });
  });

  test("replace blocks are not read as requires", () => {
    expect(parseGoMod(text).requires["example.com/a"]).toBeUndefined();
  });
});

describe("envtestVersions", () => {
  test("WVA Feb 2026: controller-runtime 0.22, k8s.io/api 0.34", () => {
    const m = parseGoMod("module x\ngo 1.24\nrequire (\n sigs.k8s.io/controller-runtime v0.22.4\n k8s.io/api v0.34.2\n)\n");
    expect(envtestVersions(m)).toEqual({ setupEnvtest: "release-0.22", kubernetes: "1.34" });
  });
  test("without k8s.io/api the Kubernetes minor follows controller-runtime", () => {
    const m = parseGoMod("module x\ngo 1.24\nrequire sigs.k8s.io/controller-runtime v0.21.0\n");
    expect(envtestVersions(m)).toEqual({ setupEnvtest: "release-0.21", kubernetes: "1.33" });
  });
  test("no controller-runtime, no envtest", () => {
    expect(envtestVersions(parseGoMod("module x\ngo 1.24\nrequire k8s.io/api v0.34.2\n"))).toBeUndefined();
  });
});
