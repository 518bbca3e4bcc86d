/** Platforms as Dagger spells them (`linux/arm64`, `linux/arm/v7`) mapped to Go's cross-compile settings. */

/** GOOS/GOARCH (and GOARM for 32-bit ARM) for one platform. */
export interface GoTarget {
  goos: string;
  goarch: string;
  goarm?: string;
}

const KNOWN_ARCH = new Set(["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"]);

/** Parses `os/arch[/variant]`; throws on anything Go cannot cross-compile to. */
export function goTarget(platform: string): GoTarget {
  const parts = platform.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new Error(`platform "${platform}" is not of the form os/arch[/variant], e.g. linux/arm64`);
  }
  const [goos, goarch, variant] = parts;
  if (!KNOWN_ARCH.has(goarch)) {
    throw new Error(`platform "${platform}": unsupported architecture "${goarch}"`);
  }
  const t: GoTarget = { goos, goarch };
  if (goarch === "arm") t.goarm = variant ? variant.replace(/^v/, "") : "7";
  return t;
}

/** A file-name-safe form of a platform: `linux/arm/v7` → `linux_arm_v7`. */
export function platformSlug(platform: string): string {
  return platform.replaceAll("/", "_");
}
