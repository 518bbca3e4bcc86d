/**
 * Whether a chart's README.md belongs to helm-docs, and so which files a release rewrites.
 *
 * A chart is helm-docs-managed when it has `README.md.gotmpl` next to Chart.yaml: its README is
 * then generated from that template and the values comments, and regenerating it loses nothing.
 * Without the template, helm-docs would replace README.md with its default template and drop
 * every hand-written line (WVA's chart: helm-docs output followed by ~250 hand-written lines),
 * so the module leaves README.md alone: it is neither regenerated nor checked nor committed.
 * Pure functions, no Dagger.
 */

/** The helm-docs template whose presence makes a chart helm-docs-managed. */
export const HELM_DOCS_TEMPLATE = "README.md.gotmpl";

/** The files a chart release always edits. */
export const EDITED_FILES = ["Chart.yaml", "values.yaml"] as const;

/** True when the chart (its top-level entry names) has a README.md.gotmpl. */
export function isHelmDocsManaged(entries: readonly string[]): boolean {
  return entries.some((e) => e.replace(/\/$/, "") === HELM_DOCS_TEMPLATE);
}

/** The files a release of this chart changes: Chart.yaml and values.yaml, plus README.md when helm-docs owns it. */
export function releasedFileNames(helmDocsManaged: boolean): string[] {
  return helmDocsManaged ? [...EDITED_FILES, "README.md"] : [...EDITED_FILES];
}
