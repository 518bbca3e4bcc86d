/**
 * The release, end to end: validate → build once → publish the image → release the chart.
 * Plumbing only; the rules (tags, `latest`, chart edits) live in lib/ and are unit-tested.
 */
import { Directory, Secret, Service, dag } from "@dagger.io/dagger";
import { Chart } from "./chart.js";
import { Image } from "./image.js";
import { renderedImages } from "./lib/helm-output.js";
import { imageTagList, listArgument } from "./lib/args.js";
import { imagePlatforms } from "./lib/platform.js";
import { partialReleaseMessage } from "./lib/release-messages.js";
import { COMMIT_CHART, runId } from "./lib/release-scripts.js";
import { imageTags, latestDecision, parseReleaseTag, parseRepository } from "./lib/tags.js";

/** Port of the dry-run registry service. */
const DRY_RUN_PORT = 5000;
/**
 * Names of the dry-run registry. The engine pushes and pulls through `localhost:5000`, which it
 * reaches over plain HTTP (the engine allows HTTP only for localhost names) and which
 * `registryService` binds to the service; containers reach the same service as `registry:5000`.
 */
const DRY_RUN_ENGINE_HOST = `localhost:${DRY_RUN_PORT}`;
const DRY_RUN_CONTAINER_HOST = `registry:${DRY_RUN_PORT}`;
/** Name under which helm and crane containers reach a registry given as a Service (its port is kept). */
const SERVICE_ALIAS = "registry";

/** Everything a release needs; Wva.release fills it from its arguments. */
export interface ReleasePlan {
  tag: string;
  dryRun: boolean;
  force: boolean;
  /** Publish the image only (the tag-push workflow); the chart is released by another run. */
  skipChart: boolean;
  /**
   * When the image tag already exists (the tag-push workflow published it), release the chart
   * against it instead of refusing; nothing is pushed twice.
   */
  reuseImage: boolean;
  /** Talk to the registries over plain HTTP (a local test registry; the engine itself allows HTTP only for localhost names). */
  plainHttp: boolean;
  imageRepository: string;
  chartRegistry: string;
  username?: string;
  password?: Secret;
  platforms: string[];
  existingTags?: string[];
  /** The chart to release (before its release edits), looked up after the inputs are validated; absent only with skipChart. */
  chart?: () => Promise<Chart>;
  /** The Image of `version` for the platforms (the Dockerfile's, or the assembled one; built once, lazily). */
  image: (version: string, platforms: string[]) => Promise<Image>;
  registryImage: string;
  /**
   * The registry that imageRepository and chartRegistry name (both on its host), as a Service,
   * for a registry containers cannot reach by that name (one on the caller's machine, through
   * `dag.host().service(...)` or the CLI's `tcp://localhost:5000`). The engine publishes through
   * it under the given name; helm and crane reach it as `registry:<port>`.
   */
  registryService?: Service;
}

/** What a release did, for its summary. */
export interface ReleaseResult {
  tag: string;
  dryRun: boolean;
  image: string;
  imageRefs: string[];
  tags: string[];
  platforms: string[];
  latest: { moves: boolean; reason: string };
  chart?: string;
  rendered?: string[];
}

/**
 * Runs the release and returns its summary. Every check that can fail without side effects
 * (tag, platforms, references, credentials, chart edits, chart lint, existing versions) runs
 * before the first push.
 */
export async function runRelease(plan: ReleasePlan): Promise<string> {
  // 1. Validate: nothing is built, read or pushed before these pass.
  const t = parseReleaseTag(plan.tag);
  // List arguments may arrive as one joined string ("linux/amd64 linux/arm64", "v0.4.0,v0.3.0"): split, then check.
  const platforms = imagePlatforms(listArgument(plan.platforms));
  const givenTags = plan.existingTags && imageTagList(listArgument(plan.existingTags), "--existing-tags");
  const imageRepo = parseRepository(plan.imageRepository, "--image-repository");
  const chartRepo = parseRepository(plan.chartRegistry, "--chart-registry");
  if (!plan.dryRun && plan.password && !plan.username) throw new Error("a registry password needs --username");
  if (plan.skipChart && plan.reuseImage) {
    throw new Error("--skip-chart with --reuse-image would release nothing; drop one of them");
  }

  if (plan.registryService && plan.dryRun) throw new Error("--dry-run brings its own registry; drop --registry-service");
  if (plan.registryService && !plan.skipChart && imageRepo.host !== chartRepo.host) {
    throw new Error(
      `--registry-service is one registry: the image repository (${imageRepo.host}) and the chart registry (${chartRepo.host}) must be on its host`,
    );
  }

  // Names of the registries: as the engine publishes (imageRepository), as helm and crane
  // containers reach them (listRepository, chartRegistry), and as the summary reports the chart.
  let service: Service | undefined = plan.registryService;
  let imageRepository = plan.imageRepository;
  let listRepository = plan.imageRepository;
  let chartRegistry = plan.chartRegistry;
  let reportChart = (ref: string) => ref;
  const creds = plan.dryRun ? {} : { username: plan.username, password: plan.password };
  if (service) {
    const port = imageRepo.host.includes(":") ? `:${imageRepo.host.split(":").pop()}` : "";
    const inContainers = `${SERVICE_ALIAS}${port}`;
    listRepository = `${inContainers}/${imageRepo.path}`;
    chartRegistry = `oci://${inContainers}/${chartRepo.path}`;
    reportChart = (ref) => ref.replace(`oci://${inContainers}/`, `oci://${chartRepo.host}/`);
  }
  if (plan.dryRun) {
    service = dag.container().from(plan.registryImage).withExposedPort(DRY_RUN_PORT).asService({ useEntrypoint: true });
    // Started once and kept up until the end: the registry keeps its content only while it runs.
    await service.start();
    imageRepository = `${DRY_RUN_ENGINE_HOST}/${imageRepo.path}`;
    listRepository = `${DRY_RUN_CONTAINER_HOST}/${imageRepo.path}`;
    chartRegistry = `oci://${DRY_RUN_CONTAINER_HOST}/${chartRepo.path}`;
  }
  try {
    // 2. Prepare and check, still without side effects.
    if (!plan.skipChart && !plan.chart) throw new Error("no chart to release (pass --chart, or --skip-chart for the image only)");
    const chart = plan.skipChart || !plan.chart ? undefined : await (await plan.chart()).withRelease(t.tag, imageRepository);
    await chart?.lint();
    const plainHttp = plan.dryRun || plan.plainHttp;
    if (chart && !plan.force && (await chart.exists(chartRegistry, creds.username, creds.password, plainHttp, service))) {
      throw new Error(
        `chart version ${t.chartVersion} already exists in ${plan.dryRun ? chartRegistry : plan.chartRegistry}; refusing to overwrite it (pass --force to release anyway)`,
      );
    }
    const builder = await plan.image(t.tag, platforms);
    const existing =
      givenTags ?? (await builder.listTags(listRepository, creds.username, creds.password, service, plainHttp));
    const reuse = existing.includes(t.tag) && !plan.force && plan.reuseImage;
    if (existing.includes(t.tag) && !plan.force && !reuse) {
      throw new Error(
        `image tag ${t.tag} already exists in ${plan.imageRepository}; refusing to overwrite it ` +
          "(pass --reuse-image to release the chart against it, or --force to rebuild and overwrite it)",
      );
    }
    const tags = reuse ? [] : imageTags(t.tag, existing);

    // 3. Side effects: image (built once, every tag is the same index), then chart.
    const imageRefs = reuse
      ? [`${imageRepository}:${t.tag}`]
      : await builder.publish(tags, imageRepository, platforms, creds.username, creds.password, service);
    let chartRef: string | undefined;
    try {
      chartRef = await chart?.push(chartRegistry, creds.username, creds.password, plan.force, plainHttp, service);
    } catch (e) {
      throw new Error(partialReleaseMessage(plan, reuse ? [] : imageRefs, e));
    }

    const result: ReleaseResult = {
      tag: t.tag,
      dryRun: plan.dryRun,
      image: imageRefs[0],
      imageRefs,
      tags,
      platforms,
      latest: reuse
        ? { moves: false, reason: `image ${t.tag} was already published; reused, not pushed again` }
        : latestDecision(t.tag, existing),
      chart: chartRef && reportChart(chartRef),
    };
    // 4. Dry run: the pushed chart must render with the image that was pushed.
    if (plan.dryRun && chart) {
      result.rendered = await checkPushedChart(chart, chartRegistry, `${imageRepository}:${t.tag}`, service!);
    }
    return releaseSummary(result);
  } finally {
    if (plan.dryRun && service) await service.stop();
  }
}

/**
 * Pulls the chart just pushed to the dry-run registry, renders it with its default values and
 * fails unless every workload image is the image that was pushed. Returns `Kind/name → image` lines.
 */
async function checkPushedChart(chart: Chart, chartRegistry: string, image: string, service: Service): Promise<string[]> {
  const released = await chart.identity();
  const manifests = await dag
    .container()
    .from(chart.helmImage)
    .withServiceBinding(DRY_RUN_CONTAINER_HOST.split(":")[0], service)
    .withEnvVariable("WVA_RUN", runId())
    .withDirectory("/pulled", dag.directory())
    .withExec([
      "helm", "pull", `${chartRegistry}/${released.name}`, "--version", released.version, "--plain-http", "--destination", "/pulled",
    ])
    .withExec(["sh", "-c", 'exec helm template wva /pulled/*.tgz --namespace "$1"', "template", "workload-variant-autoscaler-system"])
    .stdout();
  const images = renderedImages(manifests);
  if (images.length === 0) throw new Error("the pushed chart renders no workload");
  const wrong = images.filter((i) => i.image !== image);
  if (wrong.length) {
    throw new Error(
      `the pushed chart does not render the pushed image ${image}:\n${wrong.map((w) => `${w.workload} ${w.container}: ${w.image}`).join("\n")}`,
    );
  }
  return images.map((i) => `${i.workload} → ${i.image}`);
}

/** The release summary, one fact per line. */
export function releaseSummary(r: ReleaseResult): string {
  const lines = [
    `release ${r.tag}${r.dryRun ? ` (dry run against an in-engine registry, ${DRY_RUN_ENGINE_HOST})` : ""}`,
    `image      ${r.image}`,
    `tags       ${r.tags.length ? r.tags.join(", ") : "(none pushed)"}`,
    `platforms  ${r.platforms.join(", ")}`,
    `latest     ${r.latest.moves ? "moved" : "unchanged"} (${r.latest.reason})`,
    `chart      ${r.chart ?? "(skipped: image only)"}`,
  ];
  for (const line of r.rendered ?? []) lines.push(`renders    ${line} ✔`);
  return lines.join("\n");
}

/** Options of commitChart. */
export interface CommitPlan {
  /** The released chart files (only those a release changes). */
  files: Directory;
  /** Their names, e.g. Chart.yaml values.yaml (README.md only for a helm-docs-managed chart). */
  fileNames: string[];
  token?: Secret;
  repositoryUrl: string;
  branch: string;
  chartPath: string;
  message: string;
  authorName: string;
  authorEmail: string;
  gitImage: string;
}

/**
 * Clones `branch` of the repository in a git container, writes the released chart files (only
 * `fileNames`: what the release changed) into
 * `chartPath`, commits (signed off) and pushes. The token reaches git only as a secret variable.
 * Returns `pushed <sha>` or `unchanged <sha>`.
 */
export async function commitChart(plan: CommitPlan): Promise<string> {
  if (!/^[A-Za-z0-9._/-]+$/.test(plan.branch) || plan.branch.startsWith("-") || plan.branch.includes("..")) {
    throw new Error(`invalid branch name "${plan.branch}"`);
  }
  const bad = plan.fileNames.filter((f) => !/^[A-Za-z0-9._-]+$/.test(f));
  if (!plan.fileNames.length || bad.length) throw new Error(`invalid chart file names to commit: ${JSON.stringify(plan.fileNames)}`);
  let c = dag
    .container()
    .from(plan.gitImage)
    .withMountedTemp("/run/commit")
    .withDirectory("/update", plan.files)
    .withEnvVariable("REPO_URL", plan.repositoryUrl)
    .withEnvVariable("BRANCH", plan.branch)
    .withEnvVariable("CHART_PATH", plan.chartPath)
    .withEnvVariable("FILES", plan.fileNames.join(" "))
    .withEnvVariable("MESSAGE", plan.message)
    .withEnvVariable("AUTHOR_NAME", plan.authorName)
    .withEnvVariable("AUTHOR_EMAIL", plan.authorEmail)
    .withEnvVariable("WVA_RUN", runId());
  if (plan.token) c = c.withSecretVariable("GIT_TOKEN", plan.token);
  return (await c.withExec(["sh", "-c", COMMIT_CHART]).stdout()).trim();
}
