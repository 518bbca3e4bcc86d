import { describe, expect, it } from "vitest";
import {
  golangciLintPackage,
  makeLiteral,
  makeVariables,
  pinsTable,
  resolvePins,
  workflowLintVersion,
} from "../../dagger/src/lib/repo-pins.js";
import { upstreamFile, upstreamFiles } from "../upstream.js";

/** A Makefile in the layout `kubebuilder init` writes (go/v4 plugin): tool versions, envtest derived. */
const KUBEBUILDER_MAKEFILE = `
# Image URL to use all building/pushing image targets
IMG ?= controller:latest

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
\tmkdir -p $(LOCALBIN)

## Tool Binaries
KUBECTL ?= kubectl
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT = $(LOCALBIN)/golangci-lint

## Tool Versions
KUSTOMIZE_VERSION ?= v5.7.1
CONTROLLER_TOOLS_VERSION ?= v0.19.0
#ENVTEST_VERSION is the version of controller-runtime release branch to fetch the envtest setup script (i.e. release-0.20)
ENVTEST_VERSION ?= $(shell go list -m -f "{{ .Version }}" sigs.k8s.io/controller-runtime | awk -F'[v.]' '{printf "release-%d.%d", $$2, $$3}')
#ENVTEST_K8S_VERSION is the version of Kubernetes to use for setting up ENVTEST binaries (i.e. 1.31)
ENVTEST_K8S_VERSION ?= $(shell go list -m -f "{{ .Version }}" k8s.io/api | awk -F'[v.]' '{printf "1.%d", $$3}')
GOLANGCI_LINT_VERSION ?= v2.4.0
`;

const GO_MOD = `module example.com/op

go 1.24.0

require (
\tk8s.io/api v0.33.2
\tsigs.k8s.io/controller-runtime v0.21.0
)
`;

describe("Makefile variables", () => {
  it("reads ?=, :=, = and export forms, first assignment wins, comments dropped, recipes ignored", () => {
    const vars = makeVariables(
      "A ?= v1 # the first\nA = v2\nexport B := x\noverride C = $(A)-y\nall:\n\tD = not-a-var\nE=\n",
    );
    expect(vars).toEqual({ A: "v1", B: "x", C: "$(A)-y", E: "" });
    expect(makeLiteral(vars, "C")).toBe("v1-y");
    expect(makeLiteral(vars, "E")).toBeUndefined();
    expect(makeLiteral(vars, "MISSING")).toBeUndefined();
  });

  it("treats $(shell …) and unknown references as computed, not as versions", () => {
    const vars = makeVariables(KUBEBUILDER_MAKEFILE);
    expect(makeLiteral(vars, "ENVTEST_VERSION")).toBeUndefined();
    expect(makeLiteral(vars, "ENVTEST_K8S_VERSION")).toBeUndefined();
    expect(makeLiteral(vars, "CONTROLLER_GEN")).toBeUndefined(); // $(LOCALBIN) is $(shell pwd)/bin
    expect(makeLiteral(vars, "GOLANGCI_LINT_VERSION")).toBe("v2.4.0");
  });

  it("keeps a # inside $(…) (awk formats) and an escaped \\#", () => {
    const vars = makeVariables("X ?= $(shell echo '#1') # c\nY = a\\#b\n");
    expect(vars.X).toBe("$(shell echo '#1')");
    expect(vars.Y).toBe("a\\#b");
  });
});

describe("resolvePins", () => {
  it("on WVA's real tree: golangci-lint v2.8.0 and controller-gen v0.17.2 from the Makefile, envtest from go.mod", () => {
    const pins = resolvePins({
      goMod: upstreamFile("go.mod"),
      makefile: upstreamFile("Makefile"),
      workflows: upstreamFiles(".github/workflows"),
    });
    expect(pins.go).toEqual({ version: "1.24.0", source: "go.mod go" });
    expect(pins.golangciLint).toEqual({ version: "v2.8.0", source: "Makefile GOLANGCI_LINT_VERSION" });
    expect(pins.controllerGen).toEqual({ version: "v0.17.2", source: "Makefile CONTROLLER_TOOLS_VERSION" });
    // the Makefile computes these with $(shell go list -m …): the same derivation from go.mod
    expect(pins.setupEnvtest).toEqual({ version: "release-0.22", source: "go.mod sigs.k8s.io/controller-runtime v0.22.4" });
    expect(pins.envtestKubernetes).toEqual({ version: "1.34", source: "go.mod k8s.io/api v0.34.2" });
  });

  it("on WVA's real workflows alone: the golangci-lint-action version", () => {
    expect(workflowLintVersion(upstreamFiles(".github/workflows"))).toEqual({
      version: "v2.8.0",
      source: ".github/workflows/ci-pr-checks.yaml golangci-lint-action version",
    });
  });

  it("on a kubebuilder layout: the Makefile's literal versions, the $(shell …) ones derived from go.mod", () => {
    const pins = resolvePins({ goMod: GO_MOD, makefile: KUBEBUILDER_MAKEFILE });
    expect(pins.golangciLint.version).toBe("v2.4.0");
    expect(pins.controllerGen).toEqual({ version: "v0.19.0", source: "Makefile CONTROLLER_TOOLS_VERSION" });
    expect(pins.setupEnvtest?.version).toBe("release-0.21");
    expect(pins.envtestKubernetes?.version).toBe("1.33");
  });

  it("an older kubebuilder layout with literal envtest versions uses them", () => {
    const pins = resolvePins({
      goMod: GO_MOD,
      makefile: "ENVTEST_K8S_VERSION = 1.31.0\nENVTEST_VERSION ?= release-0.19\nGOLANGCI_LINT_VERSION ?= v1.59.1\n",
    });
    expect(pins.envtestKubernetes).toEqual({ version: "1.31.0", source: "Makefile ENVTEST_K8S_VERSION" });
    expect(pins.setupEnvtest).toEqual({ version: "release-0.19", source: "Makefile ENVTEST_VERSION" });
    expect(pins.golangciLint.version).toBe("v1.59.1");
    expect(golangciLintPackage(pins.golangciLint.version)).toBe("github.com/golangci/golangci-lint/cmd/golangci-lint@v1.59.1");
  });

  it("the Makefile wins over the workflow; the workflow wins over the module default", () => {
    const wf = { "ci.yaml": "jobs:\n  l:\n    steps:\n      - uses: golangci/golangci-lint-action@v8\n        with:\n          version: v2.1.6\n" };
    expect(resolvePins({ goMod: GO_MOD, makefile: "GOLANGCI_LINT_VERSION ?= v1.63.4\n", workflows: wf }).golangciLint.source)
      .toBe("Makefile GOLANGCI_LINT_VERSION");
    expect(resolvePins({ goMod: GO_MOD, workflows: wf }).golangciLint).toEqual({
      version: "v2.1.6",
      source: "ci.yaml golangci-lint-action version",
    });
    expect(resolvePins({ goMod: GO_MOD }).golangciLint).toEqual({ version: "v2.15.0", source: "module default" });
    expect(resolvePins({ goMod: GO_MOD }).controllerGen).toEqual({ version: "v0.17.2", source: "module default" });
  });

  it("arguments override the repository", () => {
    const pins = resolvePins(
      { goMod: GO_MOD, makefile: KUBEBUILDER_MAKEFILE },
      { golangciLint: "v2.9.0", controllerGen: "v0.18.0", envtestKubernetes: "1.32", go: "1.25.1" },
    );
    expect(pins.golangciLint).toEqual({ version: "v2.9.0", source: "argument --golangci-lint-version" });
    expect(pins.controllerGen.source).toBe("argument --controller-gen-version");
    expect(pins.envtestKubernetes).toEqual({ version: "1.32", source: "argument --envtest-kubernetes-version" });
    expect(pins.go).toEqual({ version: "1.25.1", source: "argument --go-version" });
  });

  it("refuses a pinned value that is not a version, naming where it was read", () => {
    expect(() => resolvePins({ goMod: GO_MOD, makefile: "GOLANGCI_LINT_VERSION ?= latest-ish\n" })).toThrow(
      /Makefile GOLANGCI_LINT_VERSION: "latest-ish" is not a version/,
    );
    expect(() => resolvePins({ goMod: GO_MOD }, { envtestKubernetes: "one.thirty" })).toThrow(/argument --envtest-kubernetes-version/);
  });

  it("a module without controller-runtime has no envtest pins", () => {
    const pins = resolvePins({ goMod: "module x\n\ngo 1.23\n" });
    expect(pins.setupEnvtest).toBeUndefined();
    expect(pins.envtestKubernetes).toBeUndefined();
  });

  it("prints one tool per line with its version and source", () => {
    const table = pinsTable(resolvePins({ goMod: GO_MOD, makefile: KUBEBUILDER_MAKEFILE }));
    expect(table.split("\n")[1]).toMatch(/^golangci-lint\s+v2\.4\.0\s+Makefile GOLANGCI_LINT_VERSION$/);
    expect(table).toMatch(/^envtest k8s\s+1\.33\s+go\.mod k8s\.io\/api v0\.33\.2$/m);
  });
});
