/** What a repository's Makefile says about code generation. */

/**
 * The Makefile targets that regenerate code with controller-gen (`manifests`, `generate`), in that
 * order, when the Makefile both defines them and mentions controller-gen; empty otherwise.
 */
export function generationTargets(makefile: string): string[] {
  if (!/controller-gen/i.test(makefile)) return [];
  return ["manifests", "generate"].filter((t) => new RegExp(`^${t}\\s*:`, "m").test(makefile));
}
