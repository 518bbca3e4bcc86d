/**
 * Release edits of a Helm chart's Chart.yaml and values.yaml through the `yaml` Document API,
 * so comments (helm-docs reads them), blank lines and key order survive the edit.
 */
import { Document, isMap, isScalar, parseDocument } from "yaml";

/** Output options: no line folding, so untouched lines come back exactly as they were. */
const STRINGIFY = { lineWidth: 0, minContentWidth: 0 };

/** What a release writes into the chart. */
export interface ChartRelease {
  /** Chart.yaml `version`, e.g. `0.4.1`. */
  version: string;
  /** Chart.yaml `appVersion`, e.g. `v0.4.1`. */
  appVersion: string;
  /** values.yaml `wva.image.repository`. */
  imageRepository: string;
  /** values.yaml `wva.image.tag`. */
  imageTag: string;
}

/** Chart.yaml with `version` and `appVersion` set; fails when they are missing. */
export function setChartVersion(chartYaml: string, version: string, appVersion: string): string {
  const doc = load(chartYaml, "Chart.yaml");
  for (const key of ["version", "appVersion"]) {
    if (!doc.has(key)) throw new Error(`Chart.yaml has no "${key}" key`);
  }
  setScalar(doc, ["version"], version);
  // Quoted, as helm and helm-docs expect: a bare v1.10 would read as a string anyway, but 1.10 would not.
  setScalar(doc, ["appVersion"], appVersion, true);
  return doc.toString(STRINGIFY);
}

/** values.yaml with `wva.image.repository` and `wva.image.tag` set; fails when the keys are missing. */
export function setImage(valuesYaml: string, repository: string, tag: string): string {
  const doc = load(valuesYaml, "values.yaml");
  for (const key of ["repository", "tag"]) {
    if (!doc.hasIn(["wva", "image", key])) throw new Error(`values.yaml has no "wva.image.${key}" key`);
  }
  setScalar(doc, ["wva", "image", "repository"], repository);
  setScalar(doc, ["wva", "image", "tag"], tag, true);
  return doc.toString(STRINGIFY);
}

/** Both files edited for a release. */
export function releaseChartFiles(
  files: { chartYaml: string; valuesYaml: string },
  release: ChartRelease,
): { chartYaml: string; valuesYaml: string } {
  return {
    chartYaml: setChartVersion(files.chartYaml, release.version, release.appVersion),
    valuesYaml: setImage(files.valuesYaml, release.imageRepository, release.imageTag),
  };
}

/** Reads `name` and `version` from Chart.yaml. */
export function chartIdentity(chartYaml: string): { name: string; version: string; appVersion?: string } {
  const doc = load(chartYaml, "Chart.yaml");
  const name = doc.get("name");
  const version = doc.get("version");
  if (typeof name !== "string" || !name) throw new Error('Chart.yaml has no "name"');
  if (version === undefined || version === null) throw new Error('Chart.yaml has no "version"');
  const appVersion = doc.get("appVersion");
  return { name, version: String(version), appVersion: appVersion == null ? undefined : String(appVersion) };
}

function load(text: string, what: string): Document {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) throw new Error(`${what} is not valid YAML: ${doc.errors[0].message}`);
  if (!isMap(doc.contents)) throw new Error(`${what} is not a YAML mapping`);
  return doc;
}

/** Replaces a scalar's value in place so its comments stay attached; quoted when asked. */
function setScalar(doc: Document, path: string[], value: string, quoted = false) {
  const node = doc.getIn(path, true);
  if (isScalar(node)) {
    node.value = value;
    node.type = quoted ? "QUOTE_DOUBLE" : "PLAIN";
    return;
  }
  const scalar = doc.createNode(value);
  if (quoted) scalar.type = "QUOTE_DOUBLE";
  doc.setIn(path, scalar);
}
