/**
 * Every `args:` line of .github/workflows/*.yaml, executed as dagger-for-github executes it
 * (`dagger call <args>` through bash, with the env the step sets and GitHub's own variables), in
 * a repository that has this module as its `dagger/` module (the fixture controller at its root,
 * the chart, the workflows). Secrets get test values; a line that would push gets the local
 * registry through the function's own arguments. Lines that need GitHub or a cluster are resolved:
 * `--help` after the whole line, which the CLI refuses for an unknown function or flag.
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { DAGGER_ACTION } from "../../dagger/src/lib/workflow-policy.js";
import { engine, imageConfig, registryTags } from "../engine/engine.js";
import { daggerCallLine, gitCheckout, installModule, repo, scratch, tail } from "./cli.js";

const dir = scratch("workflows");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const checkout = join(dir, "controller");
const sha = gitCheckout(checkout, (d) => {
  cpSync(join(repo, "test/fixtures/wva-fixture"), d, { recursive: true });
  cpSync(join(repo, "charts"), join(d, "charts"), { recursive: true });
  cpSync(join(repo, ".github"), join(d, ".github"), { recursive: true });
  installModule(d);
});

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const imageRepo = `wva-cli/${run}/workload-variant-autoscaler`;
const chartRepo = `wva-cli/${run}/charts`;
const local = engine.registry;

/** GitHub's own variables, as a runner sets them for these events. */
const eventPath = join(dir, "event.json");
writeFileSync(eventPath, JSON.stringify({ action: "opened", issue: { number: 7, title: "a test issue", labels: [] } }));
const githubEnv: Record<string, string> = {
  GITHUB_ACTIONS: "true",
  GITHUB_REPOSITORY: "llm-d-incubation/workload-variant-autoscaler",
  GITHUB_SHA: sha,
  GITHUB_EVENT_PATH: eventPath,
  GITHUB_RUN_ID: "1234",
};

/** Test values of the step env, by name; the `${{ }}` expressions GitHub would evaluate. */
const stepValues: Record<string, string> = {
  TAG: "v0.4.1",
  IMAGE_TAG: "e2e-42-1234",
  PR_NUMBER: "42",
  CR_USER: engine.registryUser,
  CR_TOKEN: engine.registryPassword,
  GITHUB_TOKEN: "ghs_test_token_not_real",
  OPENSHIFT_KUBECONFIG: "apiVersion: v1\nkind: Config\nclusters: []\n",
  MODEL: "unsloth/Meta-Llama-3.1-8B",
  REQUEST_RATE: "20",
  NUM_PROMPTS: "3000",
  MAX_TOKENS: "400",
  DOCS_MODEL: "test-model",
  ANTHROPIC_API_KEY: "test-key",
  OPENAI_API_KEY: "test-key",
};

interface Call {
  file: string;
  step: string;
  args: string;
  env: Record<string, string>;
}

const workflows = join(repo, ".github/workflows");
const calls: Call[] = readdirSync(workflows)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .flatMap((file) =>
    Object.values<any>(YAML.parse(readFileSync(join(workflows, file), "utf8")).jobs).flatMap((job) =>
      (job.steps as any[])
        .filter((s) => s.uses === DAGGER_ACTION)
        .map((s) => {
          const env: Record<string, string> = {};
          for (const k of Object.keys(s.env ?? {})) {
            if (!(k in stepValues)) throw new Error(`${file}: no test value for the step's env ${k}`);
            env[k] = stepValues[k];
          }
          return { file, step: String(s.name), args: String(s.with.args).replace(/\s+/g, " ").trim(), env };
        }),
    ),
  );

/**
 * What each line does here: run (with extra arguments pointing a push at the local registry),
 * or resolve (it needs GitHub or a cluster). A line not listed fails the test: a new workflow
 * line must be classified here.
 */
const plan: { match: RegExp; run?: string; resolve?: string }[] = [
  { match: /^ci --skip e2e$/, run: "" },
  { match: /^e-2-e$/, resolve: "a Kind cluster for minutes: it runs for real in the engine tier (test/engine/kind.test.ts, e2e-runner.test.ts)" },
  { match: /^publish-image /, run: `--repository ${local}/${imageRepo}` },
  { match: /^openshift-e-2-e /, resolve: "an OpenShift cluster with GPUs" },
  {
    match: /^release --tag "\$TAG" --skip-chart /,
    run: `--image-repository ${local}/${imageRepo} --plain-http --registry-service tcp://${local}`,
  },
  {
    match: /^release --tag "\$TAG" --reuse-image /,
    run: `--image-repository ${local}/${imageRepo} --chart-registry oci://${local}/${chartRepo} --plain-http --registry-service tcp://${local}`,
  },
  { match: /^commit-chart /, resolve: "a push to GitHub" },
  { match: /^github /, resolve: "the GitHub API" },
];
const planOf = (c: Call) => {
  const p = plan.find((p) => p.match.test(c.args));
  if (!p) throw new Error(`${c.file}: no plan for \`dagger call ${c.args}\``);
  return p;
};

describe("the workflows' dagger calls", () => {
  it("are the ones this test knows (every line is run or resolved)", () => {
    expect(calls.length).toBe(13);
    for (const c of calls) planOf(c);
  });

  it("resolving refuses a wrong function or flag (so resolving checks something)", async () => {
    const bad = await daggerCallLine('github --token env://GITHUB_TOKEN --repository "$GITHUB_REPOSITORY" label-issue --evnt x --help', checkout, { ...githubEnv, GITHUB_TOKEN: "x" });
    expect(bad.code, tail(bad)).not.toBe(0);
    expect(`${bad.stdout}${bad.stderr}`).toMatch(/unknown flag: --evnt/);
    const none = await daggerCallLine("no-such-function --help", checkout, githubEnv);
    expect(none.code, tail(none)).not.toBe(0);
  });

  for (const c of calls.filter((c) => planOf(c).resolve !== undefined)) {
    it(`${c.file}: dagger call ${c.args} (resolved; needs ${planOf(c).resolve})`, async () => {
      const r = await daggerCallLine(`${c.args} --help`, checkout, { ...githubEnv, ...c.env });
      expect(r.code, tail(r)).toBe(0);
      expect(r.stdout).toMatch(/USAGE|Usage/);
    });
  }

  // The lines that run, in workflow order (the tag release pushes the image that helm-release reuses).
  const order = (c: Call) => ["ci-pr-checks.yaml", "ci-e2e-openshift.yaml", "ci-release.yaml", "helm-release.yaml"].indexOf(c.file);
  const runs = calls.filter((c) => planOf(c).run !== undefined).sort((a, b) => order(a) - order(b));
  for (const c of runs) {
    it(`${c.file}: dagger call ${c.args}${planOf(c).run ? ` ${planOf(c).run}` : ""}`, async () => {
      const r = await daggerCallLine(`${c.args} ${planOf(c).run}`.trim(), checkout, { ...githubEnv, ...c.env });
      expect(r.code, tail(r)).toBe(0);
      if (c.args.startsWith("ci ")) {
        for (const stage of ["lint", "build", "test", "chart"]) expect(r.stdout).toMatch(new RegExp(`✔ ${stage}\\b`));
      } else if (c.args.startsWith("publish-image")) {
        expect(r.stdout).toMatch(new RegExp(`${local}/${imageRepo}:e2e-42-1234@sha256:[0-9a-f]{64}`));
        // one platform: a plain image manifest (no index), for linux/amd64
        const config = await imageConfig(imageRepo, "e2e-42-1234");
        expect(`${config.os}/${config.architecture}`).toBe("linux/amd64");
        expect(config.config.Labels["org.opencontainers.image.revision"]).toBe(sha);
      } else if (c.args.includes("--skip-chart")) {
        expect(r.stdout).toMatch(/tags\s+v0\.4\.1, latest/);
        expect(await registryTags(imageRepo)).toEqual(["e2e-42-1234", "latest", "v0.4.1"]);
      } else {
        expect(r.stdout).toMatch(/latest\s+unchanged \(image v0\.4\.1 was already published; reused, not pushed again\)/);
        expect(r.stdout).toMatch(new RegExp(`chart\\s+oci://${local}/${chartRepo}/workload-variant-autoscaler:0\\.4\\.1@sha256:`));
        expect(await registryTags(`${chartRepo}/workload-variant-autoscaler`)).toEqual(["0.4.1"]);
      }
    });
  }
});
