/**
 * The generated-code check (`checkGenerated`) for real: on a kubebuilder-style module (one CRD type,
 * controller-gen targets in its Makefile, dependencies from the Go module proxy), the engine
 * installs the pinned controller-gen, runs `make manifests generate` and compares the tree.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { localWva, onEngine, timed } from "./engine.js";

const crdFixture = fileURLToPath(new URL("../fixtures/crd-fixture/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "wva-generated-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("checkGenerated on a real engine", () => {
  it("passes when the committed CRD and deepcopy code are what controller-gen generates", async () => {
    const { seconds } = await timed(() => onEngine(() => localWva(crdFixture).checkGenerated()));
    console.log(`checkGenerated (controller-gen v0.17.2, make manifests generate): ${seconds.toFixed(1)}s`);
  });

  it("fails, naming both stale files, when an API field is added without regenerating", async () => {
    const dir = join(scratch, "stale");
    cpSync(crdFixture, dir, { recursive: true });
    const types = join(dir, "api/v1alpha1/variantautoscaling_types.go");
    writeFileSync(
      types,
      readFileSync(types, "utf8").replace(
        "\tMinReplicas int32 `json:\"minReplicas,omitempty\"`\n",
        "\tMinReplicas int32 `json:\"minReplicas,omitempty\"`\n\t// Accelerators the variant may run on.\n\tAccelerators []string `json:\"accelerators,omitempty\"`\n",
      ),
    );
    expect(readFileSync(types, "utf8")).toContain("Accelerators []string");
    const error = await onEngine(() => localWva(dir).checkGenerated()).then(
      () => undefined,
      (e: unknown) => String(e),
    );
    expect(error).toMatch(/generated code is out of date: `make manifests generate` changes the tree/);
    expect(error).toContain("modified: config/crd/bases/fixture.wva.example.com_variantautoscalings.yaml");
    expect(error).toContain("modified: api/v1alpha1/zz_generated.deepcopy.go");
  });
});
