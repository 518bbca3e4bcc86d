/** Which charts helm-docs owns the README of, and so which files a release changes. */
import { describe, expect, test } from "vitest";
import { isHelmDocsManaged, releasedFileNames } from "../../dagger/src/lib/chart-docs.js";

describe("helm-docs ownership", () => {
  test("only a chart with README.md.gotmpl has its README regenerated and committed", () => {
    expect(isHelmDocsManaged(["Chart.yaml", "README.md", "README.md.gotmpl", "templates/"])).toBe(true);
    expect(isHelmDocsManaged(["Chart.yaml", "README.md", "crds/", "templates/", "values-dev.yaml", "values.yaml"])).toBe(false);
    expect(releasedFileNames(true)).toEqual(["Chart.yaml", "values.yaml", "README.md"]);
    expect(releasedFileNames(false)).toEqual(["Chart.yaml", "values.yaml"]);
  });
});

