import { Container, Directory, Platform, ReturnType, Secret, Service, dag, func, object } from "@dagger.io/dagger";
import { crossBuildDockerfile, declaredArgs } from "./lib/dockerfile.js";
import { execFailure } from "./lib/exec-output.js";
import { isRepositoryNotFound } from "./lib/helm-output.js";
import { goTarget, platformSlug } from "./lib/platform.js";
import { CRANE_LOGIN_THEN, REGISTRY_AUTH_DIR, runId } from "./lib/release-scripts.js";
import { parseRepository } from "./lib/tags.js";

/** A Docker/OCI tag: up to 128 of [A-Za-z0-9_.-], not starting with . or -. */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Where the cross-build copy of the Dockerfile is written in the build context. */
const CROSS_DOCKERFILE = ".wva-cross.Dockerfile";

/**
 * The controller's container image, published as one multi-platform index. Built from the
 * repository's Dockerfile (its first stage on the build platform, so `go build` cross-compiles),
 * or, for a repository without one, assembled: the cross-compiled binary on a static, non-root
 * base. Either way with version, revision and source labels and annotations.
 */
@object()
export class Image {
  /** Controller binaries laid out as `<os>_<arch>/manager` (what `Go.binaries` returns); the assembled image's. */
  @func()
  binaries: Directory;

  /** Build context of the Dockerfile (the repository); unset for the assembled image. */
  context?: Directory;

  /** Path of the Dockerfile in `context`; empty for the assembled image. */
  @func()
  dockerfile: string;

  /** Version the image carries (label and annotation org.opencontainers.image.version). */
  @func()
  version: string;

  /** Source revision (git commit) for org.opencontainers.image.revision; empty to leave it out. */
  @func()
  revision: string;

  /** Source repository URL for org.opencontainers.image.source. */
  @func()
  sourceUrl: string;

  /** Image description for org.opencontainers.image.description. */
  @func()
  description: string;

  /**
   * Static, non-root base image. Pinned by tag: digests cannot be resolved offline here; pin a
   * digest (`…:nonroot@sha256:…`) through this argument where the registry is reachable.
   */
  @func()
  base: string;

  /** Creation time (RFC 3339) for org.opencontainers.image.created; empty keeps builds reproducible. */
  @func()
  created: string;

  /** Image with crane and a POSIX sh, used to list a repository's tags. */
  @func()
  craneImage: string;

  /**
   * @param binaries Controller binaries as `<os>_<arch>/manager`.
   * @param version Version for the OCI labels and annotations.
   * @param revision Git commit for org.opencontainers.image.revision.
   * @param sourceUrl Source repository URL for org.opencontainers.image.source.
   * @param description Image description.
   * @param base Static, non-root base image (distroless static:nonroot by default).
   * @param created Creation time (RFC 3339); empty to leave it out.
   * @param craneImage Image with crane and sh (crane's debug image by default).
   */
  constructor(
    binaries: Directory,
    version = "dev",
    revision = "",
    sourceUrl = "https://github.com/llm-d-incubation/workload-variant-autoscaler",
    description = "Workload-Variant-Autoscaler: scales LLM inference model variants from saturation and SLOs",
    base = "gcr.io/distroless/static:nonroot",
    created = "",
    craneImage = "gcr.io/go-containerregistry/crane/debug:v0.22.1",
  ) {
    this.binaries = binaries;
    this.version = version;
    this.revision = revision;
    this.sourceUrl = sourceUrl;
    this.description = description;
    this.base = base;
    this.created = created;
    this.craneImage = craneImage;
    this.dockerfile = "";
  }

  /** The image built from `dockerfile` in `context` (the repository), as `container` describes. */
  static fromDockerfile(
    context: Directory,
    dockerfile: string,
    o: { version: string; revision: string; sourceUrl?: string; craneImage?: string },
  ): Image {
    const i = new Image(dag.directory(), o.version, o.revision, o.sourceUrl, undefined, undefined, undefined, o.craneImage);
    i.context = context;
    i.dockerfile = dockerfile;
    return i;
  }

  /** The OCI metadata every platform image carries, as labels and as manifest annotations. */
  @func()
  metadata(): string[] {
    return Object.entries(this.ociMetadata()).map(([k, v]) => `${k}=${v}`);
  }

  /**
   * The image for one platform. From the Dockerfile: built by the engine's BuildKit for `platform`
   * with the first stage on the build platform (the engine's own: `FROM --platform=<it>`, added when
   * the Dockerfile names none, and written in for `$BUILDPLATFORM`, which Dagger sets to the target), the Dockerfile's labels kept and version/revision added. Assembled: the
   * base for that platform, /manager from the binaries, user 65532:65532, entrypoint /manager.
   * Neither runs anything on the target platform, so no emulation is involved.
   *
   * @param platform Target platform, os/arch; the assembled image needs its binary in `binaries`.
   */
  @func()
  async container(platform = "linux/amd64"): Promise<Container> {
    if (this.context) return this.dockerfileContainer(platform);
    let c = dag
      .container({ platform: platform as Platform })
      .from(this.base)
      .withFile("/manager", this.binaries.file(`${platformSlug(platform)}/manager`), {
        permissions: 0o755,
      })
      .withWorkdir("/")
      .withUser("65532:65532")
      .withEntrypoint(["/manager"]);
    for (const [k, v] of Object.entries(this.ociMetadata())) c = c.withLabel(k, v).withAnnotation(k, v);
    return c;
  }

  /**
   * The Dockerfile's builder stage as it runs for `platform`: on the build platform, so its
   * `platform` and `uname -m` show where `go build` ran. Only for a Dockerfile image.
   *
   * @param platform Target platform the image is built for.
   * @param target Name of the builder stage.
   */
  @func()
  async builder(platform = "linux/arm64", target = "builder"): Promise<Container> {
    if (!this.context) throw new Error("the assembled image has no builder stage (the repository has no Dockerfile)");
    const { context, buildArgs } = await this.crossBuild();
    return context.dockerBuild({ dockerfile: CROSS_DOCKERFILE, platform: platform as Platform, target, buildArgs });
  }

  /** The build context with the cross-build Dockerfile added, and the build args it takes (VERSION, REVISION when declared). */
  private async crossBuild(): Promise<{ context: Directory; buildArgs: { name: string; value: string }[] }> {
    const context = this.context!;
    const text = await execFailure(`reading ${this.dockerfile}`, () => context.file(this.dockerfile).contents());
    const declared = declaredArgs(text);
    const values: Record<string, string> = { VERSION: this.version, REVISION: this.revision };
    const buildArgs = Object.entries(values)
      .filter(([name, value]) => value && declared.includes(name))
      .map(([name, value]) => ({ name, value }));
    // the engine's own platform: where the builder stage runs natively
    const buildPlatform = await dag.defaultPlatform();
    return { context: context.withNewFile(CROSS_DOCKERFILE, crossBuildDockerfile(text, buildPlatform).text), buildArgs };
  }

  private async dockerfileContainer(platform: string): Promise<Container> {
    goTarget(platform);
    const { context, buildArgs } = await this.crossBuild();
    const built = context.dockerBuild({
      dockerfile: CROSS_DOCKERFILE,
      platform: platform as Platform,
      buildArgs,
    });
    // The Dockerfile's own labels stay; ours fill what it leaves out, version and revision always.
    const own = new Map(
      await execFailure(`docker build of ${this.dockerfile}`, async () =>
        Promise.all((await built.labels()).map(async (l) => [await l.name(), await l.value()] as const)),
      ),
    );
    const metadata = this.ociMetadata();
    const always = new Set(["org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.created"]);
    const labels: Record<string, string> = Object.fromEntries(own);
    for (const [k, v] of Object.entries(metadata)) if (always.has(k) || !(k in labels)) labels[k] = v;
    let c = built;
    for (const [k, v] of Object.entries(labels)) {
      if (own.get(k) !== v) c = c.withLabel(k, v);
      c = c.withAnnotation(k, v);
    }
    return c;
  }

  /**
   * Publishes one multi-platform image index under each tag of `tags` in `repository` and
   * returns the digest references, one per tag. Registry credentials come from `username` and
   * the `password` Secret; the registry host is taken from `repository`.
   *
   * Dagger 0.21 writes the annotations on each platform manifest and on its descriptor in the
   * index; it has no API for annotations on the index itself.
   *
   * @param tags Tags to publish the index under, e.g. v0.4.1 latest.
   * @param repository Image repository; its host is the registry.
   * @param platforms Platforms of the index (each needs its binary in `binaries`).
   * @param username Registry user.
   * @param password Registry token as a Secret.
   * @param registryService Service the engine reaches the registry host through (a registry inside the engine).
   */
  @func({ cache: "never" })
  async publish(
    tags: string[],
    repository = "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
    platforms: string[] = ["linux/amd64", "linux/arm64"],
    username?: string,
    password?: Secret,
    registryService?: Service,
  ): Promise<string[]> {
    const { host } = parseRepository(repository);
    checkPublish(tags, platforms, username, password);
    const variants = await Promise.all(platforms.map((p) => this.container(p)));
    let publisher = dag.container();
    if (password) publisher = publisher.withRegistryAuth(host, username!, password);
    const refs: string[] = [];
    for (const tag of tags) {
      refs.push(
        await publisher.publish(`${repository}:${tag}`, {
          platformVariants: variants,
          ...(registryService ? { registryService } : {}),
        }),
      );
    }
    return refs;
  }

  /**
   * The tags that exist in `repository` (`crane ls`); empty when the repository does not exist
   * yet. With `registryService`, the registry host's name is bound to that service and reached
   * over plain HTTP (the dry-run registry).
   *
   * @param repository Image repository to list.
   * @param username Registry user.
   * @param password Registry token as a Secret.
   * @param registryService Service bound under the registry's host name.
   * @param plainHttp Talk to the registry over plain HTTP (a local test registry).
   */
  @func({ cache: "never" })
  async listTags(
    repository = "ghcr.io/llm-d-incubation/workload-variant-autoscaler",
    username?: string,
    password?: Secret,
    registryService?: Service,
    plainHttp = false,
  ): Promise<string[]> {
    const { host, path } = parseRepository(repository);
    if (password && !username) throw new Error("a registry password needs a username");
    let c = dag
      .container()
      .from(this.craneImage)
      .withMountedTemp(REGISTRY_AUTH_DIR)
      .withEnvVariable("REGISTRY_HOST", host)
      .withEnvVariable("WVA_RUN", runId());
    const args = ["crane", "ls", `${host}/${path}`];
    if (registryService) c = c.withServiceBinding(host.split(":")[0], registryService);
    if (registryService || plainHttp) args.push("--insecure");
    if (password) c = c.withEnvVariable("REGISTRY_USER", username!).withSecretVariable("REGISTRY_PASSWORD", password);
    const run = c.withExec(["sh", "-c", CRANE_LOGIN_THEN, "crane-login", ...args], { expect: ReturnType.Any });
    if ((await run.exitCode()) === 0) {
      return (await run.stdout()).split("\n").map((t) => t.trim()).filter(Boolean);
    }
    const stderr = await run.stderr();
    if (isRepositoryNotFound(stderr)) return [];
    throw new Error(`could not list the tags of ${repository}:\n${stderr.trim()}`);
  }

  private ociMetadata(): Record<string, string> {
    const m: Record<string, string> = {
      "org.opencontainers.image.title": "workload-variant-autoscaler",
      "org.opencontainers.image.description": this.description,
      "org.opencontainers.image.source": this.sourceUrl,
      "org.opencontainers.image.version": this.version,
      "org.opencontainers.image.licenses": "Apache-2.0",
    };
    if (this.revision) m["org.opencontainers.image.revision"] = this.revision;
    if (this.created) m["org.opencontainers.image.created"] = this.created;
    return m;
  }
}

/** Rejects a publish that could not be right, before anything is built or pushed. */
function checkPublish(tags: string[], platforms: string[], username?: string, password?: Secret) {
  if (tags.length === 0) throw new Error("no tags to publish");
  const bad = tags.filter((t) => !DOCKER_TAG.test(t));
  if (bad.length) throw new Error(`invalid image tag(s): ${bad.join(", ")} (allowed: [A-Za-z0-9_.-], at most 128)`);
  if (new Set(tags).size !== tags.length) throw new Error(`duplicate image tags: ${tags.join(", ")}`);
  if (platforms.length === 0) throw new Error("no platforms to publish");
  platforms.forEach(goTarget);
  if (new Set(platforms).size !== platforms.length) throw new Error(`duplicate platforms: ${platforms.join(", ")}`);
  if (password && !username) throw new Error("a registry password needs a username");
}
