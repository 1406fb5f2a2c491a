/**
 * What deploy/rbac lets the controller do for admission: register its own
 * webhook configuration (by server-side apply, which creates it) and keep
 * its certificate Secret — and nothing wider.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { kubectl } from "./helpers.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;
const AS = "--as=system:serviceaccount:nodenet:nodenet-controller";

describe("the controller's admission permissions", () => {
  before(async () => {
    for (const file of ["namespace.yaml", "rbac/controller.yaml"]) {
      const r = await kubectl(["apply", "--server-side", "-f", join(DEPLOY, file)]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  // The namespace stays: deleting it takes a while and the manifest tests use it (they remove it).
  after(async () => {
    await kubectl(["delete", "--ignore-not-found", "-f", join(DEPLOY, "rbac/controller.yaml")]);
    await kubectl(["delete", "validatingwebhookconfiguration", "nodenet", "--ignore-not-found"]);
  });

  test("kubectl auth can-i: its own configuration and Secret only", async () => {
    const can = async (verb: string, resource: string, namespace?: string) =>
      (await kubectl(["auth", "can-i", verb, resource, AS, ...(namespace ? ["-n", namespace] : [])])).stdout.trim() === "yes";
    const expectations: [string, string, string | undefined, boolean][] = [
      ["get", "validatingwebhookconfigurations/nodenet", undefined, true],
      ["patch", "validatingwebhookconfigurations/nodenet", undefined, true],
      ["update", "validatingwebhookconfigurations/nodenet", undefined, true],
      ["patch", "validatingwebhookconfigurations/other", undefined, false],
      ["delete", "validatingwebhookconfigurations/nodenet", undefined, false],
      ["create", "validatingwebhookconfigurations", undefined, false],
      ["patch", "mutatingwebhookconfigurations/nodenet", undefined, false],
      ["get", "secrets/nodenet-webhook-tls", "nodenet", true],
      ["update", "secrets/nodenet-webhook-tls", "nodenet", true],
      ["create", "secrets", "nodenet", true],
      ["get", "secrets/other", "nodenet", false],
      ["list", "secrets", "nodenet", false],
      ["create", "secrets", "default", false],
    ];
    const wrong: string[] = [];
    for (const [verb, resource, namespace, expected] of expectations) {
      if ((await can(verb, resource, namespace)) !== expected) wrong.push(`the controller ${expected ? "cannot" : "can"} ${verb} ${resource}${namespace ? ` in ${namespace}` : ""}`);
    }
    assert.deepEqual(wrong, []);
  });

  test("server-side apply creates its configuration (create is authorized with the name), and not another one", async () => {
    const config = (name: string) =>
      JSON.stringify({
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: { name },
        webhooks: [],
      });
    const own = await kubectl(["apply", "--server-side", "--field-manager=nodenet-controller", AS, "-f", "-"], { input: config("nodenet") });
    assert.equal(own.code, 0, own.stderr);
    const other = await kubectl(["apply", "--server-side", "--field-manager=nodenet-controller", AS, "-f", "-"], { input: config("nodenet-other") });
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /forbidden/i);
  });
});
