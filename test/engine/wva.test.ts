/**
 * WVA's real repository through the real engine, as its maintainers' PRs would run: the module at
 * its default image references (served by the local registry through the engine's mirrors),
 * on a scratch copy of the tree: the versions it resolves, and the Dockerfile image. Its Go stages
 * and `ci` are judged in the cli tier (test/cli/wva.test.ts).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dag } from "@dagger.io/dagger";
import { beforeAll, describe, expect, it } from "vitest";
import { upstreamCopy } from "../upstream.js";
import {
  elfMachine,
  engine,
  envtestAssets,
  fileInImage,
  imageConfig,
  imageIndex,
  k8sReady,
  localWva,
  onEngine,
  registryCatalog,
  timed,
} from "./engine.js";

const tree = upstreamCopy();
const scratch = mkdtempSync(join(tmpdir(), "wva-engine-wva-"));
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The module on the WVA copy, with the envtest binaries built on this machine (no internet here). */
function wva() {
  const w = localWva(tree);
  w.envtestAssets = dag.host().directory(envtestAssets());
  return w;
}

// envtest's binaries: npm test's up.sh may still be building them (k8s-lane.ts)
beforeAll(() => k8sReady(), 3_300_000);

describe("WVA's tree: the versions it declares", () => {
  it("resolves golangci-lint v2.8.0 and controller-gen v0.17.2 from WVA's Makefile", async () => {
    const versions = await onEngine(() => wva().versions());
    console.log(versions);
    expect(versions).toMatch(/^golangci-lint\s+v2\.8\.0\s+Makefile GOLANGCI_LINT_VERSION$/m);
    expect(versions).toMatch(/^controller-gen\s+v0\.17\.2\s+Makefile CONTROLLER_TOOLS_VERSION$/m);
    expect(versions).toMatch(/^go\s+1\.24\.0\s+go\.mod go$/m);
  });

  // Each stage on its own, the unit tests and `ci` (default and --strict) run on WVA's tree in the
  // cli tier (test/cli/wva.test.ts), through `dagger call` as users run them: its cache volumes are
  // the module's (Dagger namespaces them by module), which this SDK client's are not, so here they
  // would compile WVA a second time.
});

describe("WVA's Dockerfile image", () => {
  it("publishes linux/amd64 and linux/arm64 from the Dockerfile, the arm64 build cross-compiling on the build platform", async () => {
    const repo = `wva-test/wva-dockerfile-${run}`;
    const ref = `${engine.registry}/${repo}`;
    const { seconds, value: refs } = await timed(() =>
      onEngine(() =>
        wva().publishImage(["v0.5.1"], ref, ["linux/amd64", "linux/arm64"], engine.registryUser,
          dag.setSecret(`registry-password-${run}`, engine.registryPassword), "v0.5.1", "b08b1c77"),
      ),
    );
    console.log(`WVA Dockerfile image, both platforms: ${seconds.toFixed(1)}s; ${refs[0]}`);
    const index = await imageIndex(repo, "v0.5.1");
    const manifests = (index.body.manifests as { digest: string; platform: { os: string; architecture: string } }[])
      .filter((m) => m.platform.os !== "unknown");
    expect(manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort()).toEqual(["linux/amd64", "linux/arm64"]);
    for (const [arch, machine] of [["amd64", "x86-64"], ["arm64", "aarch64"]]) {
      const m = manifests.find((x) => x.platform.architecture === arch)!;
      expect(elfMachine(await fileInImage(repo, m.digest, "manager"))).toBe(machine);
      const config = (await imageConfig(repo, m.digest)).config;
      expect(config.User).toBe("65532:65532");
      expect(config.Entrypoint).toEqual(["/manager"]);
      expect(config.Labels).toMatchObject({
        // the Dockerfile's own labels
        "org.opencontainers.image.source": "https://github.com/llm-d/llm-d-workload-variant-autoscaler",
        "org.opencontainers.image.licenses": "Apache-2.0",
        // the module's, on top
        "org.opencontainers.image.version": "v0.5.1",
        "org.opencontainers.image.revision": "b08b1c77",
      });
    }
    // The builder stage of the arm64 build has the amd64 Go image's files (its uname runs natively,
    // not under QEMU), and the manager it cross-compiled is aarch64: go build ran on the build platform.
    const builder = await onEngine(async () => {
      const b = await wva().imageBuilder("linux/arm64");
      const manager = join(scratch, "builder-manager");
      await b.file("/workspace/manager").export(manager);
      return { machine: (await b.withExec(["uname", "-m"]).stdout()).trim(), manager: elfMachine(readFileSync(manager)) };
    });
    expect(builder).toEqual({ machine: "x86_64", manager: "aarch64" });
  });

  it("release --tag v0.5.1 --dry-run: WVA's Dockerfile image and chart pushed, pulled back, rendering the pushed image", async () => {
    const before = await registryCatalog();
    const { seconds, value: summary } = await timed(() => onEngine(() => localWva(tree).release("v0.5.1", true)));
    console.log(`WVA release --tag v0.5.1 --dry-run (${seconds.toFixed(1)}s):\n${summary}`);
    const local = "localhost:5000/llm-d-incubation/workload-variant-autoscaler";
    const line = (name: string) => summary.split("\n").find((l) => l.startsWith(`${name} `))?.slice(name.length).trim();
    expect(line("image")).toMatch(new RegExp(`^${local}:v0\\.5\\.1@sha256:[0-9a-f]{64}$`));
    expect(line("platforms")).toBe("linux/amd64, linux/arm64");
    expect(line("chart")).toMatch(/^oci:\/\/registry:5000\/llm-d-incubation\/charts\/workload-variant-autoscaler:0\.5\.1@sha256:/);
    const renders = summary.split("\n").filter((l) => l.startsWith("renders "));
    expect(renders.length).toBeGreaterThan(0);
    expect(renders.some((l) => /Deployment\/\S+ → /.test(l))).toBe(true);
    for (const r of renders) expect(r).toContain(`→ ${local}:v0.5.1 ✔`);
    expect(await registryCatalog()).toEqual(before);
  });
});
