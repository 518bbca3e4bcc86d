/**
 * The flags `dagger call` (v0.21.8) has of its own: its OPTIONS, the INHERITED OPTIONS of the root
 * command, and the implicit --help. A function argument spelled like one of them is refused by the
 * CLI ("flag already exists"). The module tier checks the schema against this list; the cli tier
 * checks the list against the real `dagger call --help`.
 */
export const DAGGER_CALL_FLAGS = [
  "allow-llm", "auto-apply", "debug", "eager-runtime", "help", "interactive", "interactive-command", "json",
  "lock", "mod", "no-exit", "no-mod", "output", "progress", "quiet", "silent", "verbose", "web", "x-release",
];
