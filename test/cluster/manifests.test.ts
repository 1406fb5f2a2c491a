/**
 * deploy/ on a real API server: every manifest passes server-side dry-run
 * (strict field validation), and the RBAC grants what each component needs
 * and not more.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { kubectl } from "./helpers.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;
const manifests = [
  ...readdirSync(DEPLOY).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml"),
  ...["crds", "rbac"].flatMap((dir) => readdirSync(join(DEPLOY, dir)).map((f) => `${dir}/${f}`)),
].sort();

describe("deploy/ manifests", () => {
  // Dry-run cannot create the namespace the other objects live in.
  before(async () => {
    const ns = await kubectl(["apply", "--server-side", "-f", join(DEPLOY, "namespace.yaml")]);
    assert.equal(ns.code, 0, ns.stderr);
  });
  after(async () => {
    await kubectl(["delete", "--ignore-not-found", "--wait=false", "-f", join(DEPLOY, "rbac/handler.yaml"), "-f", join(DEPLOY, "rbac/drain.yaml"), "-f", join(DEPLOY, "rbac/controller.yaml"), "-f", join(DEPLOY, "rbac/dashboard.yaml")]);
    // Waited for: the next file (pools.test.ts) applies the namespace again,
    // which fails while it is still terminating.
    await kubectl(["delete", "namespace", "nodenet", "--ignore-not-found", "--wait=true", "--timeout=120s"]);
  });

  for (const file of manifests) {
    test(`${file}: kubectl apply --dry-run=server`, async () => {
      const result = await kubectl(["apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", join(DEPLOY, file)]);
      if (result.code !== 0 && file.startsWith("crds/")) {
        const live = await kubectl(["get", "-f", join(DEPLOY, file), "-o", "json", "--show-managed-fields"]);
        process.stdout.write(`# live CRD:\n${live.stdout.replace(/^/gm, "# ")}\n`);
      }
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /warning/i);
    });
  }

  test("the kustomization (everything at once): kubectl apply -k --dry-run=server", async () => {
    const result = await kubectl(["apply", "--server-side", "--dry-run=server", "-k", DEPLOY]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /daemonset.apps\/nodenet-handler serverside-applied \(server dry run\)/);
  });

  test("least privilege: what the handler and the controller may do", async () => {
    const rbac = await kubectl(["apply", "--server-side", "-f", join(DEPLOY, "rbac")]);
    assert.equal(rbac.code, 0, rbac.stderr);
    const can = async (who: string, verb: string, resource: string, namespace?: string) => {
      // `x/status` would be read as resource x, object "status": subresources need the flag.
      const [kind, subresource] = resource.split("/");
      const r = await kubectl(["auth", "can-i", verb, kind!, ...(subresource ? [`--subresource=${subresource}`] : []), `--as=system:serviceaccount:nodenet:${who}`, ...(namespace ? ["-n", namespace] : [])]);
      return r.stdout.trim() === "yes";
    };
    const expectations: [string, string, string, string | undefined, boolean][] = [
      ["nodenet-handler", "create", "nodenetworkstates.nmstate.io", undefined, true],
      ["nodenet-handler", "patch", "nodenetworkconfigurationenactments.nmstate.io/status", undefined, true],
      ["nodenet-handler", "watch", "nodenetworkconfigurationpolicies.nmstate.io", undefined, true],
      // rollout slots live in the policy status (PUT with resourceVersion); spec stays read-only
      ["nodenet-handler", "update", "nodenetworkconfigurationpolicies.nmstate.io/status", undefined, true],
      ["nodenet-handler", "patch", "nodenetworkconfigurationpolicies.nmstate.io/status", undefined, false],
      ["nodenet-handler", "delete", "nodenetworkconfigurationpolicies.nmstate.io", undefined, false],
      ["nodenet-handler", "update", "nodenetworkconfigurationpolicies.nmstate.io", undefined, false],
      ["nodenet-handler", "delete", "nodenetworkstates.nmstate.io", undefined, false],
      ["nodenet-handler", "delete", "nodenetworkconfigurationenactments.nmstate.io", undefined, true],
      ["nodenet-handler", "create", "leases.coordination.k8s.io", "nodenet", false],
      ["nodenet-handler", "create", "leases.coordination.k8s.io", "default", false],
      ["nodenet-handler", "create", "events.events.k8s.io", "nodenet", true],
      ["nodenet-handler", "create", "events.events.k8s.io", "default", true],
      ["nodenet-controller", "create", "events.events.k8s.io", "default", true],
      ["nodenet-handler", "create", "events.events.k8s.io", "kube-system", false],
      ["nodenet-handler", "create", "pods/eviction", "default", true],
      ["nodenet-handler", "delete", "pods", "default", false],
      ["nodenet-handler", "get", "secrets", "nodenet", false],
      ["nodenet-controller", "patch", "nodenetworkconfigurationpolicies.nmstate.io/status", undefined, true],
      ["nodenet-controller", "delete", "nodenetworkconfigurationenactments.nmstate.io", undefined, true],
      ["nodenet-controller", "create", "nodenetworkconfigurationenactments.nmstate.io", undefined, false],
      ["nodenet-controller", "update", "nodenetworkstates.nmstate.io/status", undefined, false],
      ["nodenet-controller", "patch", "nodes", undefined, false],
      ["nodenet-controller", "create", "pods/eviction", "default", false],
      ["nodenet-controller", "update", "leases.coordination.k8s.io", "nodenet", true],
      // the dashboard it serves (rbac/dashboard.yaml): reads the Events in default, nothing more, never Secrets
      ["nodenet-controller", "watch", "events.events.k8s.io", "default", true],
      ["nodenet-controller", "list", "events.events.k8s.io", "kube-system", false],
      ["nodenet-controller", "delete", "events.events.k8s.io", "default", false],
      ["nodenet-controller", "list", "secrets", "default", false],
      ["nodenet-controller", "list", "secrets", "nodenet", false],
    ];
    const wrong: string[] = [];
    for (const [who, verb, resource, namespace, expected] of expectations) {
      if ((await can(who, verb, resource, namespace)) !== expected) wrong.push(`${who} ${expected ? "cannot" : "can"} ${verb} ${resource}${namespace ? ` in ${namespace}` : ""}`);
    }
    assert.deepEqual(wrong, []);
  });
});
