/**
 * `release --tag v0.4.1` of the fixture with this repository's chart, through the real engine:
 * the dry run (an in-engine registry), then a real release to the local registry with basic auth,
 * checked from the host with the real helm (pull, show, template) and the registry's API; then a
 * second release of the same tag is refused without pushing anything, and `--reuse-image`
 * releases the chart alone.
 *
 * The local registry listens on the host's 127.0.0.1, which the engine reaches but containers
 * (helm, crane) do not: the release is given a host tunnel as `registryService`, exactly as a user
 * releasing to a registry on their machine would pass `--registry-service tcp://localhost:5123`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dag } from "@dagger.io/dagger";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderedImages } from "../../dagger/src/lib/helm-output.js";
import { tool } from "../native/tools.js";
import {
  engine,
  fixtureDir,
  imageDigest,
  imageIndex,
  localWva,
  onEngine,
  registryCatalog,
  registryTags,
  timed,
} from "./engine.js";

const TAG = "v0.4.1";
const CHART = "workload-variant-autoscaler";
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
/** This run's image repository and chart repositories in the local registry. */
const imageRepo = `wva-test/release-${run}`;
const chartRepo = `wva-test/charts-${run}`;
const reuseChartRepo = `wva-test/charts-reuse-${run}`;

/** The repository's Helm chart, which the fixture does not have. */
const chartDir = fileURLToPath(new URL("../../charts/workload-variant-autoscaler/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "wva-release-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The value of `key` in a release summary (`key   value` lines). */
function field(summary: string, key: string): string {
  const line = summary.split("\n").find((l) => l.startsWith(`${key} `));
  if (!line) throw new Error(`no "${key}" line in the summary:\n${summary}`);
  return line.slice(key.length).trim();
}

/** The error message of a rejected promise (undefined when it resolved). */
async function failure(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
}

/**
 * A real release of TAG of the fixture to the local registry, with the registry's credentials
 * and a host tunnel to it (containers cannot reach the host's 127.0.0.1 otherwise).
 */
function releaseToLocal(chartRepository: string, reuseImage = false): Promise<string> {
  return onEngine(() =>
    localWva(fixtureDir, chartDir).release(
      TAG,
      false, // dryRun
      false, // force
      `${engine.registry}/${imageRepo}`,
      `oci://${engine.registry}/${chartRepository}`,
      engine.registryUser,
      dag.setSecret(`registry-password-${run}`, engine.registryPassword),
      undefined, // platforms: linux/amd64, linux/arm64
      undefined, // existingTags: read from the registry
      "0123456789abcdef",
      true, // plainHttp
      false, // skipChart
      reuseImage,
      // what the CLI makes of `--registry-service tcp://127.0.0.1:5123`: a tunnel to that host port
      dag.address(`tcp://${engine.registry}`).service(),
    ),
  );
}

/** The real helm on the host, with its config, cache and registry login in this test's scratch directory. */
function helm(args: string[], input?: string): string {
  const home = join(scratch, "helm");
  return execFileSync(tool("helm"), args, {
    encoding: "utf8",
    input,
    stdio: ["pipe", "pipe", "pipe"], // helm's progress lines stay out of the test output; a failure's error carries them
    env: {
      PATH: process.env.PATH,
      HOME: home,
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_DATA_HOME: join(home, "data"),
      HELM_REGISTRY_CONFIG: join(home, "registry.json"),
    },
  });
}

describe("release through the real engine", () => {
  it("--dry-run rehearses the whole release inside the engine: image index, chart, and the chart renders the pushed image", async () => {
    const before = await registryCatalog();
    const { seconds, value: summary } = await timed(() =>
      onEngine(() => localWva(fixtureDir, chartDir).release(TAG, true)),
    );
    console.log(`release --tag ${TAG} --dry-run (${seconds.toFixed(1)}s):\n${summary}`);

    const local = "localhost:5000/llm-d-incubation/workload-variant-autoscaler";
    expect(summary.split("\n")[0]).toBe(`release ${TAG} (dry run against an in-engine registry, localhost:5000)`);
    expect(field(summary, "image")).toMatch(new RegExp(`^${local}:${TAG}@sha256:[0-9a-f]{64}$`));
    expect(field(summary, "tags")).toBe(`${TAG}, latest`);
    expect(field(summary, "platforms")).toBe("linux/amd64, linux/arm64");
    expect(field(summary, "latest")).toBe("moved (highest stable release)");
    expect(field(summary, "chart")).toMatch(
      new RegExp(`^oci://registry:5000/llm-d-incubation/charts/${CHART}:0\\.4\\.1@sha256:[0-9a-f]{64}$`),
    );
    const renders = summary.split("\n").filter((l) => l.startsWith("renders "));
    expect(renders).toEqual([
      `renders    Deployment/wva-workload-variant-autoscaler-controller-manager → ${local}:${TAG} ✔`,
    ]);
    // Nothing left the engine.
    expect(await registryCatalog()).toEqual(before);
  });

  it("a real release to a registry with auth: the index and both tags, and the chart pulls and renders the pushed image on the host", async () => {
    const { seconds, value: summary } = await timed(() => releaseToLocal(chartRepo));
    console.log(`release --tag ${TAG} to ${engine.registry} (${seconds.toFixed(1)}s):\n${summary}`);

    const image = field(summary, "image");
    expect(image).toMatch(new RegExp(`^${engine.registry}/${imageRepo}:${TAG}@sha256:[0-9a-f]{64}$`));
    expect(field(summary, "tags")).toBe(`${TAG}, latest`);
    expect(field(summary, "latest")).toBe("moved (highest stable release)");
    const chartRef = field(summary, "chart");
    expect(chartRef).toMatch(new RegExp(`^oci://${engine.registry}/${chartRepo}/${CHART}:0\\.4\\.1@sha256:[0-9a-f]{64}$`));

    // The image, read back through the registry API: one index for both platforms under both tags.
    const digest = image.split("@")[1];
    expect(await registryTags(imageRepo)).toEqual(["latest", TAG]);
    expect(await imageDigest(imageRepo, TAG)).toBe(digest);
    expect(await imageDigest(imageRepo, "latest")).toBe(digest);
    const index = await imageIndex(imageRepo, TAG);
    const platforms = (index.body.manifests as { platform: { os: string; architecture: string } }[])
      .map((m) => `${m.platform.os}/${m.platform.architecture}`)
      .filter((p) => p !== "unknown/unknown");
    expect(platforms.sort()).toEqual(["linux/amd64", "linux/arm64"]);

    // The chart, pulled on the host by the real helm with the registry's credentials.
    helm(["registry", "login", engine.registry, "--username", engine.registryUser, "--password-stdin", "--plain-http"], engine.registryPassword);
    const pulled = join(scratch, "pulled");
    mkdirSync(pulled);
    helm(["pull", `oci://${engine.registry}/${chartRepo}/${CHART}`, "--version", "0.4.1", "--plain-http", "--destination", pulled]);
    const [tgz] = readdirSync(pulled);
    expect(tgz).toBe(`${CHART}-0.4.1.tgz`);
    const meta = parse(helm(["show", "chart", join(pulled, tgz)]));
    expect({ version: meta.version, appVersion: meta.appVersion }).toEqual({ version: "0.4.1", appVersion: TAG });
    const rendered = renderedImages(helm(["template", "wva", join(pulled, tgz), "--namespace", "workload-variant-autoscaler-system"]));
    expect(rendered.map((r) => r.workload)).toContain("Deployment/wva-workload-variant-autoscaler-controller-manager");
    for (const r of rendered) expect(r.image).toBe(`${engine.registry}/${imageRepo}:${TAG}`);
  });

  it("releasing the same tag again is refused and pushes nothing; --reuse-image releases only the chart", async () => {
    const catalog = await registryCatalog();
    const imageTags = await registryTags(imageRepo);
    const chartTags = await registryTags(`${chartRepo}/${CHART}`);
    expect(imageTags).toEqual(["latest", TAG]);
    expect(chartTags).toEqual(["0.4.1"]);

    // Same chart repository: the chart version exists.
    const sameChart = await failure(releaseToLocal(chartRepo));
    expect(sameChart).toContain(
      `chart version 0.4.1 already exists in oci://${engine.registry}/${chartRepo}; refusing to overwrite it (pass --force to release anyway)`,
    );
    // A fresh chart repository: the image tag exists.
    const sameImage = await failure(releaseToLocal(reuseChartRepo));
    expect(sameImage).toContain(`image tag ${TAG} already exists in ${engine.registry}/${imageRepo}; refusing to overwrite it`);
    expect(await registryCatalog()).toEqual(catalog);
    expect(await registryTags(imageRepo)).toEqual(imageTags);
    expect(await imageDigest(imageRepo, TAG)).toBe(await imageDigest(imageRepo, "latest"));

    // --reuse-image: the chart goes to the fresh repository against the image already published.
    const digest = await imageDigest(imageRepo, TAG);
    const { seconds, value: summary } = await timed(() => releaseToLocal(reuseChartRepo, true));
    console.log(`release --tag ${TAG} --reuse-image (${seconds.toFixed(1)}s):\n${summary}`);
    expect(field(summary, "tags")).toBe("(none pushed)");
    expect(field(summary, "latest")).toBe(`unchanged (image ${TAG} was already published; reused, not pushed again)`);
    expect(field(summary, "chart")).toMatch(new RegExp(`^oci://${engine.registry}/${reuseChartRepo}/${CHART}:0\\.4\\.1@sha256:`));
    expect(await registryCatalog()).toEqual([...catalog, `${reuseChartRepo}/${CHART}`].sort());
    expect(await registryTags(imageRepo)).toEqual(imageTags);
    expect(await imageDigest(imageRepo, TAG)).toBe(digest);
    expect(await registryTags(`${reuseChartRepo}/${CHART}`)).toEqual(["0.4.1"]);
  });
});
