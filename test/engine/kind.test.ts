/**
 * What of the Kind e2e runs here for real: the Docker daemon service (`Kind.cluster()`), the
 * module's tools container bound to it (`Kind.container()`: docker CLI and the pinned kind),
 * and the controller image's tarball loaded into the daemon by the module's own load script.
 * It stops at Kind's nodes: `kind create cluster` needs a `kindest/node` image, and no container
 * registry is reachable from this machine, so there is none; nothing here pretends otherwise.
 */
import { realpathSync } from "node:fs";
import { ReturnType, dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import type { Kind } from "../../dagger/src/kind.js";
import { kindLoadImageScript, newRunId } from "../../dagger/src/lib/e2e-scripts.js";
import { tool } from "../native/tools.js";
import { fixtureDir, localWva, onEngine, timed } from "./engine.js";

/** A cluster name of its own: the daemon's storage is a cache volume keyed by it. */
const CLUSTER = "wva-engine-test";

/**
 * The module's Kind object on the fixture, with the kind v0.33.0 that test/tools/install.sh built
 * from the Go proxy (`kindBinary`, as an air-gapped user passes it), so the daemon tests do not
 * depend on building kind; `Kind.binary()` building it is a test of its own below.
 */
function localKind(): Promise<Kind> {
  return localWva(fixtureDir).kind(CLUSTER, undefined, undefined, undefined, undefined, dag.host().file(realpathSync(tool("kind"))));
}

/** Starts the Docker daemon service and reports how long it took. */
async function startDaemon(kind: Kind): Promise<number> {
  const { seconds } = await timed(() => kind.cluster().start());
  return seconds;
}

describe("the Kind e2e's Docker daemon on a real engine", () => {
  it("Kind.binary() builds the pinned kind in a Go container from the Go module proxy", async () => {
    const { seconds, value: version } = await timed(() =>
      onEngine(async () => {
        const kind = await localWva(fixtureDir).kind(CLUSTER);
        const built = kind.binary();
        return dag.container().from(kind.goImage).withFile("/usr/local/bin/kind", built).withExec(["kind", "version"]).stdout();
      }),
    );
    console.log(`Kind.binary(): go install sigs.k8s.io/kind@v0.33.0 in the engine, ${seconds.toFixed(1)}s`);
    expect(version).toMatch(/^kind v0\.33\.0 go1\.26\.8 linux\/amd64/);
  });

  it("Kind.cluster() runs dockerd as a service, and Kind.container() reaches it with the docker CLI and the pinned kind", async () => {
    const { info, kindVersion, startSeconds } = await onEngine(async () => {
      const kind = await localKind();
      const startSeconds = await startDaemon(kind);
      const tools = kind.container().withEnvVariable("WVA_E2E_RUN", newRunId());
      const [info, kindVersion] = await Promise.all([
        tools.withExec(["docker", "info", "--format", "{{json .}}"]).stdout(),
        tools.withExec(["kind", "version"]).stdout(),
      ]);
      await kind.cluster().stop();
      return { info: JSON.parse(info), kindVersion, startSeconds };
    });
    console.log(`dockerd service started in ${startSeconds.toFixed(1)}s`);
    // the daemon answered over tcp://kind:2375: Debian's docker.io, overlay storage on the cache volume
    expect(info.ServerVersion).toMatch(/^20\.10\.24/);
    expect(info.Driver).toBe("overlay2");
    expect(info.OSType).toBe("linux");
    // the pinned kind, copied in by the module (Kind.container() at /usr/local/bin/kind)
    expect(kindVersion).toMatch(/^kind v0\.33\.0 go\S+ linux\/amd64/);
  });

  it("the controller image's tarball loads into the daemon (the module's load script) and runs; kind load stops for want of nodes", async () => {
    const run = newRunId();
    const ref = `localhost/workload-variant-autoscaler:e2e-${run}`;
    const script = kindLoadImageScript({ cluster: CLUSTER, tarball: "/images/wva.tar", ref });
    const out = await onEngine(async () => {
      const [kind, image] = await Promise.all([localKind(), localWva(fixtureDir).image("linux/amd64", "v0.0.9-kind")]);
      await startDaemon(kind);
      const { seconds, value } = await timed(async () => {
        const ran = kind
          .container()
          .withEnvVariable("WVA_E2E_RUN", run)
          .withMountedFile("/images/wva.tar", image.asTarball())
          .withNewFile("/load.sh", script)
          // the load script to its end (kind load fails: no cluster), then the loaded image runs
          .withExec(
            ["sh", "-c", `sh /load.sh; echo "load script exit $?"; docker run --rm ${ref} -version && docker rmi ${ref} >/dev/null`],
            { expect: ReturnType.Any },
          );
        return { code: await ran.exitCode(), stdout: await ran.stdout(), stderr: await ran.stderr() };
      });
      await kind.cluster().stop();
      console.log(`image tarball: load + run in ${seconds.toFixed(1)}s`);
      return value;
    });
    const output = out.stdout + out.stderr;
    expect(out.code, output).toBe(0);
    // docker load took the archive Dagger wrote, which carries no name: the script tags it by ID
    expect(out.stdout).toMatch(/^Loaded image ID: sha256:[0-9a-f]{64}$/m);
    // and stopped exactly where Kind's nodes are needed
    expect(out.stderr).toContain(`no nodes found for cluster "${CLUSTER}"`);
    expect(out.stdout).toContain("load script exit 1");
    // the loaded image, run by the daemon under that name: the fixture's /manager -version
    expect(out.stdout.trimEnd().split("\n").at(-1)).toBe("v0.0.9-kind");
  });

  it("Kind.test() runs for real up to `kind create cluster`, which stops at pulling the kindest/node image", async () => {
    const { seconds, value: result } = await timed(() =>
      onEngine(async () => {
        const wva = localWva(fixtureDir);
        const [kind, image] = await Promise.all([localKind(), wva.image("linux/amd64", "v0.0.9-kind")]);
        const r = await kind.test(image, dag.directory(), dag.host().directory(fixtureDir), "1m");
        return { passed: r.passed, summary: r.summary, log: r.log };
      }),
    );
    console.log(`Kind.test() up to the node image pull: ${seconds.toFixed(1)}s`);
    expect(result.passed).toBe(false);
    // the summary is kind's own error line, naming the image it could not get
    expect(result.summary).toMatch(/^could not create the cluster: ERROR: failed to create cluster: failed to pull image "kindest\/node:v1\.32\.0"/);
    // kind ran against the daemon service and asked it for the node image, which no registry here serves
    expect(result.log).toContain("Creating cluster \"wva-engine-test\"");
    // kind read the module's cluster config (a bad one fails before this) and took its node image
    expect(result.log).toContain("Ensuring node image (kindest/node:v1.32.0)");
    expect(result.log).toMatch(/failed to pull image "kindest\/node:v1\.32\.0"/);
  });
});
