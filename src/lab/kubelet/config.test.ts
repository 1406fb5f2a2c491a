/** What a lab node's containerd and kubelet are told, as data (ADR 0017): the settings this machine needs. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { cniConfig, containerdConfig, containerdPaths, SANDBOX_IMAGE } from "./containerd.ts";
import { kubeletArgs, kubeletConfig, kubeletPaths, nodeCgroupRoot } from "./kubelet-config.ts";
import { labHandlerDaemonSet } from "./nodes.ts";

describe("lab kubelet node configuration", () => {
  test("containerd keeps everything under the node's directory and may not lower oom_score_adj", () => {
    const paths = containerdPaths("/lab/kubelet/node-1");
    const text = containerdConfig(paths);
    for (const line of [
      'root = "/lab/kubelet/node-1/containerd/root"',
      'state = "/lab/kubelet/node-1/containerd/state"',
      'address = "/lab/kubelet/node-1/containerd/containerd.sock"',
      'Root = "/lab/kubelet/node-1/containerd/runc"',
      'conf_dir = "/lab/kubelet/node-1/containerd/cni"',
      "restrict_oom_score_adj = true",
      "SystemdCgroup = false",
      `sandbox_image = "${SANDBOX_IMAGE}"`,
    ]) {
      assert.ok(text.includes(line), `containerd's config lacks ${line}:\n${text}`);
    }
    assert.deepEqual(JSON.parse(cniConfig()).plugins, [{ type: "loopback" }]);
  });

  test("the kubelet accepts cgroup v1, uses cgroupfs under a root of its own, evicts for nothing", () => {
    const config = parse(kubeletConfig({ cgroupRoot: nodeCgroupRoot("lab1", "node-2"), containerdSocket: "/s/containerd.sock", caCert: "/pki/ca.crt", podLogsDir: "/logs" }));
    assert.equal(config.kind, "KubeletConfiguration");
    assert.equal(config.failCgroupV1, false);
    assert.equal(config.cgroupDriver, "cgroupfs");
    assert.equal(config.cgroupRoot, "/nodenet-lab-lab1-node-2");
    assert.equal(config.containerRuntimeEndpoint, "unix:///s/containerd.sock");
    assert.ok(Object.values(config.evictionHard).every((v) => v === "0%"));
    assert.equal(config.imageGCHighThresholdPercent, 100);
    // Renewed every quarter of its duration: within the lab's 10 s node-monitor grace period.
    assert.ok(config.nodeLeaseDurationSeconds / 4 < 10 / 2);
    assert.equal(config.authentication.anonymous.enabled, false);
  });

  test("the kubelet's command line names the node and keeps its files in the node's directory", () => {
    const args = kubeletArgs({ node: "node-3", paths: kubeletPaths("/lab/kubelet/node-3"), labels: {} });
    assert.ok(args.includes("--hostname-override=node-3"));
    assert.ok(args.includes("--root-dir=/lab/kubelet/node-3/kubelet/root"));
    assert.ok(!args.some((a) => a.startsWith("--node-labels")), "no empty --node-labels");
  });

  test("the lab's handler DaemonSet is deploy/handler.yaml's with the API server's lab address added", () => {
    const ds = labHandlerDaemonSet("https://192.0.2.2:6443") as unknown as { spec: { template: { spec: { hostNetwork: boolean; hostPID: boolean; containers: { env: { name: string; value?: string }[] }[] } } } };
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.hostPID, true);
    const env = Object.fromEntries(pod.containers[0]!.env.map((e) => [e.name, e.value]));
    assert.equal(env.KUBERNETES_SERVICE_HOST, "192.0.2.2");
    assert.equal(env.KUBERNETES_SERVICE_PORT, "6443");
    assert.ok("NODE_NAME" in env, "deploy/'s own env stays");
  });
});
