/**
 * The unit tests' script (goTestScript) on a real sh, with a stand-in `go` that prints what it is
 * asked: the packages it tests are exactly those unitTestPackages selects.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { NO_PACKAGES_EXIT, goTestScript, unitTestPackages } from "../../dagger/src/lib/gotest.js";

const bin = mkdtempSync(join(tmpdir(), "wva-go-stub-"));
// `go list ./...` prints $LISTED (or fails with $LIST_EXIT); `go test …` prints its arguments, one a line.
writeFileSync(
  join(bin, "go"),
  '#!/bin/sh\nif [ "$1" = list ]; then [ -n "${LIST_EXIT:-}" ] && { echo "go: broken go.mod" >&2; exit "$LIST_EXIT"; }; printf "%s" "$LISTED"; exit 0; fi\nprintf "%s\\n" "$@"\n',
);
chmodSync(join(bin, "go"), 0o755);

function runScript(exclude: string[], listed: string, env: Record<string, string> = {}) {
  const r = spawnSync("sh", ["-c", goTestScript(exclude), "go-test", "go", "test", "-v", "-coverprofile=cover.out"], {
    encoding: "utf8",
    env: { PATH: `${bin}:/usr/bin:/bin`, LISTED: listed, ...env },
  });
  return { status: r.status, args: r.stdout.split("\n").filter(Boolean), stderr: r.stderr };
}

describe("goTestScript on sh", () => {
  const listed = [
    "example.com/wva/cmd",
    "example.com/wva/internal/scaler",
    "example.com/wva/test/e2e",
    "example.com/wva/test/e2e-saturation-based",
    "example.com/wva/test/benchmark",
    "example.com/wva/pkg/[weird]*",
  ].join("\n") + "\n";

  for (const exclude of [["/e2e"], ["/e2e", "/benchmark"], [], ["wva/"]]) {
    test(`exclude ${JSON.stringify(exclude)}: go test gets its flags, then what unitTestPackages keeps`, () => {
      const kept = unitTestPackages(listed, exclude);
      const r = runScript(exclude, listed);
      if (kept.length === 0) {
        expect(r.status).toBe(NO_PACKAGES_EXIT);
        expect(r.stderr).toContain(`no packages left to test after excluding ${exclude.join(", ")}`);
        expect(r.args).toEqual([]);
      } else {
        expect(r.status).toBe(0);
        expect(r.args).toEqual(["test", "-v", "-coverprofile=cover.out", ...kept]);
      }
    });
  }

  test("a failing go list fails the script with its status and output; go test does not run", () => {
    const r = runScript(["/e2e"], listed, { LIST_EXIT: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("go: broken go.mod");
    expect(r.args).toEqual([]);
  });
});
