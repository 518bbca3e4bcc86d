import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  kindConfig,
  kindConfigYaml,
  kubeconfigServers,
  nodeNames,
  parseFeatureGates,
  rewriteKubeconfigServer,
} from "../../dagger/src/lib/kind-config.js";
import {
  diagnosticsScript,
  e2eTestScript,
  failureReason,
  kindCreateScript,
  kindLoadImageScript,
  newRunId,
  nodeImageLoadScript,
  shellJoin,
  shellQuote,
} from "../../dagger/src/lib/e2e-scripts.js";

const opts = { nodeImage: "kindest/node:v1.32.0", workers: 2, alias: "kind", apiServerPort: 6443 };

describe("kind config", () => {
  const cfg = parse(kindConfigYaml(opts));
  it("has one control plane and two workers on the pinned node image", () => {
    expect(cfg.kind).toBe("Cluster");
    expect(cfg.apiVersion).toBe("kind.x-k8s.io/v1alpha4");
    expect(cfg.nodes.map((n: any) => n.role)).toEqual(["control-plane", "worker", "worker"]);
    expect(new Set(cfg.nodes.map((n: any) => n.image))).toEqual(new Set(["kindest/node:v1.32.0"]));
  });
  it("publishes the API server on every address and names the alias in its certificate", () => {
    expect(cfg.networking).toEqual({ apiServerAddress: "0.0.0.0", apiServerPort: 6443 });
    const patch = parse(cfg.nodes[0].kubeadmConfigPatches[0]);
    expect(patch.kind).toBe("ClusterConfiguration");
    expect(patch.apiServer.certSANs).toContain("kind");
  });
  it("adds feature gates only when asked", () => {
    expect(cfg.featureGates).toBeUndefined();
    expect(kindConfig({ ...opts, featureGates: { HPAScaleToZero: true } }).featureGates).toEqual({ HPAScaleToZero: true });
  });
  it("reads feature gates in kubeadm's Name=true|false form, and refuses anything else", () => {
    expect(parseFeatureGates(["HPAScaleToZero=true", "InPlacePodVerticalScaling=false"])).toEqual({ HPAScaleToZero: true, InPlacePodVerticalScaling: false });
    expect(parseFeatureGates([])).toEqual({});
    for (const bad of ["HPAScaleToZero", "HPAScaleToZero=yes", "hpa=true", "A=true,B=true"]) {
      expect(() => parseFeatureGates([bad])).toThrow(/must look like Name=true/);
    }
  });
  it("rejects an unpinned node image, a bad alias or port", () => {
    expect(() => kindConfig({ ...opts, nodeImage: "kindest/node" })).toThrow(/must be pinned/);
    expect(() => kindConfig({ ...opts, alias: "Kind_Cluster" })).toThrow(/hostname/);
    expect(() => kindConfig({ ...opts, apiServerPort: 70000 })).toThrow(/port/);
    expect(() => kindConfig({ ...opts, workers: -1 })).toThrow(/workers/);
  });
});

const KIND_KUBECONFIG = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi==
    server: https://0.0.0.0:6443
  name: kind-wva-e2e
contexts:
- context:
    cluster: kind-wva-e2e
    user: kind-wva-e2e
  name: kind-wva-e2e
current-context: kind-wva-e2e
kind: Config
preferences: {}
users:
- name: kind-wva-e2e
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
`;

describe("kubeconfig rewrite", () => {
  it("points the cluster at the service alias and keeps the credentials", () => {
    const out = rewriteKubeconfigServer(KIND_KUBECONFIG, "https://kind:6443");
    expect(kubeconfigServers(out)).toEqual(["https://kind:6443"]);
    const kc = parse(out);
    expect(kc.users[0].user["client-key-data"]).toBe("a2V5");
    expect(kc.clusters[0].cluster["certificate-authority-data"]).toBe("LS0tLS1CRUdJTi==");
  });
  it("fails on a kubeconfig without clusters or a non-https server", () => {
    expect(() => rewriteKubeconfigServer("apiVersion: v1\nkind: Config\n", "https://kind:6443")).toThrow(/no clusters/);
    expect(() => rewriteKubeconfigServer(KIND_KUBECONFIG, "http://kind:6443")).toThrow(/https/);
  });
});

it("nodeNames puts the control plane first", () => {
  const json = JSON.stringify({
    items: [
      { metadata: { name: "wva-e2e-worker2", labels: {} } },
      { metadata: { name: "wva-e2e-worker", labels: {} } },
      { metadata: { name: "wva-e2e-control-plane", labels: { "node-role.kubernetes.io/control-plane": "" } } },
    ],
  });
  expect(nodeNames(json)).toEqual(["wva-e2e-control-plane", "wva-e2e-worker", "wva-e2e-worker2"]);
});

describe("scripts", () => {
  it("quotes what the shell would otherwise split or expand", () => {
    expect(shellQuote("plain-word_1.2/x:y")).toBe("plain-word_1.2/x:y");
    expect(shellQuote("it's $HOME")).toBe(`'it'"'"'s $HOME'`);
    expect(shellQuote("")).toBe("''");
    // round trip through a real shell
    const args = ["a b", "it's", "$HOME", '{"status":{"capacity":{"nvidia.com/gpu":"4"}}}'];
    const echoed = execFileSync("sh", ["-c", `printf '%s\\n' ${shellJoin(args)}`], { encoding: "utf8" });
    expect(echoed.trimEnd().split("\n")).toEqual(args);
  });
  it("every script is valid sh (sh -n) or bash (bash -n)", () => {
    const sh = [
      kindCreateScript({ cluster: "wva-e2e", configPath: "/kind/config.yaml", kubeconfigPath: "/kind/kubeconfig", wait: "5m", server: "https://kind:6443" }),
      kindLoadImageScript({ cluster: "wva-e2e", tarball: "/images/wva.tar", ref: "localhost/wva:e2e" }),
      diagnosticsScript({ namespaces: ["wva-system", "kube-system"], outDir: "/diagnostics", kindCluster: "wva-e2e" }),
    ];
    for (const s of sh) execFileSync("sh", ["-n", "-c", s]);
    execFileSync("bash", ["-n", "-c", e2eTestScript({ namespace: "wva-system", selector: "control-plane=controller-manager", port: 8081, localPort: 18080, goTest: ["go", "test", "./test/e2e/..."], outputFile: "/tmp/o" })]);
  });
  it("the create script replaces a leftover cluster of the same name", () => {
    const s = kindCreateScript({ cluster: "wva-e2e", configPath: "/kind/config.yaml", kubeconfigPath: "/kind/kubeconfig", wait: "5m", server: "https://kind:6443" });
    expect(s.indexOf("kind delete cluster --name wva-e2e")).toBeLessThan(s.indexOf("kind create cluster --name wva-e2e --config /kind/config.yaml"));
    expect(s).toContain("kubectl --kubeconfig /kind/kubeconfig --server https://kind:6443 get nodes -o wide");
    expect(s).toContain("--retain");
    expect(() => kindCreateScript({ cluster: "wva e2e; rm -rf /", configPath: "/c", kubeconfigPath: "/k", wait: "5m", server: "https://kind:6443" })).toThrow(/DNS label/);
    expect(() => kindCreateScript({ cluster: "wva-e2e", configPath: "/c", kubeconfigPath: "/k", wait: "5m", server: "https://kind:6443; reboot" })).toThrow(/server/);
  });
  it("the load script tags whatever docker load reports, then loads it into the nodes", () => {
    const s = kindLoadImageScript({ cluster: "wva-e2e", tarball: "/images/wva.tar", ref: "localhost/wva:e2e" });
    expect(s).toContain("docker load -i /images/wva.tar");
    expect(s).toContain('docker tag "$src" localhost/wva:e2e');
    expect(s).toContain("kind load docker-image localhost/wva:e2e --name wva-e2e");
  });
  it("the load script handles both docker load answers (named and unnamed image)", () => {
    const extract = (loaded: string) =>
      execFileSync("sh", ["-c", `echo "$L" | sed -n 's/^Loaded image: //p; s/^Loaded image ID: //p' | tail -n 1`], {
        env: { L: loaded },
        encoding: "utf8",
      }).trim();
    expect(extract("Loaded image: ghcr.io/x/wva:dev")).toBe("ghcr.io/x/wva:dev");
    expect(extract("Loaded image ID: sha256:0123abcd")).toBe("sha256:0123abcd");
  });
  it("the test script port-forwards the controller, exports WVA_E2E_URL and keeps go test's exit code", () => {
    const s = e2eTestScript({ namespace: "wva-system", selector: "control-plane=controller-manager", port: 8081, localPort: 18080, goTest: ["go", "test", "./test/e2e/...", "-timeout", "30m"], outputFile: "/tmp/go-test.txt" });
    expect(s).toContain('kubectl -n wva-system port-forward "pod/$pod" 18080:8081');
    expect(s).toContain("export WVA_E2E_URL=http://127.0.0.1:18080");
    expect(s).toContain("go test ./test/e2e/... -timeout 30m 2>&1 | tee /tmp/go-test.txt");
    expect(s).toContain("rc=${PIPESTATUS[0]}");
  });
  it("diagnostics cover events, describe output and pod logs of each namespace, and never fail", () => {
    const s = diagnosticsScript({ namespaces: ["wva-system"], outDir: "/d" });
    for (const piece of ["get events -A", "describe deployments,statefulsets,pods,hpa,jobs", "kubectl logs", "--previous", "variantautoscalings.llmd.ai", "exit 0"]) {
      expect(s).toContain(piece);
    }
    expect(s).not.toContain("kind export logs");
    expect(() => diagnosticsScript({ namespaces: ["$(reboot)"], outDir: "/d" })).toThrow(/DNS label/);
  });
  it("run ids differ between runs", () => {
    expect(newRunId(0)).not.toBe(newRunId(0));
    expect(newRunId(36 ** 3)).toMatch(/^1000-[0-9a-f]{6}$/);
  });
});

describe("the node image load script, run by sh with a stub docker", () => {
  /** Runs the script with a `docker` that has the images in `$STORE` (one name per line) and logs its calls. */
  const run = (have: string[], tarball?: string) => {
    const dir = mkdtempSync(join(tmpdir(), "wva-node-image-"));
    writeFileSync(join(dir, "store"), have.map((h) => `${h}\n`).join(""));
    writeFileSync(
      join(dir, "docker"),
      [
        "#!/bin/sh",
        'echo "$*" >> "$STORE.calls"',
        'case $1 in',
        '  image) grep -qx "$3" "$STORE" ;;',
        '  load) echo "Loaded image ID: sha256:0123abcd" ;;',
        '  tag) echo "$3" >> "$STORE" ;;',
        "esac",
      ].join("\n"),
      { mode: 0o755 },
    );
    const out = execFileSync("sh", ["-c", nodeImageLoadScript({ ref: "kindest/node:v1.32.0", tarball })], {
      env: { PATH: `${dir}:/usr/bin:/bin`, STORE: join(dir, "store") },
      encoding: "utf8",
    });
    return { out: out.trim(), calls: readFileSync(join(dir, "store.calls"), "utf8").trim().split("\n") };
  };
  it("asks the daemon first: present or absent, loading nothing", () => {
    expect(run(["kindest/node:v1.32.0"]).out).toBe("present");
    expect(run([]).out).toBe("absent");
  });
  it("loads the tarball and tags what docker load reports with the config's name, only when absent", () => {
    const absent = run([], "/images/node.tar");
    expect(absent.out).toBe("loaded");
    expect(absent.calls).toEqual(["image inspect kindest/node:v1.32.0", "load -i /images/node.tar", "tag sha256:0123abcd kindest/node:v1.32.0"]);
    const present = run(["kindest/node:v1.32.0"], "/images/node.tar");
    expect(present.out).toBe("present");
    expect(present.calls).toEqual(["image inspect kindest/node:v1.32.0"]);
  });
});

describe("the e2e test script, run by bash with stub tools", () => {
  const run = (goExit: number) => {
    const dir = mkdtempSync(join(tmpdir(), "wva-e2e-script-"));
    const stub = (name: string, body: string) => writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    stub("kubectl", 'case "$*" in *"get pods"*) echo wva-controller-abc;; *port-forward*) echo "forward $*" >> "$0.log"; sleep 30;; esac');
    stub("curl", "exit 0");
    stub("go", `echo "go $* WVA_E2E_URL=$WVA_E2E_URL"; exit ${goExit}`);
    const script = e2eTestScript({ namespace: "wva-system", selector: "control-plane=controller-manager", port: 8081, localPort: 18080, goTest: ["go", "test", "./test/e2e/..."], outputFile: `${dir}/out.txt` });
    let code = 0;
    let stdout = "";
    try {
      // --norc: bash reads ~/.bashrc when stdin is a socket, and that may reorder PATH.
      stdout = execFileSync("bash", ["--norc", "--noprofile", "-c", script], {
        env: { PATH: `${dir}:/usr/bin:/bin` },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e: any) {
      code = e.status;
      stdout = e.stdout;
    }
    const fwd = readFileSync(join(dir, "kubectl.log"), "utf8");
    return { code, stdout, fwd };
  };
  it("passes go test's failure through and shows the URL the tests got", () => {
    const r = run(7);
    expect(r.code).toBe(7);
    expect(r.stdout).toContain("go test ./test/e2e/... WVA_E2E_URL=http://127.0.0.1:18080");
    expect(r.fwd).toContain("port-forward pod/wva-controller-abc 18080:8081");
  });
  it("exits 0 when the tests pass", () => {
    expect(run(0).code).toBe(0);
  });
});

describe("failure reasons", () => {
  it("a failed exec is summed up by its stderr's last error line, not its exit code", () => {
    // kind create cluster's stderr on a machine that cannot pull the node image (seen on the real engine)
    const stderr = [
      "Creating cluster \"wva-e2e\" ...",
      " ✗ Ensuring node image (kindest/node:v1.32.0) 🖼️",
      'ERROR: failed to create cluster: failed to pull image "kindest/node:v1.32.0": exit status 1',
      "",
      "Command Output: Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host",
      "",
    ].join("\n");
    const e = Object.assign(new Error("exit code: 1 [traceparent:abc]"), { stderr });
    expect(failureReason(e)).toBe('ERROR: failed to create cluster: failed to pull image "kindest/node:v1.32.0": exit status 1');
  });
  it("without an error line, the last stderr line; without stderr, the message's first line", () => {
    expect(failureReason(Object.assign(new Error("exit code: 2"), { stderr: "step one\ntimed out waiting\n" }))).toBe("timed out waiting");
    expect(failureReason(Object.assign(new Error("exit code: 2\nmore"), { stderr: "  \n" }))).toBe("exit code: 2");
    expect(failureReason(new Error("connection refused\nat …"))).toBe("connection refused");
    expect(failureReason("plain string")).toBe("plain string");
  });
});
