/**
 * deploy/ as a kustomization (`kubectl apply -k deploy/`) and the lab's
 * overlay (overlays/lab), rendered by the kubectl that
 * scripts/control-plane/build.sh builds at the cluster's version (its
 * built-in kustomize; docs/adr/0012-chart-and-kustomize.md).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { ownLab, run } from "./helpers.ts";
import { tool } from "../helpers/tools.ts";
import { byKey, containersOf, differences, mapStrings } from "../helpers/manifests.ts";
import { DEPLOY, deployManifests, kustomizationResources, kustomize, REPO, VERSION } from "../helpers/deploy.ts";

const LAB = join(REPO, "overlays/lab");

async function render(dir: string): Promise<string> {
  const r = await kustomize(dir);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Every manifest file under deploy/ (not the chart, the systemd unit or the kustomization itself). */
function manifestFiles(dir = DEPLOY): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return ["chart", "systemd"].includes(e.name) && dir === DEPLOY ? [] : manifestFiles(path);
    return e.name.endsWith(".yaml") && e.name !== "kustomization.yaml" ? [relative(DEPLOY, path)] : [];
  });
}

describe("kustomize: deploy/ and overlays/lab", () => {
  // A control plane of this file's own: the suite's lab has its namespace
  // nodenet created and deleted by other files, and a deleted namespace may
  // stay Terminating for a minute after an API-server restart.
  const lab = ownLab("kustomize");
  const kubectl = async (args: string[]) => run(await tool("kubectl"), ["--kubeconfig", lab().state.controlPlane!.kubeconfigs.admin, ...args]);

  test("deploy/kustomization.yaml lists every manifest in deploy/, and renders exactly those objects", async () => {
    assert.deepEqual([...kustomizationResources()].sort(), manifestFiles().sort(), "a manifest added to deploy/ must be listed in deploy/kustomization.yaml");
    const files = byKey(deployManifests());
    const rendered = byKey(await render(DEPLOY));
    assert.deepEqual([...rendered.keys()].sort(), [...files.keys()].sort());
    // kustomize's YAML round trip adds a blank line before each more-indented
    // line of a folded (>-) scalar, as in the admission policies' CEL: the
    // same expression to CEL, so that one difference is taken out.
    const unfold = (s: string) => s.replace(/\n\n(?= )/g, "\n");
    for (const [key, object] of files) assert.deepEqual(differences(object, mapStrings(rendered.get(key), unfold)), [], key);
  });

  test("overlays/lab changes only the image reference and pull policy (the image in the nodes' containerd, never pulled)", async () => {
    const base = byKey(await render(DEPLOY));
    const lab = byKey(await render(LAB));
    assert.deepEqual([...lab.keys()].sort(), [...base.keys()].sort());
    const changed: string[] = [];
    for (const [key, object] of base) changed.push(...differences(object, lab.get(key)).map((d) => `${key} ${d}`));
    const containers = [...lab.values()].flatMap(containersOf);
    assert.equal(containers.length, 3, "handler, its install-boot init container, controller");
    for (const c of containers) {
      assert.equal(c.image, `docker.io/library/nodenet:${VERSION}`, `${String(c.name)}: the reference ctr images import --base-name docker.io/library/nodenet gives`);
      assert.equal(c.imagePullPolicy, "Never", String(c.name));
    }
    assert.equal(changed.length, containers.length * 2, `only image and imagePullPolicy change:\n${changed.join("\n")}`);
    assert.ok(changed.every((d) => /\.(image|imagePullPolicy): /.test(d)), changed.join("\n"));
  });

  test("kubectl apply -k overlays/lab passes server-side dry-run", async () => {
    // Dry-run cannot create the namespace the other objects live in.
    const ns = await kubectl(["apply", "--server-side", "-f", join(DEPLOY, "namespace.yaml")]);
    assert.equal(ns.code, 0, ns.stderr);
    const result = await kubectl(["apply", "--server-side", "--dry-run=server", "-k", LAB]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /daemonset.apps\/nodenet-handler serverside-applied \(server dry run\)/);
    assert.doesNotMatch(result.stderr, /warning/i);
  });

  test("kubectl apply --server-side -k deploy/ creates every object, and kubectl delete -k deploy/ removes them all", async () => {
    const objects = [...byKey(await render(DEPLOY)).values()];
    const applied = await kubectl(["apply", "--server-side", "-k", DEPLOY]);
    assert.equal(applied.code, 0, applied.stderr);
    const ref = (o: (typeof objects)[number]) => [`${o.kind}.${o.apiVersion!.includes("/") ? o.apiVersion!.split("/")[0] : ""}/${o.metadata!.name}`.replace("./", "/"), ...(o.metadata!.namespace ? ["-n", o.metadata!.namespace] : [])];
    const present = async () => {
      const found: string[] = [];
      for (const o of objects) if ((await kubectl(["get", ...ref(o), "-o", "name"])).code === 0) found.push(ref(o)[0]!);
      return found;
    };
    assert.equal((await present()).length, objects.length);
    const deleted = await kubectl(["delete", "-k", DEPLOY, "--wait=true", "--timeout=120s"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(await present(), [], "nothing left, the webhook configuration placeholder included");
  });
});
