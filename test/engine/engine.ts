/**
 * What test/engine/up.sh brought up (engine, registry, base images), for the real-engine tests.
 * Missing state is an error, never a skip: run `bash test/engine/up.sh` first.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { connection, dag } from "@dagger.io/dagger";
import { Wva } from "../../dagger/src/index.js";
import { k8sStatus, waitForK8s } from "./k8s-lane.js";

const stateDir = fileURLToPath(new URL("./.state/", import.meta.url));

/** Where the engine and registry are, as written by up.sh. */
export interface EngineState {
  _EXPERIMENTAL_DAGGER_CLI_BIN: string;
  _EXPERIMENTAL_DAGGER_RUNNER_HOST: string;
  registry: string;
  registryUser: string;
  registryPassword: string;
  engineLog: string;
  /** Docker config holding the registry login the CLI hands to the engine for pulls. */
  DOCKER_CONFIG: string;
}

/** The base images build-images.sh pushed to the local registry (the mirrors serve them under their public names). */
export interface LocalImages {
  registry: string;
  goVersion: string;
  golang: string;
  /** WVA's go.mod Go (1.24.0), linux/amd64 (+ linux/arm64 with WVA_GO_IMAGE_ARM64=1). */
  wvaGolang: string;
  /** WVA's Dockerfile builder, quay.io/projectquay/golang:1.24, linux/amd64 (+ linux/arm64 as above). */
  quayGolang: string;
  distrolessStatic: string;
  helm: string;
  /** kubectl and helm (alpine/k8s:1.32.1). */
  kubectl: string;
  /** CNCF distribution registry on :5000, no auth (the release dry run's registry). */
  registryImage: string;
  /** crane and sh (lists image tags in the release). */
  crane: string;
  /** git, sh and base64 (commits the released chart files). */
  git: string;
  /** Docker-in-Docker (Debian's docker.io 20.10): docker:dind's role, the Kind cluster's Docker daemon. */
  docker: string;
}

function readState<T>(name: string): T {
  const path = `${stateDir}${name}`;
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: bring the engine up first with \`bash test/engine/up.sh\``);
  }
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export const engine: EngineState = readState<EngineState>("env.json");
export const images: LocalImages = readState<LocalImages>("images.json");

/**
 * Waits for up.sh's Kubernetes builds (envtest assets, the kind node image in the registry), which
 * `npm test` lets run beside the first tiers (k8s-lane.ts). Call it before envtestAssets() or a
 * Kind cluster; on a warm machine it returns at once.
 */
export function k8sReady(): Promise<void> {
  return waitForK8s(`${stateDir}k8s.status`, {
    progress: (s) => console.log(`waiting ${s}s for up.sh's Kubernetes builds (envtest, kind node image)…`),
  });
}

/**
 * The envtest binaries (kube-apiserver, etcd, kubectl at WVA's ENVTEST_K8S_VERSION) built on this
 * machine from the Go module proxy by build-k8s.sh (.state/k8s.json): what `--envtest-assets` takes where
 * setup-envtest cannot download them. After `await k8sReady()`.
 */
export function envtestAssets(): string {
  const status = k8sStatus(`${stateDir}k8s.status`).join(" ");
  if (status !== "ok") throw new Error(`up.sh's Kubernetes builds are not done (k8s.status: "${status}"): await k8sReady() first`);
  const { envtestAssets: dir } = readState<{ envtestAssets?: string }>("k8s.json");
  if (!dir || !existsSync(dir)) {
    throw new Error("no envtest assets in .state/k8s.json: bring the engine up first with `bash test/engine/up.sh`");
  }
  return dir;
}

/** The fixture Go repository the pipeline runs on. */
export const fixtureDir = fileURLToPath(new URL("../fixtures/wva-fixture/", import.meta.url));

/**
 * The module's main object on host directory `dir`, as a user constructs it: every image at the
 * module's default reference (the engine's registry mirrors serve them from the local registry),
 * and optionally a Helm chart directory. Call inside `onEngine`.
 */
export function localWva(dir: string, chart?: string): Wva {
  const wva = new Wva(dag.host().directory(dir));
  if (chart) wva.chartDirectory = dag.host().directory(chart);
  return wva;
}

/**
 * Runs `fn` in a Dagger session on the local engine: the SDK starts our CLI build
 * (`_EXPERIMENTAL_DAGGER_CLI_BIN`), which connects to the engine's unix socket.
 */
export async function onEngine<T>(fn: () => Promise<T>): Promise<T> {
  process.env._EXPERIMENTAL_DAGGER_CLI_BIN = engine._EXPERIMENTAL_DAGGER_CLI_BIN;
  process.env._EXPERIMENTAL_DAGGER_RUNNER_HOST = engine._EXPERIMENTAL_DAGGER_RUNNER_HOST;
  process.env.DOCKER_CONFIG = engine.DOCKER_CONFIG;
  process.env.DO_NOT_TRACK = "1";
  let result: T | undefined;
  await connection(async () => {
    result = await fn();
  });
  return result as T;
}

/** The message of what `fn` throws on the engine (undefined when it passes). */
export async function failure(fn: () => Promise<unknown>): Promise<string | undefined> {
  return onEngine(async () => {
    try {
      await fn();
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  });
}

/** A GET against the local registry's API with basic auth; returns status and parsed JSON body. */
export async function registryGet(
  path: string,
  accept = "application/json",
  password = engine.registryPassword,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://${engine.registry}${path}`, {
    headers: {
      Accept: accept,
      Authorization: `Basic ${Buffer.from(`${engine.registryUser}:${password}`).toString("base64")}`,
    },
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** Seconds taken by `fn`, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - start) / 1000, value };
}

/** The machine an ELF executable is built for ("x86-64", "aarch64", …), read from its header. */
export function elfMachine(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  if (b.length < 20 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error("not an ELF file");
  const machine = b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
  const names: Record<number, string> = { 0x03: "i386", 0x28: "arm", 0x3e: "x86-64", 0xb7: "aarch64" };
  return names[machine] ?? `machine 0x${machine.toString(16)}`;
}

const INDEX_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");
const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** The manifest list of `repository:tag` in the local registry, or its HTTP status when absent. */
export async function imageIndex(repository: string, tag: string) {
  return registryGet(`/v2/${repository}/manifests/${tag}`, INDEX_TYPES);
}

/** The bytes of file `path` in the image manifest `digest` of `repository` (last layer wins). */
export async function fileInImage(repository: string, digest: string, path: string): Promise<Buffer> {
  const { body: manifest } = await registryGet(`/v2/${repository}/manifests/${digest}`, MANIFEST_TYPES);
  let found: Buffer | undefined;
  for (const layer of manifest.layers as { digest: string }[]) {
    const res = await fetch(`http://${engine.registry}/v2/${repository}/blobs/${layer.digest}`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${engine.registryUser}:${engine.registryPassword}`).toString("base64")}`,
      },
    });
    const blob = Buffer.from(await res.arrayBuffer());
    const tar = blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
    found = tarEntry(tar, path) ?? found;
  }
  if (!found) throw new Error(`${path} is in no layer of ${repository}@${digest}`);
  return found;
}

/** The contents of regular file `path` in an uncompressed tar archive (ustar/GNU headers). */
function tarEntry(tar: Buffer, path: string): Buffer | undefined {
  const want = path.replace(/^\/+/, "");
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) => header.subarray(start, start + len).toString("utf8").replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    if ((type === "0" || type === "") && name.replace(/^\.?\/+/, "") === want) {
      return Buffer.from(tar.subarray(off + 512, off + 512 + size));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** The image config (architecture, os, config.User, …) of the single-platform manifest `reference`. */
export async function imageConfig(repository: string, reference: string): Promise<any> {
  const { status, body: manifest } = await registryGet(`/v2/${repository}/manifests/${reference}`, MANIFEST_TYPES);
  if (status !== 200) throw new Error(`${repository}:${reference} is not a single-platform image (HTTP ${status})`);
  return (await registryGet(`/v2/${repository}/blobs/${manifest.config.digest}`, "*/*")).body;
}

/** The digest the registry reports for `repository:reference` (Docker-Content-Digest), or undefined when absent. */
export async function imageDigest(repository: string, reference: string): Promise<string | undefined> {
  const res = await fetch(`http://${engine.registry}/v2/${repository}/manifests/${reference}`, {
    method: "HEAD",
    headers: {
      Accept: [INDEX_TYPES, MANIFEST_TYPES].join(", "),
      Authorization: `Basic ${Buffer.from(`${engine.registryUser}:${engine.registryPassword}`).toString("base64")}`,
    },
  });
  return res.ok ? (res.headers.get("docker-content-digest") ?? undefined) : undefined;
}

/** Every repository in the local registry, sorted. */
export async function registryCatalog(): Promise<string[]> {
  const page = 1000; // the registry's largest page
  const all: string[] = [];
  for (let last = ""; ; ) {
    const { status, body } = await registryGet(`/v2/_catalog?n=${page}${last ? `&last=${encodeURIComponent(last)}` : ""}`);
    if (status !== 200) throw new Error(`registry catalog: HTTP ${status}`);
    const repos = (body.repositories as string[] | null) ?? [];
    all.push(...repos);
    if (repos.length < page) return all.sort();
    last = repos[repos.length - 1];
  }
}

/** The tags of `repository` in the local registry, sorted; empty when it does not exist. */
export async function registryTags(repository: string): Promise<string[]> {
  const { status, body } = await registryGet(`/v2/${repository}/tags/list`);
  if (status === 404) return [];
  if (status !== 200) throw new Error(`tags of ${repository}: HTTP ${status}`);
  return ((body.tags as string[] | null) ?? []).sort();
}
