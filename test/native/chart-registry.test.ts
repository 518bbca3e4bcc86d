/**
 * The release's registry commands, exactly as the module runs them in containers (the constant
 * login-then-run scripts), run here with the real helm v3.22.0 and crane v0.22.1 against a real
 * CNCF distribution registry v3.0.0 on loopback with htpasswd auth: chart existence checks tell
 * "not found" from "not allowed", the push output parses, the pushed chart pulls and renders the
 * released image, and the image tags read back drive the `latest` decision.
 *
 * The registry binary comes from .tools/bin (test/tools/install.sh); a missing one fails the test.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PATH, tool, chartCopy } from "./tools.js";
import { isChartNotFound, isRepositoryNotFound, parseHelmPush, renderedImages } from "../../dagger/src/lib/helm-output.js";
import { CRANE_LOGIN_THEN, HELM_LOGIN_THEN } from "../../dagger/src/lib/release-scripts.js";
import { imageTags, parseReleaseTag } from "../../dagger/src/lib/tags.js";

const USER = "ci-bot";
const PASSWORD = "s3cr3t-registry-native-31";
// bcrypt of PASSWORD (htpasswd format), generated once; the registry only accepts bcrypt.
const HTPASSWD = `${USER}:$2b$12$jnbx5VNcvuJMpRL2QmcNluPPStxHD7P7xRgwytAMJLLqt/sINdrzS\n`;

/** The distribution registry binary, installed by test/tools/install.sh. */
function registryBinary(): string {
  return tool("registry");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let registry: ChildProcess | undefined;
let host = "";
let work = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "wva-registry-"));
  host = `127.0.0.1:${await freePort()}`;
  writeFileSync(join(work, "htpasswd"), HTPASSWD);
  writeFileSync(
    join(work, "config.yml"),
    [
      "version: 0.1",
      "log: {level: error}",
      `storage: {filesystem: {rootdirectory: ${join(work, "data")}}}`,
      `http: {addr: "${host}"}`,
      `auth: {htpasswd: {realm: wva-test, path: ${join(work, "htpasswd")}}}`,
    ].join("\n") + "\n",
  );
  registry = spawn(registryBinary(), ["serve", join(work, "config.yml")], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://${host}/v2/`).then((r) => r.status === 401, () => false);
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`registry did not start on ${host}`);
});

afterAll(() => {
  if (registry?.pid) process.kill(registry.pid);
});

/** Runs `script` as the module does (`sh -c SCRIPT name args…`) with the release's env. */
function viaScript(script: string, args: string[], opts: { password?: boolean; plainHttp?: boolean } = {}) {
  const home = mkdtempSync(join(work, "home-"));
  const env: NodeJS.ProcessEnv = {
    PATH,
    HOME: home,
    HELM_CONFIG_HOME: join(home, "helm-config"),
    HELM_CACHE_HOME: join(home, "helm-cache"),
    REGISTRY_HOST: host,
    REGISTRY_AUTH_DIR: mkdtempSync(join(work, "auth-")),
  };
  if (opts.password) Object.assign(env, { REGISTRY_USER: USER, REGISTRY_PASSWORD: PASSWORD });
  if (opts.plainHttp) env.REGISTRY_PLAIN_HTTP = "true";
  const r = spawnSync("sh", ["-c", script, "login-then", ...args], { encoding: "utf8", env, cwd: work });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, home, authDir: env.REGISTRY_AUTH_DIR! };
}

const helm = (args: string[], password = true) =>
  viaScript(HELM_LOGIN_THEN, [tool("helm"), ...args], { password, plainHttp: true });
const crane = (args: string[], password = true) => viaScript(CRANE_LOGIN_THEN, [tool("crane"), ...args], { password });

/** The chart as release `tag` edits it, packaged; returns the .tgz path. */
function releasedPackage(tag: string, imageRepository: string): string {
  const dir = chartCopy(mkdtempSync(join(work, "chart-")), { tag, imageRepository });
  const r = spawnSync(tool("helm"), ["package", dir, "--destination", join(dir, "..")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return join(dir, "..", `workload-variant-autoscaler-${parseReleaseTag(tag).chartVersion}.tgz`);
}

describe("chart in a registry", () => {
  const chartRef = () => `oci://${host}/charts/workload-variant-autoscaler`;
  const image = () => `${host}/llm-d-incubation/workload-variant-autoscaler`;

  test("a missing chart is 'not found' for a logged-in user, and 'unauthorized' is not mistaken for it", () => {
    const missing = helm(["show", "chart", chartRef(), "--version", "0.4.1", "--plain-http"]);
    expect(missing.status).not.toBe(0);
    expect(isChartNotFound(missing.stderr)).toBe(true);
    const anonymous = helm(["show", "chart", chartRef(), "--version", "0.4.1", "--plain-http"], false);
    expect(anonymous.status).not.toBe(0);
    expect(isChartNotFound(anonymous.stderr)).toBe(false);
  });

  test("push: output parses, the version then exists, and the pulled chart renders the released image", () => {
    const tgz = releasedPackage("v0.5.0", image());
    const push = helm(["push", tgz, `oci://${host}/charts`, "--plain-http"]);
    expect(push.status, push.stderr).toBe(0);
    const pushed = parseHelmPush(push.stdout + push.stderr);
    expect(pushed.ref).toBe(`${host}/charts/workload-variant-autoscaler:0.5.0`);
    expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The credentials were written only to the tmpfs stand-in, never to helm's config home.
    expect(readdirSync(push.authDir)).toEqual(["config.json"]);
    expect(existsSync(join(push.home, "helm-config", "registry"))).toBe(false);

    const show = helm(["show", "chart", chartRef(), "--version", "0.5.0", "--plain-http"]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^version: 0\.5\.0$/m);
    expect(show.stdout).toMatch(/^appVersion: v0\.5\.0$/m);

    const dest = mkdtempSync(join(work, "pulled-"));
    const pull = helm(["pull", chartRef(), "--version", "0.5.0", "--plain-http", "--destination", dest]);
    expect(pull.status, pull.stderr).toBe(0);
    const rendered = spawnSync(tool("helm"), ["template", "wva", join(dest, "workload-variant-autoscaler-0.5.0.tgz")], { encoding: "utf8" });
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(renderedImages(rendered.stdout).map((i) => i.image)).toEqual([`${image()}:v0.5.0`]);
  });
});

describe("image tags in a registry", () => {
  test("a repository that does not exist yet has no tags; pushed tags drive the latest decision", () => {
    const repoRef = `${host}/llm-d-incubation/wva-tags`;
    const empty = crane(["ls", repoRef]);
    expect(empty.status).not.toBe(0);
    expect(isRepositoryNotFound(empty.stderr)).toBe(true);

    const layer = join(work, "layer.tar");
    mkdirSync(join(work, "layer"), { recursive: true });
    writeFileSync(join(work, "layer", "hello"), "hi\n");
    execFileSync("tar", ["-C", join(work, "layer"), "-cf", layer, "hello"]);
    const append = crane(["append", "-f", layer, "-t", `${repoRef}:v0.4.0`]);
    expect(append.status, append.stderr).toBe(0);
    for (const tag of ["v0.4.1", "latest", "v0.5.0-rc.1"]) {
      const t = crane(["tag", `${repoRef}:v0.4.0`, tag]);
      expect(t.status, t.stderr).toBe(0);
    }
    const ls = crane(["ls", repoRef]);
    expect(ls.status, ls.stderr).toBe(0);
    const tags = ls.stdout.split("\n").filter(Boolean).sort();
    expect(tags).toEqual(["latest", "v0.4.0", "v0.4.1", "v0.5.0-rc.1"]);
    expect(imageTags("v0.4.2", tags)).toEqual(["v0.4.2", "latest"]);
    expect(imageTags("v0.4.0", tags)).toEqual(["v0.4.0"]);
    expect(imageTags("v0.5.0-rc.2", tags)).toEqual(["v0.5.0-rc.2"]);

    const anonymous = crane(["ls", repoRef], false);
    expect(anonymous.status).not.toBe(0);
    expect(isRepositoryNotFound(anonymous.stderr)).toBe(false);
  });
});
