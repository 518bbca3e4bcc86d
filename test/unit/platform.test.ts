import { expect, test } from "vitest";
import { goTarget, platformSlug } from "../../dagger/src/lib/platform.js";
import { generationTargets } from "../../dagger/src/lib/makefile.js";

test.each([
  ["linux/amd64", { goos: "linux", goarch: "amd64" }],
  ["linux/arm64", { goos: "linux", goarch: "arm64" }],
  ["linux/arm/v7", { goos: "linux", goarch: "arm", goarm: "7" }],
  ["linux/arm", { goos: "linux", goarch: "arm", goarm: "7" }],
  ["darwin/arm64", { goos: "darwin", goarch: "arm64" }],
])("goTarget(%s)", (p, want) => {
  expect(goTarget(p)).toEqual(want);
});

test.each(["linux", "amd64", "linux/", "linux/sparc", "a/b/c/d"])("goTarget rejects %s", (p) => {
  expect(() => goTarget(p)).toThrow(/platform/);
});

test("platformSlug", () => {
  expect(platformSlug("linux/arm/v7")).toBe("linux_arm_v7");
});

test("generationTargets finds controller-gen targets as kubebuilder Makefiles write them", () => {
  const mk = `CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
.PHONY: manifests
manifests: controller-gen ## Generate RBAC
\t$(CONTROLLER_GEN) rbac:roleName=manager-role webhook paths="./..."
generate: controller-gen
\t$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."
`;
  expect(generationTargets(mk)).toEqual(["manifests", "generate"]);
  expect(generationTargets("build:\n\tgo build ./...\ngenerate:\n\tgo generate ./...\n")).toEqual([]);
  expect(generationTargets("# uses controller-gen\nmanifests:\n\tcontroller-gen crd\n")).toEqual(["manifests"]);
});
