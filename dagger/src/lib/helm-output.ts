/** Reading what helm and crane print and render: pushed references, not-found errors, rendered images. */
import { parseAllDocuments } from "yaml";

/** What `helm push` reports: the reference it pushed and the manifest digest. */
export interface HelmPushed {
  /** `host/path/name:version`, as helm prints it after `Pushed:`. */
  ref: string;
  /** `sha256:…`, as helm prints it after `Digest:`. */
  digest: string;
}

/** Parses `helm push` output (`Pushed: …` and `Digest: …` lines); throws when either is missing. */
export function parseHelmPush(output: string): HelmPushed {
  const ref = /^Pushed:\s*(\S+)/m.exec(output)?.[1];
  const digest = /^Digest:\s*(sha256:[0-9a-f]{64})/m.exec(output)?.[1];
  if (!ref || !digest) throw new Error(`unexpected helm push output:\n${output.trim()}`);
  return { ref, digest };
}

/**
 * True when helm's error text says the chart version (or its repository) does not exist: a
 * line ending in `<ref>: not found`, or the registry's NAME_UNKNOWN/MANIFEST_UNKNOWN codes.
 * Anything else (`basic credential not found`, unauthorized, DNS…) is not "absent".
 */
export function isChartNotFound(stderr: string): boolean {
  if (/credential/i.test(stderr)) return false;
  return /:\d*[^\s:]*:\s*not found\s*$/m.test(stderr) || /name unknown|manifest unknown|NAME_UNKNOWN|MANIFEST_UNKNOWN/.test(stderr);
}

/** True when crane's error text says the image repository does not exist (so it has no tags yet). */
export function isRepositoryNotFound(stderr: string): boolean {
  return /NAME_UNKNOWN|repository name not known/.test(stderr);
}

/** Every container image (init containers included) of every workload in rendered manifests, by `Kind/name`. */
export function renderedImages(manifests: string): { workload: string; container: string; image: string }[] {
  const out: { workload: string; container: string; image: string }[] = [];
  for (const doc of parseAllDocuments(manifests)) {
    if ("errors" in doc && doc.errors.length) throw new Error(`rendered manifests are not valid YAML: ${doc.errors[0].message}`);
    const obj = doc.toJS() as any;
    const pod = obj?.spec?.template?.spec ?? obj?.spec?.jobTemplate?.spec?.template?.spec;
    if (!pod) continue;
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      out.push({ workload: `${obj.kind}/${obj.metadata?.name}`, container: c.name, image: c.image });
    }
  }
  return out;
}
