import { describe, expect, it } from "vitest";
import { parseCustomGcl } from "../../dagger/src/lib/custom-gcl.js";

describe("parseCustomGcl", () => {
  it("reads version, the binary's path and local plugin paths", () => {
    const c = parseCustomGcl(".custom-gcl.yml", [
      "version: v2.8.0",
      "name: gcl-logcheck",
      "destination: ./bin",
      "plugins:",
      "  - module: sigs.k8s.io/logtools",
      "    import: sigs.k8s.io/logtools/logcheck/gclplugin",
      "    version: v0.10.1",
      "  - module: example.com/op/hack/lint",
      "    path: ./hack/lint/",
    ].join("\n"));
    expect(c).toEqual({ version: "v2.8.0", binary: "bin/gcl-logcheck", localPaths: ["hack/lint"] });
  });

  it("defaults like golangci-lint: custom-gcl in the repository root", () => {
    expect(parseCustomGcl("x", "version: 2.8.0\nplugins:\n  - module: m\n    version: v1.0.0\n")).toEqual({
      version: "v2.8.0", binary: "custom-gcl", localPaths: [],
    });
  });

  it("refuses what golangci-lint custom would refuse, naming the file", () => {
    expect(() => parseCustomGcl(".custom-gcl.yml", "plugins: []\n")).toThrow(/\.custom-gcl\.yml: root field 'version' is required/);
    expect(() => parseCustomGcl(".custom-gcl.yml", "version: v2.8.0\n")).toThrow(/no plugins defined/);
    expect(() => parseCustomGcl("f", "version: v2\nplugins:\n  - module: m\n")).toThrow(/plugin m needs 'version' or 'path'/);
    expect(() => parseCustomGcl("f", "version: v2\nplugins:\n  - module: m\n    path: ../elsewhere\n")).toThrow(/outside the repository/);
  });
});
