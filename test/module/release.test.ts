/**
 * The image, the chart and `release` against the fake engine: what the module asks the engine
 * to build, publish and push, in which order, and that tokens only ever travel as secret IDs.
 */
import { fileURLToPath } from "node:url";
import { dag, type Directory, type Secret } from "@dagger.io/dagger";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { Wva } from "../../dagger/src/index.js";
import { TAG_FORM } from "../../dagger/src/lib/tags.js";
import { FakeError, withFakeEngine, type FakeEngine, type Step } from "./fake-engine.js";

const GO_MOD = "module example.com/wva\n\ngo 1.26.0\n\ntoolchain go1.26.8\n";
const CHART_DIR = fileURLToPath(new URL("../../charts/workload-variant-autoscaler", import.meta.url));
const REPO = "ghcr.io/llm-d-incubation/workload-variant-autoscaler";
const REGISTRY_TOKEN = "s3cr3t-registry-token-5a1f";
const GIT_TOKEN = "s3cr3t-git-token-9c2e";
const DIGEST = "sha256:" + "cd".repeat(32);

const chart = (): Directory => dag.host().directory(CHART_DIR);

/** Images the release pulls, as Wva's constructor takes them. */
interface Images {
  base?: string;
  helm?: string;
  helmDocs?: string;
  crane?: string;
  registry?: string;
  git?: string;
}

/** Wva over a Go module source, with this repository's chart unless `withChart` is false. */
const wva = (img: Images = {}, withChart = true) =>
  new Wva(
    dag.directory().withNewFile("go.mod", GO_MOD), undefined, undefined, undefined, undefined, undefined, undefined,
    undefined, withChart ? chart() : undefined, img.base, img.helm, img.helmDocs, img.crane, img.registry, img.git,
  );

/** The argument list of the last withExec in a chain. */
const lastExec = (path: Step[]): string[] | undefined =>
  path.filter((s) => s.name === "withExec").at(-1)?.args.args;
/** True when the chain's last exec contains these arguments in a row. */
const runs = (path: Step[], ...words: string[]) => {
  const a = lastExec(path);
  return !!a && a.some((_, i) => words.every((w, j) => a[i + j] === w));
};
const leaf = (path: Step[]) => path.at(-1)!.name;

/** A registry where the chart does not exist yet, the image has `tags`, and helm push reports a digest. */
function registry(e: FakeEngine, opts: { tags?: string[]; chartExists?: boolean; rendered?: string } = {}) {
  e.on((path) => {
    if (runs(path, "helm", "show", "chart")) {
      if (leaf(path) === "exitCode") return opts.chartExists ? 0 : 1;
      if (leaf(path) === "stderr") return "Error: ghcr.io/llm-d-incubation/charts/workload-variant-autoscaler:0.4.1: not found";
    }
    if (runs(path, "crane", "ls") && leaf(path) === "stdout") return (opts.tags ?? []).join("\n");
    if (runs(path, "helm", "push") && leaf(path) === "combinedOutput") {
      const a = lastExec(path)!;
      const repo = a[a.indexOf("push") + 2].replace("oci://", "");
      return `Pushed: ${repo}/workload-variant-autoscaler:${version(path)}\nDigest: ${DIGEST}\n`;
    }
    if (runs(path, "template") && leaf(path) === "stdout") return opts.rendered;
    return undefined;
  });
}

/** The chart version a push chain packaged: the tgz name it copied in. */
function version(path: Step[]): string {
  const file = path.find((s) => s.name === "withFile" && /\.tgz$/.test(s.args.path));
  return /workload-variant-autoscaler-(.+)\.tgz$/.exec(file!.args.path)![1];
}

/** A Deployment as `helm template` renders it, with this image. */
const deployment = (image: string) =>
  `---\n# Source: x/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wva-workload-variant-autoscaler-controller-manager\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          image: "${image}"\n`;

/** Index of the first query whose text contains `needle` (-1 when none). */
const firstQuery = (e: FakeEngine, needle: string | RegExp) =>
  e.queries.findIndex((q) => (typeof needle === "string" ? q.includes(needle) : needle.test(q)));

/** Every query except the ones that create secrets must be free of the plaintext. */
function expectNoPlaintext(e: FakeEngine, ...plaintexts: string[]) {
  const creating = e.queries.filter((q) => q.includes("setSecret"));
  expect(creating.length).toBeGreaterThan(0);
  for (const q of e.queries.filter((q) => !q.includes("setSecret"))) {
    for (const p of plaintexts) expect(q).not.toContain(p);
  }
  for (const c of e.chains) for (const p of plaintexts) expect(JSON.stringify(c.filter((s) => s.name !== "setSecret"))).not.toContain(p);
}

/** The secret a step's argument refers to was created by setSecret(name). */
function secretName(e: FakeEngine, id: string): string | undefined {
  return e.origin(id)?.find((s) => s.name === "setSecret")?.args.name;
}

describe("image", () => {
  test("one platform: cross-compiled on the build platform, on the base, non-root, /manager, OCI metadata", async () => {
    const { engine, error } = await withFakeEngine(async () =>
      (await wva({ base: "local/static:nonroot" }).image("linux/arm64", "v0.4.1", "0123abcd")).sync(),
    );
    expect(error).toBeUndefined();
    const img = engine.chainsWith("sync").at(-1)!;
    expect(img[0]).toEqual({ name: "container", args: { platform: "linux/arm64" } });
    expect(img[1]).toEqual({ name: "from", args: { address: "local/static:nonroot" } });
    const file = img.find((s) => s.name === "withFile")!;
    expect(file.args.path).toBe("/manager");
    expect(file.args.permissions).toBe(0o755);
    // The binary comes from a Go container without a platform (the build platform) set to GOARCH=arm64.
    const dir = engine.origin(file.args.source)!;
    const build = engine.origin(dir.find((s) => s.name === "withFile")!.args.source)!;
    expect(build[0]).toEqual({ name: "container", args: {} });
    const env = Object.fromEntries(build.filter((s) => s.name === "withEnvVariable").map((s) => [s.args.name, s.args.value]));
    expect(env).toMatchObject({ GOOS: "linux", GOARCH: "arm64", CGO_ENABLED: "0" });
    expect(build.find((s) => s.name === "withExec" && s.args.args[0] === "go" && s.args.args[1] === "build")!.args.args.join(" ")).toContain(
      "-X main.version=v0.4.1",
    );
    expect(img.find((s) => s.name === "withUser")!.args.name).toBe("65532:65532");
    expect(img.find((s) => s.name === "withEntrypoint")!.args.args).toEqual(["/manager"]);
    const labels = Object.fromEntries(img.filter((s) => s.name === "withLabel").map((s) => [s.args.name, s.args.value]));
    const annotations = Object.fromEntries(img.filter((s) => s.name === "withAnnotation").map((s) => [s.args.name, s.args.value]));
    expect(labels).toEqual({
      "org.opencontainers.image.title": "workload-variant-autoscaler",
      "org.opencontainers.image.description": expect.stringContaining("Workload-Variant-Autoscaler"),
      "org.opencontainers.image.source": "https://github.com/llm-d-incubation/workload-variant-autoscaler",
      "org.opencontainers.image.version": "v0.4.1",
      "org.opencontainers.image.licenses": "Apache-2.0",
      "org.opencontainers.image.revision": "0123abcd",
    });
    expect(annotations).toEqual(labels);
    // Nothing ran on the target platform.
    expect(img.some((s) => s.name === "withExec")).toBe(false);
  });
});

describe("publishImage", () => {
  test("one multi-platform index under each tag, with registry auth from a Secret", async () => {
    const { engine, result, error } = await withFakeEngine(async () => {
      const token: Secret = dag.setSecret("cr-token", REGISTRY_TOKEN);
      return wva().publishImage(["v0.4.1", "latest"], REPO, undefined, "ci-bot", token, "v0.4.1", "0123abcd");
    });
    expect(error).toBeUndefined();
    const publishes = engine.chainsWith("publish");
    expect(publishes.map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.4.1`, `${REPO}:latest`]);
    expect(result).toEqual([`${REPO}:v0.4.1@sha256:${"ab".repeat(32)}`, `${REPO}:latest@sha256:${"ab".repeat(32)}`]);
    for (const chain of publishes) {
      const auth = chain.find((s) => s.name === "withRegistryAuth")!;
      expect(auth.args.address).toBe("ghcr.io");
      expect(auth.args.username).toBe("ci-bot");
      expect(secretName(engine, auth.args.secret)).toBe("cr-token");
      const variants: string[] = chain.at(-1)!.args.platformVariants;
      const chains = variants.map((id) => engine.origin(id)!);
      expect(chains.map((c) => c[0].args.platform)).toEqual(["linux/amd64", "linux/arm64"]);
      for (const v of chains) {
        expect(v[1]).toEqual({ name: "from", args: { address: "gcr.io/distroless/static:nonroot" } });
        const ann = Object.fromEntries(v.filter((s) => s.name === "withAnnotation").map((s) => [s.args.name, s.args.value]));
        expect(ann).toMatchObject({
          "org.opencontainers.image.source": "https://github.com/llm-d-incubation/workload-variant-autoscaler",
          "org.opencontainers.image.revision": "0123abcd",
          "org.opencontainers.image.version": "v0.4.1",
          "org.opencontainers.image.licenses": "Apache-2.0",
          "org.opencontainers.image.description": expect.any(String),
        });
      }
    }
    // Both tags publish the very same variants: the image is built once.
    expect(publishes[0].at(-1)!.args.platformVariants).toEqual(publishes[1].at(-1)!.args.platformVariants);
    expectNoPlaintext(engine, REGISTRY_TOKEN);
  });

  test("the registry host follows the repository", async () => {
    const { engine } = await withFakeEngine(() =>
      wva().publishImage(["v1.0.0"], "registry.example.com:5443/team/wva", ["linux/amd64"], "u", dag.setSecret("p", "pw-xyz-123")),
    );
    const chain = engine.chainsWith("publish")[0];
    expect(chain.find((s) => s.name === "withRegistryAuth")!.args.address).toBe("registry.example.com:5443");
    expect(chain.at(-1)!.args.platformVariants.map((id: string) => engine.origin(id)![0].args.platform)).toEqual(["linux/amd64"]);
  });

  test.each([
    [["bad/tag"], undefined, /invalid image tag/],
    [[], undefined, /no tags/],
    [["v1", "v1"], undefined, /duplicate image tags/],
    [["v1"], ["linux/sparc"], /unsupported architecture/],
    [["v1"], [], /no platforms/],
  ])("tags %j on %j are refused before anything is built", async (tags, platforms, why) => {
    const { engine, error } = await withFakeEngine(() => wva().publishImage(tags, REPO, platforms));
    expect(String(error)).toMatch(why);
    expect(engine.chainsWith("publish")).toEqual([]);
    expect(engine.execs()).toEqual([]);
  });
});

describe("release", () => {
  test.each(["0.4.1", "v0.4", "v01.2.3", "vfoo", "latest", "v1.0.0+build"])(
    "bad tag %s: fails with the expected form and sends no query at all",
    async (tag) => {
      const { engine, error } = await withFakeEngine(
        () => wva().release(tag, false, false, REPO, undefined, "u", dag.setSecret("t", REGISTRY_TOKEN)),
      );
      expect(String(error)).toContain(TAG_FORM);
      expect(engine.queries.filter((q) => !q.includes("setSecret"))).toEqual([]);
    },
  );

  test.each<[string, string[], string[]]>([
    ["v0.4.1", ["v0.3.0", "v0.4.0", "latest"], ["v0.4.1", "latest"]],
    ["v0.5.0-rc.1", ["v0.4.1"], ["v0.5.0-rc.1"]],
    ["v0.5.0-rc-1", ["v0.4.1"], ["v0.5.0-rc-1"]],
    ["v1.0.0-test", [], ["v1.0.0-test"]],
    ["v0.3.1", ["v0.3.0", "v0.4.0"], ["v0.3.1"]],
  ])("%s with %j in the registry publishes %j", async (tag, existing, tags) => {
    const { engine, error } = await withFakeEngine(
      () => wva().release(tag, false, false, REPO, undefined, "ci-bot", dag.setSecret("t", REGISTRY_TOKEN), undefined, undefined, ""),
      (e) => registry(e, { tags: existing }),
    );
    expect(error).toBeUndefined();
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual(tags.map((t) => `${REPO}:${t}`));
    // The existing tags were read with crane from the image repository, logged in with the secret.
    const ls = engine.chains.find((c) => runs(c, "crane", "ls"))!;
    expect(lastExec(ls)!.slice(-3)).toEqual(["crane", "ls", REPO]);
    expect(secretName(engine, ls.find((s) => s.name === "withSecretVariable")!.args.secret)).toBe("t");
  });

  test("--existing-tags replaces the registry listing", async () => {
    const { engine, error } = await withFakeEngine(
      () => wva().release("v0.4.2", false, false, REPO, undefined, undefined, undefined, undefined, ["v0.5.0"], ""),
      (e) => registry(e, { tags: ["should-not-be-read"] }),
    );
    expect(error).toBeUndefined();
    expect(engine.chains.some((c) => runs(c, "crane", "ls"))).toBe(false);
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.4.2`]);
  });

  test("full release: chart edited, linted before any push, image then chart pushed, tokens only as secret IDs", async () => {
    const { engine, result, error } = await withFakeEngine(
      () =>
        wva().release("v0.5.0", false, false, REPO, "oci://ghcr.io/llm-d-incubation/charts", "ci-bot",
          dag.setSecret("cr-token", REGISTRY_TOKEN), undefined, ["v0.4.1"], "0123abcd"),
      (e) => registry(e),
    );
    expect(error).toBeUndefined();
    // Chart.yaml and values.yaml as the release edits them (the other lines are covered by unit tests).
    const files = Object.fromEntries(engine.steps("withNewFile").map((s) => [s.args.path, s.args.contents]));
    expect(parse(files["Chart.yaml"])).toMatchObject({ name: "workload-variant-autoscaler", version: "0.5.0", appVersion: "v0.5.0" });
    expect(parse(files["values.yaml"]).wva.image).toEqual({ repository: REPO, tag: "v0.5.0" });
    expect(files["values.yaml"]).toContain("# -- Controller image repository.");
    // helm-docs regenerated README.md of the edited chart.
    expect(engine.execs()).toContainEqual(["helm-docs", "--chart-search-root", ".", "--log-level", "warning"]);
    // Order: lint, then the existence check, then the image, then the chart.
    const lint = firstQuery(engine, '"lint"');
    const show = firstQuery(engine, '"show"');
    const publish = firstQuery(engine, "publish");
    const push = firstQuery(engine, '"push"');
    expect(lint).toBeGreaterThanOrEqual(0);
    expect([lint < show, show < publish, publish < push]).toEqual([true, true, true]);
    // The chart push: login and push in one exec, password from a secret variable, on stdin.
    const pushChain = engine.chains.find((c) => runs(c, "helm", "push"))!;
    const pushArgs = lastExec(pushChain)!;
    expect(pushArgs.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(pushArgs[2]).toContain("--password-stdin");
    expect(pushArgs.slice(4)).toEqual(["helm", "push", "/pkg/workload-variant-autoscaler-0.5.0.tgz", "oci://ghcr.io/llm-d-incubation/charts"]);
    const env = Object.fromEntries(pushChain.filter((s) => s.name === "withEnvVariable").map((s) => [s.args.name, s.args.value]));
    expect(env).toMatchObject({ REGISTRY_HOST: "ghcr.io", REGISTRY_USER: "ci-bot" });
    expect(secretName(engine, pushChain.find((s) => s.name === "withSecretVariable" && s.args.name === "REGISTRY_PASSWORD")!.args.secret)).toBe("cr-token");
    expect(pushChain.some((s) => s.name === "withMountedTemp" && s.args.path === "/run/registry-auth")).toBe(true);
    expectNoPlaintext(engine, REGISTRY_TOKEN);
    expect(result).toBe(
      [
        "release v0.5.0",
        `image      ${REPO}:v0.5.0@sha256:${"ab".repeat(32)}`,
        "tags       v0.5.0, latest",
        "platforms  linux/amd64, linux/arm64",
        "latest     moved (highest stable release)",
        `chart      oci://ghcr.io/llm-d-incubation/charts/workload-variant-autoscaler:0.5.0@${DIGEST}`,
      ].join("\n"),
    );
  });

  test("--plain-http reaches a plain-HTTP test registry with helm and crane", async () => {
    const { engine, error } = await withFakeEngine(
      () =>
        wva().release("v0.4.1", false, false, "localhost:5000/wva", "oci://localhost:5000/charts", undefined, undefined,
          ["linux/amd64"], undefined, "", true),
      (e) => registry(e),
    );
    expect(error).toBeUndefined();
    expect(lastExec(engine.chains.find((c) => runs(c, "crane", "ls"))!)!.slice(-4)).toEqual(["crane", "ls", "localhost:5000/wva", "--insecure"]);
    expect(lastExec(engine.chains.find((c) => runs(c, "helm", "show", "chart"))!)!.at(-1)).toBe("--plain-http");
    expect(lastExec(engine.chains.find((c) => runs(c, "helm", "push"))!)!.slice(-2)).toEqual(["oci://localhost:5000/charts", "--plain-http"]);
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual(["localhost:5000/wva:v0.4.1", "localhost:5000/wva:latest"]);
  });

  describe("--registry-service (a registry containers cannot reach by name, e.g. on the caller's machine)", () => {
    const LOCAL = "127.0.0.1:5123";
    /** release to LOCAL through a host tunnel, with credentials; `chartRegistry` overridable. */
    const viaTunnel = (chartRegistry = `oci://${LOCAL}/charts`, dryRun = false) =>
      wva().release("v0.4.1", dryRun, false, `${LOCAL}/wva`, chartRegistry, "ci-bot", dag.setSecret("cr-token", REGISTRY_TOKEN),
        ["linux/amd64"], undefined, "", true, false, false, dag.host().service([{ frontend: 5123, backend: 5123 }]));
    const isTunnel = (e: FakeEngine, id: string) => e.origin(id)!.some((s) => s.name === "service" && s.args.ports?.[0]?.frontend === 5123);

    test("the engine publishes through the service under the given name; helm and crane reach it bound as registry:<port>", async () => {
      const { engine, result, error } = await withFakeEngine(() => viaTunnel(), (e) => registry(e));
      expect(error).toBeUndefined();
      const publishes = engine.chainsWith("publish");
      expect(publishes.map((c) => c.at(-1)!.args.address)).toEqual([`${LOCAL}/wva:v0.4.1`, `${LOCAL}/wva:latest`]);
      for (const p of publishes) {
        expect(isTunnel(engine, p.at(-1)!.args.registryService)).toBe(true);
        expect(p.find((s) => s.name === "withRegistryAuth")!.args.address).toBe(LOCAL);
      }
      const crane = engine.chains.find((c) => runs(c, "crane", "ls"))!;
      expect(lastExec(crane)!.slice(-4)).toEqual(["crane", "ls", "registry:5123/wva", "--insecure"]);
      for (const c of [crane, engine.chains.find((c) => runs(c, "helm", "show", "chart"))!, engine.chains.find((c) => runs(c, "helm", "push"))!]) {
        const binding = c.find((s) => s.name === "withServiceBinding")!;
        expect(binding.args.alias).toBe("registry");
        expect(isTunnel(engine, binding.args.service)).toBe(true);
        const env = Object.fromEntries(c.filter((s) => s.name === "withEnvVariable").map((s) => [s.args.name, s.args.value]));
        expect(env).toMatchObject({ REGISTRY_HOST: "registry:5123", REGISTRY_USER: "ci-bot" });
        expect(secretName(engine, c.find((s) => s.name === "withSecretVariable")!.args.secret)).toBe("cr-token");
      }
      expect(lastExec(engine.chains.find((c) => runs(c, "helm", "push"))!)!.slice(-2)).toEqual(["oci://registry:5123/charts", "--plain-http"]);
      // The chart edits and the summary use the registry's own name, not the in-container alias.
      const values = engine.steps("withNewFile").find((s) => s.args.path === "values.yaml")!.args.contents;
      expect(parse(values).wva.image).toEqual({ repository: `${LOCAL}/wva`, tag: "v0.4.1" });
      expect(result).toContain(`chart      oci://${LOCAL}/charts/workload-variant-autoscaler:0.4.1@${DIGEST}`);
      // The caller's service is neither started nor stopped by the release (bindings start it).
      expect(engine.chainsWith("start")).toEqual([]);
      expect(engine.chainsWith("stop")).toEqual([]);
      expectNoPlaintext(engine, REGISTRY_TOKEN);
    });

    test("an existing chart is refused under the registry's own name, before anything is pushed", async () => {
      const { engine, error } = await withFakeEngine(() => viaTunnel(), (e) => registry(e, { chartExists: true }));
      expect(String(error)).toMatch(new RegExp(`chart version 0.4.1 already exists in oci://${LOCAL}/charts; refusing to overwrite it`));
      expect(engine.chainsWith("publish")).toEqual([]);
      expect(engine.chains.some((c) => runs(c, "helm", "push"))).toBe(false);
    });

    test.each([
      ["an image and a chart on different hosts", () => viaTunnel("oci://ghcr.io/charts"), /must be on its host/],
      ["a dry run", () => viaTunnel(undefined, true), /--dry-run brings its own registry/],
    ])("%s: refused before anything runs", async (_, release, why) => {
      const { engine, error } = await withFakeEngine(release);
      expect(String(error)).toMatch(why);
      expect(engine.queries.filter((q) => !q.includes("setSecret"))).toEqual([]);
    });
  });

  test("an existing chart version is refused before anything is pushed", async () => {
    const { engine, error } = await withFakeEngine(
      () => wva().release("v0.4.1", false, false, REPO, undefined, undefined, undefined, undefined, [], ""),
      (e) => registry(e, { chartExists: true }),
    );
    expect(String(error)).toMatch(/chart version 0.4.1 already exists in oci:\/\/ghcr.io\/llm-d-incubation\/charts; refusing to overwrite it \(pass --force/);
    expect(engine.chainsWith("publish")).toEqual([]);
    expect(engine.chains.some((c) => runs(c, "helm", "push"))).toBe(false);
  });

  test("an existing image tag is refused before anything is pushed", async () => {
    const { engine, error } = await withFakeEngine(
      () => wva().release("v0.4.1", false, false, REPO, undefined, undefined, undefined, undefined, ["v0.4.1"], ""),
      (e) => registry(e),
    );
    expect(String(error)).toMatch(/image tag v0.4.1 already exists[^]*--reuse-image[^]*--force/);
    expect(engine.chainsWith("publish")).toEqual([]);
  });

  /** release(tag) with these existing image tags, --skip-chart and --reuse-image. */
  const releaseWith = (tag: string, existing: string[], skipChart: boolean, reuseImage: boolean) =>
    wva().release(tag, false, false, REPO, undefined, "ci-bot", dag.setSecret("t", REGISTRY_TOKEN), undefined, existing, "", false, skipChart, reuseImage);

  test("--skip-chart publishes the image (and latest) only: no chart lint, check or push", async () => {
    const { engine, result, error } = await withFakeEngine(() => releaseWith("v0.4.1", ["v0.4.0"], true, false), (e) => registry(e));
    expect(error).toBeUndefined();
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.4.1`, `${REPO}:latest`]);
    expect(engine.chains.some((c) => runs(c, "helm"))).toBe(false);
    expect(engine.execs().some((a) => a.includes("helm-docs"))).toBe(false);
    expect(result).toContain("chart      (skipped: image only)");
  });

  test("--reuse-image releases the chart against an image the tag push already published, pushing no image", async () => {
    const { engine, result, error } = await withFakeEngine(
      () => releaseWith("v0.4.1", ["v0.4.0", "v0.4.1", "latest"], false, true),
      (e) => registry(e),
    );
    expect(error).toBeUndefined();
    expect(engine.chainsWith("publish")).toEqual([]);
    expect(engine.chains.some((c) => runs(c, "helm", "push"))).toBe(true);
    const values = engine.steps("withNewFile").find((s) => s.args.path === "values.yaml")!.args.contents;
    expect(parse(values).wva.image).toEqual({ repository: REPO, tag: "v0.4.1" });
    expect(result).toContain("tags       (none pushed)");
    expect(result).toContain("latest     unchanged (image v0.4.1 was already published; reused, not pushed again)");
  });

  test("--reuse-image still publishes when the image tag does not exist yet", async () => {
    const { engine, error } = await withFakeEngine(() => releaseWith("v0.4.1", ["v0.4.0"], false, true), (e) => registry(e));
    expect(error).toBeUndefined();
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.4.1`, `${REPO}:latest`]);
  });

  test("--skip-chart with --reuse-image is refused before anything runs", async () => {
    const { engine, error } = await withFakeEngine(() => releaseWith("v0.4.1", [], true, true));
    expect(String(error)).toMatch(/would release nothing/);
    expect(engine.queries.filter((q) => !q.includes("setSecret"))).toEqual([]);
  });

  test("--force overwrites: no existence check, image and chart pushed", async () => {
    const { engine, error } = await withFakeEngine(
      () => wva().release("v0.4.1", false, true, REPO, undefined, undefined, undefined, undefined, ["v0.4.1"], ""),
      (e) => registry(e, { chartExists: true }),
    );
    expect(error).toBeUndefined();
    expect(engine.chains.some((c) => runs(c, "helm", "show", "chart"))).toBe(false);
    expect(engine.chainsWith("publish").map((c) => c.at(-1)!.args.address)).toEqual([`${REPO}:v0.4.1`, `${REPO}:latest`]);
    expect(engine.chains.some((c) => runs(c, "helm", "push"))).toBe(true);
  });

  test("an unexpected registry answer to the existence check stops the release", async () => {
    const { engine, error } = await withFakeEngine(
      () => wva().release("v0.4.1", false, false, REPO, undefined, undefined, undefined, undefined, [], ""),
      (e) => {
        registry(e);
        e.on((p) => (runs(p, "helm", "show", "chart") && leaf(p) === "stderr" ? "Error: unauthorized: authentication required" : undefined));
      },
    );
    expect(String(error)).toMatch(/could not tell whether .* exists:\nError: unauthorized/);
    expect(engine.chainsWith("publish")).toEqual([]);
  });

  test("a failing chart lint stops the release before the image is published", async () => {
    const { engine, error } = await withFakeEngine(
      () => wva().release("v0.4.1", false, false, REPO, undefined, undefined, undefined, undefined, [], ""),
      (e) => {
        registry(e);
        e.on((p) =>
          p.some((s) => s.name === "withExec" && s.args.args.join(" ") === "helm lint --strict .") && leaf(p) === "sync"
            ? new FakeError("exit code: 1", { _type: "EXEC_ERROR", cmd: ["helm", "lint"], exitCode: 1, stdout: "[ERROR] templates/", stderr: "" })
            : undefined,
        );
      },
    );
    expect(String(error)).toMatch(/exit code: 1/);
    expect(engine.chainsWith("publish")).toEqual([]);
  });

  describe("--dry-run", () => {
    const dryRun = (rendered: string) =>
      withFakeEngine(
        () =>
          wva({
            base: "local/static:nonroot", helm: "local/helm:v3.22.0", helmDocs: "local/helm:v3.22.0",
            crane: "local/crane:v0.22.1", registry: "local/registry:2",
          }).release("v0.4.1", true, false, REPO, "oci://ghcr.io/llm-d-incubation/charts", "ci-bot",
            dag.setSecret("cr-token", REGISTRY_TOKEN), undefined, undefined, "0123abcd"),
        (e) => registry(e, { rendered }),
      );
    const local = "localhost:5000/llm-d-incubation/workload-variant-autoscaler";

    test("rehearses everything against a registry service and checks the pushed chart renders the pushed image", async () => {
      const { engine, result, error } = await dryRun(deployment(`${local}:v0.4.1`));
      expect(error).toBeUndefined();
      // The registry is a service from the given image, started for the whole release and stopped after.
      const service = engine.chainsWith("start")[0];
      expect(service.slice(0, 4)).toEqual([
        { name: "container", args: {} },
        { name: "from", args: { address: "local/registry:2" } },
        { name: "withExposedPort", args: { port: 5000 } },
        { name: "asService", args: { useEntrypoint: true } },
      ]);
      expect(engine.chainsWith("stop").length).toBe(1);
      // The image goes to the service through the engine, never to ghcr.io, with no credentials.
      const publishes = engine.chainsWith("publish");
      expect(publishes.map((c) => c.at(-1)!.args.address)).toEqual([`${local}:v0.4.1`, `${local}:latest`]);
      for (const p of publishes) {
        expect(engine.origin(p.at(-1)!.args.registryService)!.slice(1, 2)).toEqual([{ name: "from", args: { address: "local/registry:2" } }]);
        expect(p.some((s) => s.name === "withRegistryAuth")).toBe(false);
      }
      // The chart is edited for the rehearsal image and pushed over plain HTTP to the bound service.
      const values = engine.steps("withNewFile").find((s) => s.args.path === "values.yaml")!.args.contents;
      expect(parse(values).wva.image).toEqual({ repository: local, tag: "v0.4.1" });
      const push = engine.chains.find((c) => runs(c, "helm", "push"))!;
      expect(lastExec(push)!.slice(-3)).toEqual(["/pkg/workload-variant-autoscaler-0.4.1.tgz", "oci://registry:5000/llm-d-incubation/charts", "--plain-http"]);
      expect(push.find((s) => s.name === "withServiceBinding")!.args.alias).toBe("registry");
      expect(push.some((s) => s.name === "withSecretVariable")).toBe(false);
      // Then pulled back and rendered.
      const render = engine.chains.find((c) => runs(c, "template") && leaf(c) === "stdout")!;
      const execs = render.filter((s) => s.name === "withExec").map((s) => s.args.args.join(" "));
      expect(execs[0]).toBe(
        "helm pull oci://registry:5000/llm-d-incubation/charts/workload-variant-autoscaler --version 0.4.1 --plain-http --destination /pulled",
      );
      expect(engine.queries.some((q) => q.includes("ghcr.io") && /publish|"push"/.test(q))).toBe(false);
      // The credentials are not even sent to the engine in a dry run.
      expect(engine.queries.some((q) => q.includes(REGISTRY_TOKEN))).toBe(false);
      expect(result).toBe(
        [
          "release v0.4.1 (dry run against an in-engine registry, localhost:5000)",
          `image      ${local}:v0.4.1@sha256:${"ab".repeat(32)}`,
          "tags       v0.4.1, latest",
          "platforms  linux/amd64, linux/arm64",
          "latest     moved (highest stable release)",
          `chart      oci://registry:5000/llm-d-incubation/charts/workload-variant-autoscaler:0.4.1@${DIGEST}`,
          `renders    Deployment/wva-workload-variant-autoscaler-controller-manager → ${local}:v0.4.1 ✔`,
        ].join("\n"),
      );
      console.log(`dry-run summary (fake engine):\n${result}`);
    });

    test("fails when the pushed chart renders another image, and still stops the registry", async () => {
      const { engine, error } = await dryRun(deployment(`${REPO}:v0.4.1`));
      expect(String(error)).toMatch(
        new RegExp(`does not render the pushed image ${local}:v0.4.1:\\nDeployment/\\S+ manager: ${REPO}:v0.4.1`),
      );
      expect(engine.chainsWith("stop").length).toBe(1);
    });
  });
});

describe("chart", () => {
  test("helmLint lints strictly, renders, and compares README.md with helm-docs output", async () => {
    const readme = "# workload-variant-autoscaler\n";
    const { engine, error } = await withFakeEngine(
      () => wva({ helm: "local/helm:v3.22.0", helmDocs: "local/helm-docs:v1.14.2" }).helmLint(),
      (e) => e.on((p) => (runs(p, "helm-docs") && leaf(p) === "contents" ? readme : undefined)),
    );
    // The committed README (the real file) is longer than what the fake helm-docs "generated".
    expect(String(error)).toMatch(/README.md is out of date: run helm-docs/);
    expect(engine.execs()).toEqual(
      expect.arrayContaining([
        ["helm", "lint", "--strict", "."],
        ["helm", "template", "wva", ".", "--namespace", "workload-variant-autoscaler-system"],
        ["helm-docs", "--chart-search-root", ".", "--log-level", "warning"],
      ]),
    );
    expect(engine.steps("from").map((s) => s.args.address).sort()).toEqual(["local/helm-docs:v1.14.2", "local/helm:v3.22.0"]);
  });

  test("helmLint passes when helm-docs reproduces README.md", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(`${CHART_DIR}/README.md`, "utf8");
    const { error } = await withFakeEngine(
      () => wva().helmLint(),
      (e) => e.on((p) => (runs(p, "helm-docs") && leaf(p) === "contents" ? readme : undefined)),
    );
    expect(error).toBeUndefined();
  });

  test("a source without the chart names the missing path", async () => {
    const { error } = await withFakeEngine(() => wva({}, false).helmLint());
    expect(String(error)).toMatch(/the source has no charts\/workload-variant-autoscaler; pass --chart/);
  });

  test("ci has a chart stage", () => {
    expect(new Wva(dag.directory()).ciStages()).toContain("chart");
  });

  test("chartForRelease returns the chart as the tag ships it", async () => {
    const { engine, error } = await withFakeEngine(async () => (await wva().chartForRelease("v0.6.0-rc.2", REPO)).sync());
    expect(error).toBeUndefined();
    const files = Object.fromEntries(engine.steps("withNewFile").map((s) => [s.args.path, s.args.contents]));
    expect(parse(files["Chart.yaml"])).toMatchObject({ version: "0.6.0-rc.2", appVersion: "v0.6.0-rc.2" });
    expect(parse(files["values.yaml"]).wva.image.tag).toBe("v0.6.0-rc.2");
    // README.md is the one helm-docs regenerated from the edited chart.
    const readme = engine.steps("withFile").find((s) => s.args.path === "README.md")!;
    expect(engine.origin(readme.args.source)!.some((s) => s.name === "withExec" && s.args.args[0] === "helm-docs")).toBe(true);
  });
});

describe("commitChart", () => {
  test("commits the released files to a branch with the token as a secret variable only", async () => {
    const { engine, result, error } = await withFakeEngine(
      () =>
        wva({ git: "local/git:2" }).commitChart("v0.4.1", dag.setSecret("gh-token", GIT_TOKEN), "release-0.4"),
      (e) => e.on((p) => (runs(p, "sh", "-c") && leaf(p) === "stdout" ? `pushed ${"e".repeat(40)}\n` : undefined)),
    );
    expect(error).toBeUndefined();
    expect(result).toBe(`pushed ${"e".repeat(40)}`);
    const chain = engine.chainsWith("stdout").find((c) => c.some((s) => s.name === "from" && s.args.address === "local/git:2"))!;
    const env = Object.fromEntries(chain.filter((s) => s.name === "withEnvVariable").map((s) => [s.args.name, s.args.value]));
    expect(env).toMatchObject({
      REPO_URL: "https://github.com/llm-d-incubation/workload-variant-autoscaler.git",
      BRANCH: "release-0.4",
      CHART_PATH: "charts/workload-variant-autoscaler",
      FILES: "Chart.yaml values.yaml README.md",
      MESSAGE: "chore(release): chart 0.4.1 for v0.4.1",
    });
    const secret = chain.find((s) => s.name === "withSecretVariable")!;
    expect(secret.args.name).toBe("GIT_TOKEN");
    expect(secretName(engine, secret.args.secret)).toBe("gh-token");
    // The files handed to git are only the three released ones, from the edited chart.
    const update = chain.find((s) => s.name === "withDirectory" && s.args.path === "/update")!;
    expect(engine.origin(update.args.source)!.find((s) => s.name === "withDirectory")!.args.include).toEqual([
      "Chart.yaml", "values.yaml", "README.md",
    ]);
    expectNoPlaintext(engine, GIT_TOKEN);
  });

  test.each([
    ["v0.4", "main", new RegExp(TAG_FORM.replace(/[[\].]/g, "\\$&"))],
    ["v0.4.1", "--upload-pack=x", /invalid branch name/],
    ["v0.4.1", "a..b", /invalid branch name/],
  ])("tag %s, branch %s: refused before git runs", async (tag, branch, why) => {
    const { engine, error } = await withFakeEngine(() =>
      wva().commitChart(tag, dag.setSecret("gh-token", GIT_TOKEN), branch),
    );
    expect(String(error)).toMatch(why);
    expect(engine.execs().some((a) => a[0] === "sh")).toBe(false);
  });
});
