/** What the release tells a user when it stops half-way. Pure functions, no Dagger. */

/** The parts of a release plan the message repeats in its completion command. */
export interface PartialReleasePlan {
  tag: string;
  dryRun: boolean;
  imageRepository: string;
  chartRegistry: string;
  username?: string;
  /** Whether a password was given (only its presence is used; it is never printed). */
  password?: unknown;
  plainHttp: boolean;
  registryService?: unknown;
}

/**
 * The error of a release whose image was published but whose chart push failed: what is already
 * out, why the chart failed, and the command that finishes the release without pushing the image
 * again (`--reuse-image`). For a dry run nothing left the engine, so there is nothing to finish.
 */
export function partialReleaseMessage(plan: PartialReleasePlan, published: string[], cause: unknown): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  if (!published.length) return `the chart push failed: ${why}`;
  const lines = [
    plan.dryRun
      ? `release ${plan.tag} (dry run) stopped after the image push: the chart push failed.`
      : `release ${plan.tag} is half done: the image is published, the chart is not.`,
    "published:",
    ...published.map((r) => `  image ${r}`),
    `not published: the chart (${plan.chartRegistry}): ${why}`,
  ];
  if (!plan.dryRun) {
    const cmd = [`dagger call release --tag ${plan.tag} --reuse-image`, `--image-repository ${plan.imageRepository}`, `--chart-registry ${plan.chartRegistry}`];
    if (plan.username) cmd.push(`--username ${plan.username}`);
    if (plan.password) cmd.push("--password <the same secret, e.g. env://CR_TOKEN>");
    if (plan.plainHttp) cmd.push("--plain-http");
    if (plan.registryService) cmd.push("--registry-service <the same service>");
    lines.push("fix the cause above, then finish the release (the image is reused, not pushed again):", `  ${cmd.join(" ")}`);
  }
  return lines.join("\n");
}

