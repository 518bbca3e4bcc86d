/**
 * The "checkout, then Dagger, nothing else" rule over workflow text: a compliant workflow passes,
 * and each way of breaking the rule is reported.
 */
import { describe, expect, it } from "vitest";
import { CHECKOUT, DAGGER_ACTION, workflowViolations } from "../../dagger/src/lib/workflow-policy.js";

const good = `name: ok
on: push
permissions: read-all
jobs:
  ci:
    runs-on: ubuntu-latest
    steps:
      - uses: ${CHECKOUT} # v6.1.0
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: ${DAGGER_ACTION} # v8.4.1
        env:
          TAG: \${{ github.ref_name }}
        with:
          version: "0.21.8"
          verb: call
          args: release --tag "$TAG"
`;

const bad = `name: bad
on: issue_comment
jobs:
  reuse:
    uses: llm-d/llm-d-infra/.github/workflows/prow.yml@main
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ${CHECKOUT}
        with:
          token: \${{ secrets.PAT }}
      - name: Set up Go
        uses: actions/setup-go@v5
      - name: Inline shell
        run: echo "\${{ github.event.comment.body }}"
      - uses: ${DAGGER_ACTION} # v8.4.1
        with:
          version: latest
          verb: shell
          args: prow --comment "\${{ github.event.comment.body }}" --x 'y'
          cloud-token: x
  empty:
    runs-on: ubuntu-latest
    steps:
      - uses: ${CHECKOUT} # v6.1.0
        with:
          persist-credentials: false
`;

describe("workflowViolations", () => {
  it("accepts checkout + pinned dagger with env-passed data", () => {
    expect(workflowViolations("good.yaml", good)).toEqual([]);
  });

  it("reports every breach in a bad workflow", () => {
    expect(workflowViolations("bad.yaml", bad)).toEqual([
      "bad.yaml: no top-level permissions (least privilege must be explicit)",
      "bad.yaml: job reuse: calls a reusable workflow (llm-d/llm-d-infra/.github/workflows/prow.yml@main); call Dagger instead",
      "bad.yaml: job build step 1: actions/checkout@v4 is not pinned to the reviewed commit",
      "bad.yaml: job build step 2: checkout input token not allowed",
      "bad.yaml: job build step 2: checkout must set persist-credentials: false",
      "bad.yaml: job build step 3 (Set up Go): uses actions/setup-go@v5; only checkout and dagger steps are allowed",
      "bad.yaml: job build step 4 (Inline shell): runs a shell command; only checkout and dagger steps are allowed",
      "bad.yaml: job build step 5: dagger input cloud-token not allowed",
      'bad.yaml: job build step 5: Dagger version must be pinned to "0.21.8"',
      "bad.yaml: job build step 5: verb must be call or check",
      'bad.yaml: job build step 5: args interpolate an expression (script injection risk); pass it through env: and "$VAR"',
      "bad.yaml: job build step 5: args contain a single quote; use double quotes",
      "bad.yaml: job empty: never calls Dagger",
      "bad.yaml:10: pinned uses without a \"# vX.Y.Z\" version comment",
    ]);
  });

  it("reports broken YAML instead of passing it", () => {
    expect(workflowViolations("x.yaml", "jobs: [\n")).toEqual([expect.stringMatching(/^x\.yaml: not valid YAML/)]);
  });
});
