/**
 * The rule every GitHub workflow of this repository follows: a job checks out, then calls Dagger,
 * and does nothing else. Checked over the workflow text (parsed with `yaml`), so a test can run it
 * on the real files and on a deliberately bad one.
 */
import YAML from "yaml";

/** actions/checkout v6.1.0, pinned by commit. */
export const CHECKOUT = "actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803";
/** dagger/dagger-for-github v8.4.1, pinned by commit. */
export const DAGGER_ACTION = "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77";
/** The Dagger CLI version every workflow installs (matches dagger.json's engineVersion). */
export const DAGGER_VERSION = "0.21.8";

const CHECKOUT_INPUTS = new Set(["fetch-depth", "ref", "persist-credentials"]);
const DAGGER_INPUTS = new Set(["version", "verb", "args"]);

/**
 * Everything in one workflow file that breaks the rule, as readable messages (empty = compliant):
 * - top-level `permissions` declared; no reusable-workflow jobs; every job has steps;
 * - a step is either the pinned checkout (inputs fetch-depth/ref/persist-credentials, with
 *   `persist-credentials: false`) or the pinned Dagger action with `version: "0.21.8"`,
 *   `verb: call|check` and `args` free of `${{ }}` (event data goes through `env:` instead) and
 *   of single quotes (the action wraps args in them);
 * - no `run:` step, no other action, and every `uses:` line carries a `# vX` version comment.
 */
export function workflowViolations(file: string, text: string): string[] {
  const out: string[] = [];
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) return [`${file}: not valid YAML: ${doc.errors[0].message}`];
  const wf = doc.toJS() as any;
  if (!wf || typeof wf !== "object") return [`${file}: not a workflow`];
  if (wf.permissions === undefined) out.push(`${file}: no top-level permissions (least privilege must be explicit)`);
  const jobs = wf.jobs && typeof wf.jobs === "object" ? wf.jobs : {};
  if (!Object.keys(jobs).length) out.push(`${file}: no jobs`);
  for (const [id, job] of Object.entries<any>(jobs)) {
    const where = `${file}: job ${id}`;
    if (job?.uses) {
      out.push(`${where}: calls a reusable workflow (${job.uses}); call Dagger instead`);
      continue;
    }
    const steps: any[] = Array.isArray(job?.steps) ? job.steps : [];
    if (!steps.length) out.push(`${where}: has no steps`);
    let calls = 0;
    steps.forEach((step, i) => {
      const at = `${where} step ${i + 1}${step?.name ? ` (${step.name})` : ""}`;
      if (step?.run !== undefined) {
        out.push(`${at}: runs a shell command; only checkout and dagger steps are allowed`);
        return;
      }
      const uses = String(step?.uses ?? "");
      const inputs: Record<string, unknown> = step?.with ?? {};
      if (uses === CHECKOUT) {
        for (const k of Object.keys(inputs)) if (!CHECKOUT_INPUTS.has(k)) out.push(`${at}: checkout input ${k} not allowed`);
        if (inputs["persist-credentials"] !== false) out.push(`${at}: checkout must set persist-credentials: false`);
        return;
      }
      if (uses === DAGGER_ACTION) {
        calls++;
        for (const k of Object.keys(inputs)) if (!DAGGER_INPUTS.has(k)) out.push(`${at}: dagger input ${k} not allowed`);
        if (String(inputs.version) !== DAGGER_VERSION) out.push(`${at}: Dagger version must be pinned to "${DAGGER_VERSION}"`);
        if (!["call", "check"].includes(String(inputs.verb))) out.push(`${at}: verb must be call or check`);
        const args = inputs.args;
        if (inputs.verb === "call" && (typeof args !== "string" || !args.trim())) out.push(`${at}: no dagger call arguments`);
        if (typeof args === "string" && args.includes("${{")) {
          out.push(`${at}: args interpolate an expression (script injection risk); pass it through env: and "$VAR"`);
        }
        // The action echoes args inside single quotes before running them: a quote would break out.
        if (typeof args === "string" && args.includes("'")) out.push(`${at}: args contain a single quote; use double quotes`);
        return;
      }
      if (/^(actions\/checkout|dagger\/dagger-for-github)@/.test(uses)) {
        out.push(`${at}: ${uses} is not pinned to the reviewed commit`);
      } else {
        out.push(`${at}: uses ${uses || "nothing"}; only checkout and dagger steps are allowed`);
      }
    });
    if (steps.length && !calls) out.push(`${where}: never calls Dagger`);
  }
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*-?\s*uses:\s*\S+@[0-9a-f]{40}\s*$/.test(line)) {
      out.push(`${file}:${i + 1}: pinned uses without a "# vX.Y.Z" version comment`);
    }
  });
  return out;
}
