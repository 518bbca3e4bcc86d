/**
 * Publishing the controller image for real: a multi-platform index pushed with basic auth to
 * the local registry, read back through the registry's API; and a wrong password that pushes nothing.
 */
import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import {
  elfMachine,
  engine,
  fileInImage,
  fixtureDir,
  imageConfig,
  imageIndex,
  localWva,
  onEngine,
  registryGet,
  timed,
} from "./engine.js";

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function wva() {
  return localWva(fixtureDir);
}

async function publish(repository: string, tag: string, platforms: string[], password: string, version: string) {
  return onEngine(() =>
    wva().publishImage(
      [tag],
      repository,
      platforms,
      engine.registryUser,
      dag.setSecret(`registry-password-${run}-${tag}`, password),
      version,
      "0123456789abcdef",
    ),
  );
}

/** Every repository in the registry with its tags. */
async function registryContents(): Promise<Record<string, string[]>> {
  const { body } = await registryGet("/v2/_catalog?n=1000");
  const out: Record<string, string[]> = {};
  for (const repo of body.repositories as string[]) {
    const tags = await registryGet(`/v2/${repo}/tags/list`);
    out[repo] = ((tags.body.tags as string[] | null) ?? []).sort();
  }
  return out;
}

describe("publishing the controller image to a registry with auth", () => {
  it("pushes an index for linux/amd64 and linux/arm64 whose arm64 binary is an aarch64 ELF", async () => {
    const repo = `wva-test/controller-${run}`;
    const ref = `${engine.registry}/${repo}`;
    const amd64Only = ["linux/amd64"];
    const both = ["linux/amd64", "linux/arm64"];
    // Each publish stamps a new version, so its binaries are linked afresh (Go's caches stay warm).
    const multi = await timed(() => publish(ref, "multi", both, engine.registryPassword, `v0.0.1-a${run}`));
    const single = await timed(() => publish(ref, "single", amd64Only, engine.registryPassword, `v0.0.1-b${run}`));
    const multiAgain = await timed(() => publish(ref, "multi-again", both, engine.registryPassword, `v0.0.1-c${run}`));
    console.log(
      `publish: multi-arch ${multi.seconds.toFixed(1)}s (first arm64 build), ` +
        `single-arch ${single.seconds.toFixed(1)}s, multi-arch again ${multiAgain.seconds.toFixed(1)}s`,
    );

    expect(multi.value).toHaveLength(1);
    expect(multi.value[0]).toMatch(new RegExp(`^${engine.registry}/${repo}:multi@sha256:[0-9a-f]{64}$`));
    const index = await imageIndex(repo, "multi");
    expect(index.status).toBe(200);
    const manifests = index.body.manifests as { digest: string; platform: { os: string; architecture: string } }[];
    const platforms = manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).filter((p) => p !== "unknown/unknown");
    expect(platforms.sort()).toEqual(["linux/amd64", "linux/arm64"]);
    expect(multi.value[0].split("@")[1]).toBe(
      (await fetchDigest(repo, "multi")) ?? "the registry did not report a digest",
    );

    const arm64 = manifests.find((m) => m.platform.architecture === "arm64")!;
    const amd64 = manifests.find((m) => m.platform.architecture === "amd64")!;
    expect(elfMachine(await fileInImage(repo, arm64.digest, "manager"))).toBe("aarch64");
    expect(elfMachine(await fileInImage(repo, amd64.digest, "manager"))).toBe("x86-64");

    const amd64Config = await imageConfig(repo, amd64.digest);
    expect(amd64Config.config.User).toBe("65532:65532");
    expect(amd64Config.config.Entrypoint).toEqual(["/manager"]);
    expect((await imageConfig(repo, arm64.digest)).architecture).toBe("arm64");
    // a single platform is pushed as a plain image manifest of that platform
    expect((await imageConfig(repo, "single")).architecture).toBe("amd64");
    expect((await imageIndex(repo, "multi-again")).status).toBe(200);
  });

  it("the linux/arm64 image runs its controller under emulation and reports the stamped version", async () => {
    const version = `v0.0.2-arm${run}`;
    const out = await onEngine(async () => {
      const image = await wva().image("linux/arm64", version, "");
      const [platform, printed] = await Promise.all([
        image.platform(),
        image.withExec(["/manager", "-version"]).stdout(),
      ]);
      return { platform, printed };
    });
    expect(out.platform).toBe("linux/arm64");
    expect(out.printed).toContain(version);
  });

  it("a wrong password fails with an authentication error and pushes nothing", async () => {
    const before = await registryContents();
    const repo = `wva-test/denied-${run}`;
    const error = await publish(`${engine.registry}/${repo}`, "v0.0.1", ["linux/amd64", "linux/arm64"], "not-the-password", "v0.0.1").then(
      () => undefined,
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(error, "publishing with a wrong password should fail").toBeDefined();
    console.log(`wrong password: ${error!.split("\n")[0]}`);
    expect(error).toMatch(/401|unauthorized|authentication required|authorization failed|no basic auth credentials/i);
    expect(await registryContents()).toEqual(before);
    expect((await imageIndex(repo, "v0.0.1")).status).toBe(404);
  });
});

/** The digest the registry reports for `repository:tag` (Docker-Content-Digest). */
async function fetchDigest(repository: string, tag: string): Promise<string | undefined> {
  const res = await fetch(`http://${engine.registry}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      Accept: "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json",
      Authorization: `Basic ${Buffer.from(`${engine.registryUser}:${engine.registryPassword}`).toString("base64")}`,
    },
  });
  return res.headers.get("docker-content-digest") ?? undefined;
}
