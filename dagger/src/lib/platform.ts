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

/** Architectures the controller image is published for (distroless/static has a variant for each). */
export const IMAGE_ARCHS = ["amd64", "arm64", "arm", "ppc64le", "s390x"] as const;

/**
 * Checks one platform of the controller image: a Linux image (`linux/<arch>[/variant]`) of an
 * architecture the static base image exists for. Throws a message that names the fix; returns
 * the Go target it builds with.
 */
export function imagePlatform(platform: string): GoTarget {
  const t = goTarget(platform.trim());
  if (t.goos !== "linux") {
    throw new Error(
      `platform "${platform}": the controller image is a Linux container image, so the OS must be linux ` +
        `(got "${t.goos}"); use linux/<arch>, e.g. --platforms linux/amd64,linux/arm64`,
    );
  }
  if (!(IMAGE_ARCHS as readonly string[]).includes(t.goarch)) {
    throw new Error(`platform "${platform}": no controller image for architecture "${t.goarch}"; use one of ${IMAGE_ARCHS.map((a) => `linux/${a}`).join(", ")}`);
  }
  if (t.goarch !== "arm" && platform.split("/").length === 3) {
    throw new Error(`platform "${platform}": a variant is only meaningful for linux/arm (v6, v7); use linux/${t.goarch}`);
  }
  if (t.goarch === "arm" && !["6", "7"].includes(t.goarm ?? "")) {
    throw new Error(`platform "${platform}": linux/arm variants are v6 and v7`);
  }
  return t;
}

/** The platforms of a controller image index: each checked by imagePlatform, at least one, no duplicates. */
export function imagePlatforms(platforms: string[]): string[] {
  if (platforms.length === 0) throw new Error("no platforms given; pass e.g. --platforms linux/amd64,linux/arm64");
  platforms.forEach(imagePlatform);
  const dup = platforms.find((p, i) => platforms.indexOf(p) !== i);
  if (dup) throw new Error(`platform "${dup}" is given twice; list each platform once`);
  return platforms;
}
