/**
 * List arguments as users really pass them. The Dagger CLI turns `--tags a,b` into a list, but
 * `--tags "a b"`, a quoted `"a,b"` reaching a function through another module, or a workflow's
 * `${{ inputs.tags }}` arrive as one element holding several values. Every list argument of the
 * release and publish functions goes through `listArgument`, so such an element is split, never
 * silently taken as one odd value. Pure functions, no Dagger.
 */

/**
 * Splits every element on commas and white space and drops empty pieces, keeping order (and
 * duplicates, which the caller's own checks report): `["v0.4.0 v0.3.0"]` and
 * `["v0.4.0,v0.3.0"]` both give `["v0.4.0", "v0.3.0"]`, and `[""]` gives `[]`.
 */
export function listArgument(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
}

/** An OCI image tag: up to 128 characters, a word character first, then word characters, `.` and `-`. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks image tags (after listArgument); throws naming the argument and the first bad tag. */
export function imageTagList(tags: string[], flag: string): string[] {
  const bad = tags.find((t) => !IMAGE_TAG.test(t));
  if (bad !== undefined) {
    throw new Error(`${flag}: invalid image tag ${JSON.stringify(bad)}: use letters, digits, _ . and - (at most 128, not starting with . or -)`);
  }
  return tags;
}
