/**
 * The edits the benchmark makes to a tree: pure text in, text out (unit-tested), so that each
 * repetition changes exactly one file into content no cache has seen (a nonce).
 */

/** Appended to a Go file: a new value in the package's code, not in its API (importers need no recompiling). */
export function goFileEdit(original: string, nonce: string): string {
  if (!/^package\s+\w+/m.test(original)) throw new Error("not a Go file: no package clause");
  return `${original.replace(/\n*$/, "\n")}
// benchEdit is the benchmark's one-file change: package code changes, the package's API does not.
var benchEdit = "${nonce}"

func init() { _ = benchEdit }
`;
}

/** Appended to a Go test file: one more (passing) test; `failing` makes it fail with the nonce in its message. */
export function testFileEdit(original: string, nonce: string, failing = false): string {
  if (!/^package\s+\w+/m.test(original)) throw new Error("not a Go file: no package clause");
  if (!/^import\s*\([^)]*"testing"|^import\s+"testing"/m.test(original)) {
    throw new Error('the test file does not import "testing"');
  }
  const body = failing ? `t.Fatal("benchmark edit ${nonce} fails")` : `t.Log("benchmark edit ${nonce}")`;
  return `${original.replace(/\n*$/, "\n")}
func TestBenchEdit(t *testing.T) { ${body} }
`;
}

/** A fresh nonce: never seen by any cache. */
export function nonce(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The Dockerfile up to its first COPY of anything but go.mod and go.sum: the layers no source
 * edit touches (base images, the module download). Building it warms what a row's repetitions
 * share, without a whole build (half an hour when the arm64 builder is emulated).
 */
export function dependencyLayers(dockerfile: string): string {
  const lines = dockerfile.split("\n");
  const manifests = /^\s*COPY\s+(--\S+\s+)*(go\.(mod|sum)\s+)+\S+\s*$/i;
  const cut = lines.findIndex((l) => /^\s*COPY\s/i.test(l) && !manifests.test(l));
  if (cut < 0) throw new Error("the Dockerfile copies no source: no layers to cut before it");
  return `${lines.slice(0, cut).join("\n").replace(/\n*$/, "")}\n`;
}
