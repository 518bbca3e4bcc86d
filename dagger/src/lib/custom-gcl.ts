/**
 * A repository's `.custom-gcl.yml`: golangci-lint with module plugins, built by
 * `golangci-lint custom` (https://golangci-lint.run/plugins/module-plugins/). Pure functions.
 */
import { parse as parseYaml } from "yaml";

/** The configuration files `golangci-lint custom` looks for, in its order. */
export const CUSTOM_GCL_FILES = [".custom-gcl.yml", ".custom-gcl.yaml", ".custom-gcl.json"];

/** What the pipeline needs from a .custom-gcl file. */
export interface CustomGcl {
  /** golangci-lint version the custom binary is built from. */
  version: string;
  /** Path of the built binary, relative to the repository root (`destination/name`). */
  binary: string;
  /** Plugins given by a local path inside the repository (relative paths, `./` stripped). */
  localPaths: string[];
}

/** Reads a .custom-gcl file as golangci-lint does; throws naming the file when it could not build. */
export function parseCustomGcl(file: string, text: string): CustomGcl {
  let doc: any;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`${file} does not parse: ${(e as Error).message}`);
  }
  const version = typeof doc?.version === "string" ? doc.version.trim() : "";
  if (!version) throw new Error(`${file}: root field 'version' is required`);
  const plugins: any[] = Array.isArray(doc.plugins) ? doc.plugins : [];
  if (plugins.length === 0) throw new Error(`${file}: no plugins defined`);
  const localPaths: string[] = [];
  for (const p of plugins) {
    if (!p?.module) throw new Error(`${file}: every plugin needs 'module'`);
    if (!p.path && !p.version) throw new Error(`${file}: plugin ${p.module} needs 'version' or 'path'`);
    if (p.path) {
      const rel = String(p.path).replace(/^\.\//, "").replace(/\/+$/, "");
      if (rel.startsWith("/") || rel.split("/").includes("..")) {
        throw new Error(`${file}: plugin ${p.module} path ${p.path} is outside the repository`);
      }
      localPaths.push(rel || ".");
    }
  }
  const name = typeof doc.name === "string" && doc.name.trim() ? doc.name.trim() : "custom-gcl";
  const destination = typeof doc.destination === "string" && doc.destination.trim() ? doc.destination.trim() : ".";
  const dir = destination.replace(/^\.\/?/, "").replace(/\/+$/, "");
  if (dir.startsWith("/") || dir.split("/").includes("..")) {
    throw new Error(`${file}: destination ${destination} is outside the repository`);
  }
  return { version: version.startsWith("v") ? version : `v${version}`, binary: dir ? `${dir}/${name}` : name, localPaths };
}
