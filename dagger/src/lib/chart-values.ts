/**
 * Release edits of a Helm chart's Chart.yaml and values.yaml. The `yaml` Document API finds each
 * scalar and its source range; only that range of the original text is replaced, so every other
 * byte (comments helm-docs reads, comment alignment, blank lines with trailing spaces, flow
 * lists, key order) stays exactly as it was: the diff is the edited values' lines and nothing else.
 */
import { Document, isMap, isScalar, parse, parseDocument } from "yaml";

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
  let out = spliceScalar(chartYaml, "Chart.yaml", ["version"], version);
  // Quoted, as helm and helm-docs expect: a bare v1.10 would read as a string anyway, but 1.10 would not.
  out = spliceScalar(out, "Chart.yaml", ["appVersion"], appVersion, true);
  return out;
}

/** values.yaml with `wva.image.repository` and `wva.image.tag` set; fails when the keys are missing. */
export function setImage(valuesYaml: string, repository: string, tag: string): string {
  const doc = load(valuesYaml, "values.yaml");
  for (const key of ["repository", "tag"]) {
    if (!doc.hasIn(["wva", "image", key])) throw new Error(`values.yaml has no "wva.image.${key}" key`);
  }
  let out = spliceScalar(valuesYaml, "values.yaml", ["wva", "image", "repository"], repository);
  out = spliceScalar(out, "values.yaml", ["wva", "image", "tag"], tag, true);
  return out;
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

/**
 * `text` with the scalar at `path` replaced by `value` (double-quoted when `quoted`, or when a
 * plain scalar would not read back as that string), touching no other byte. Fails when the
 * node is not a scalar with a source position (e.g. a mapping), naming the key.
 */
function spliceScalar(text: string, what: string, path: string[], value: string, quoted = false): string {
  const doc = load(text, what);
  const node = doc.getIn(path, true);
  if (!isScalar(node) || !node.range) throw new Error(`${what}: "${path.join(".")}" is not a single value`);
  const [start, end] = node.range;
  let rendered = quoted ? JSON.stringify(value) : value;
  if (!quoted && parse(rendered) !== value) rendered = JSON.stringify(value);
  // An empty value (`tag:`) has an empty range right after the colon: keep a space before the new value.
  if (start === end && text[start - 1] === ":") rendered = ` ${rendered}`;
  const out = text.slice(0, start) + rendered + text.slice(end);
  if (load(out, what).getIn(path) !== value) throw new Error(`${what}: could not set "${path.join(".")}" to ${JSON.stringify(value)}`);
  return out;
}
