/**
 * A handler writes only its own node's objects (deploy/rbac/handler.yaml:
 * RBAC plus the ValidatingAdmissionPolicies over the token's node-name
 * claim), on a real API server with real tokens of two nodes' handlers.
 * Every verb (create, update, patch, delete, status update, status patch) on
 * every resource (NodeNetworkState, enactment, rollout slot, policy, policy
 * status), own node and other node: each "other" cell is refused with a
 * message, each "own" cell the handler needs is allowed. The matrix is
 * printed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { eventually, handlerTokenKubeconfig, kubectl, suiteKube, unique, type Run } from "./helpers.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;
const NNS = "nodenetworkstates.nmstate.io";
const NNCE = "nodenetworkconfigurationenactments.nmstate.io";
const NNCP = "nodenetworkconfigurationpolicies.nmstate.io";

type Json = Record<string, any>;
type Expect = "allowed" | "refused";
interface Cell {
  resource: string;
  verb: string;
  whose: "own" | "other" | "any";
  expect: Expect;
  result?: Run;
}

describe("handler permissions: its own node's state, enactments and rollout slot, nothing of another node", () => {
  const admin = suiteKube();
  const mine = unique("rbac-a");
  const other = unique("rbac-b");
  const policy = unique("rbac-p");
  const dir = mkdtempSync(join(tmpdir(), "nodenet-rbac-"));
  let handler = "";
  let unbound = "";
  const cells: Cell[] = [];

  const asHandler = (args: string[], input?: string, kubeconfig = handler) => kubectl(args, { kubeconfig, ...(input === undefined ? {} : { input }) });
  const get = async (resource: string, name: string): Promise<Json> => {
    const r = await kubectl(["get", resource, name, "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Json;
  };
  const nodeOwner = async (node: string) => [{ apiVersion: "v1", kind: "Node", name: node, uid: (await admin.core.readNode({ name: node })).metadata!.uid! }];
  const nodeState = async (node: string) => ({ apiVersion: "nmstate.io/v1beta1", kind: "NodeNetworkState", metadata: { name: node, ownerReferences: await nodeOwner(node) } });
  const enactment = async (node: string, labelNode = node) => ({
    apiVersion: "nmstate.io/v1beta1",
    kind: "NodeNetworkConfigurationEnactment",
    metadata: { name: `${node}.${policy}`, labels: { "nmstate.io/node": labelNode, "nmstate.io/policy": policy }, ownerReferences: await nodeOwner(node) },
  });
  const slot = (node: string, generation: number) => ({ node, generation, since: "2026-12-01T10:00:00Z" });

  /** Runs one cell as the handler of `mine` and records it. */
  async function cell(resource: string, verb: string, whose: Cell["whose"], expect: Expect, action: () => Promise<Run>): Promise<void> {
    const result = await action();
    cells.push({ resource, verb, whose, expect, result });
  }
  const withAnnotation = (object: Json, value: string) => ({ ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, "example.com/touched": value } } });
  const update = async (resource: string, name: string, subresource?: string, change: (o: Json) => Json = (o) => withAnnotation(o, "u")) =>
    asHandler(["replace", ...(subresource ? [`--subresource=${subresource}`] : []), "-f", "-"], JSON.stringify(change(await get(resource, name))));
  const patch = (resource: string, name: string, body: Json, subresource?: string) =>
    asHandler(["patch", resource, name, "--type=merge", ...(subresource ? [`--subresource=${subresource}`] : []), "-p", JSON.stringify(body)]);
  const statusChange = (status: Json) => (o: Json) => ({ ...o, status: { ...o.status, ...status } });

  before(async () => {
    for (const file of ["namespace.yaml", "crds", "rbac/handler.yaml"]) {
      const applied = await kubectl(["apply", "--server-side", "-f", join(DEPLOY, file)]);
      assert.equal(applied.code, 0, applied.stderr);
    }
    for (const name of [mine, other]) await admin.core.createNode({ body: { metadata: { name, labels: { "nodenet.io/test": "rbac" } } } });
    const created = await kubectl(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "nmstate.io/v1", kind: "NodeNetworkConfigurationPolicy", metadata: { name: policy }, spec: { nodeSelector: { "nodenet.io/test": "rbac" }, desiredState: { interfaces: [{ name: "dummy0", type: "dummy", state: "up" }] } } }),
    });
    assert.equal(created.code, 0, created.stderr);
    handler = await handlerTokenKubeconfig(admin, dir, "handler.kubeconfig", mine);
    unbound = await handlerTokenKubeconfig(admin, dir, "unbound.kubeconfig");
    // The policies take effect once the API server has loaded them and their bindings.
    await eventually("the ValidatingAdmissionPolicies to refuse another node's state", 30_000, async () => {
      const r = await asHandler(["create", "--dry-run=server", "-f", "-"], JSON.stringify(await nodeState(other)));
      return r.code !== 0 && /may write only NodeNetworkState/.test(r.stderr) ? true : undefined;
    });
  });

  after(async () => {
    await kubectl(["delete", NNCE, `${mine}.${policy}`, `${other}.${policy}`, `${mine}.x-${policy}`, "--ignore-not-found", "--wait=false"]);
    await kubectl(["delete", NNS, mine, other, "--ignore-not-found", "--wait=false"]);
    await kubectl(["delete", NNCP, policy, `${policy}-new`, "--ignore-not-found", "--wait=false"]);
    await kubectl(["delete", "node", mine, other, "--ignore-not-found", "--wait=false"]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("the verb x resource x own/other matrix", { timeout: 240_000 }, async () => {
    const whoami = await asHandler(["auth", "whoami", "-o", "jsonpath={.status.userInfo.extra.authentication\\.kubernetes\\.io/node-name[0]}"]);
    assert.equal(whoami.stdout, mine, "the bound token carries the node-name claim");

    // NodeNetworkState
    await cell("NodeNetworkState", "create", "own", "allowed", async () => asHandler(["create", "-f", "-"], JSON.stringify(await nodeState(mine))));
    await cell("NodeNetworkState", "create", "other", "refused", async () => asHandler(["create", "-f", "-"], JSON.stringify(await nodeState(other))));
    assert.equal((await kubectl(["create", "-f", "-"], { input: JSON.stringify(await nodeState(other)) })).code, 0);
    for (const [whose, node] of [["own", mine], ["other", other]] as const) {
      const expect: Expect = whose === "own" ? "allowed" : "refused";
      await cell("NodeNetworkState", "update", whose, expect, () => update(NNS, node));
      await cell("NodeNetworkState", "patch", whose, expect, () => patch(NNS, node, { metadata: { annotations: { "example.com/touched": "p" } } }));
      await cell("NodeNetworkState", "status update", whose, expect, () => update(NNS, node, "status", statusChange({ currentState: { interfaces: [] }, lastSuccessfulUpdateTime: "2026-12-01T10:00:00Z" })));
      await cell("NodeNetworkState", "status patch", whose, expect, () => patch(NNS, node, { status: { currentState: { interfaces: [{ name: "fake0", type: "dummy", state: "up" }] } } }, "status"));
      // Not needed: the garbage collector deletes a node's state with its Node.
      await cell("NodeNetworkState", "delete", whose, "refused", () => asHandler(["delete", NNS, node, "--wait=false"]));
    }
    await cell("NodeNetworkState", "owner tampering (owner: other Node)", "own", "refused", async () => patch(NNS, mine, { metadata: { ownerReferences: await nodeOwner(other) } }));

    // Enactments
    await cell("Enactment", "create", "own", "allowed", async () => asHandler(["create", "-f", "-"], JSON.stringify(await enactment(mine))));
    await cell("Enactment", "create", "other", "refused", async () => asHandler(["create", "-f", "-"], JSON.stringify(await enactment(other))));
    await cell("Enactment", "create (own name, other node's label)", "own", "refused", async () =>
      asHandler(["create", "-f", "-"], JSON.stringify({ ...(await enactment(mine, other)), metadata: { ...(await enactment(mine, other)).metadata, name: `${mine}.x-${policy}` } })),
    );
    assert.equal((await kubectl(["create", "-f", "-"], { input: JSON.stringify(await enactment(other)) })).code, 0);
    for (const [whose, node] of [["own", mine], ["other", other]] as const) {
      const expect: Expect = whose === "own" ? "allowed" : "refused";
      const name = `${node}.${policy}`;
      await cell("Enactment", "update", whose, expect, () => update(NNCE, name));
      // the revert-on-delete finalizer is a merge patch of the main resource
      await cell("Enactment", "patch", whose, expect, () => patch(NNCE, name, { metadata: { finalizers: ["nodenet.io/revert-on-delete"] } }));
      await cell("Enactment", "status update", whose, expect, () => update(NNCE, name, "status", statusChange({ policyGeneration: 1 })));
      await cell("Enactment", "status patch", whose, expect, () =>
        patch(NNCE, name, { status: { conditions: [{ type: "Failing", status: "True", reason: "FailedToConfigure", message: "forged", lastTransitionTime: "2026-12-01T10:00:00Z", lastHeartbeatTime: "2026-12-01T10:00:00Z" }] } }, "status"),
      );
    }
    await cell("Enactment", "label tampering (nmstate.io/node: other)", "own", "refused", () => patch(NNCE, `${mine}.${policy}`, { metadata: { labels: { "nmstate.io/node": other } } }));
    await cell("Enactment", "label tampering (nmstate.io/policy)", "own", "refused", () => patch(NNCE, `${mine}.${policy}`, { metadata: { labels: { "nmstate.io/policy": "another" } } }));
    await cell("Enactment", "owner tampering (owner: other Node)", "own", "refused", async () => patch(NNCE, `${mine}.${policy}`, { metadata: { ownerReferences: await nodeOwner(other) } }));
    await cell("Enactment", "owner tampering (owner removed)", "own", "refused", () => patch(NNCE, `${mine}.${policy}`, { metadata: { ownerReferences: null } }));
    for (const node of [mine, other]) assert.equal((await kubectl(["patch", NNCE, `${node}.${policy}`, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'])).code, 0);
    await cell("Enactment", "delete", "other", "refused", () => asHandler(["delete", NNCE, `${other}.${policy}`, "--wait=false"]));
    await cell("Enactment", "delete", "own", "allowed", () => asHandler(["delete", NNCE, `${mine}.${policy}`, "--wait=false"]));

    // Rollout slots: the policy's status.rolloutSlots, written with PUT on the status subresource.
    const generation = (await get(NNCP, policy)).metadata.generation as number;
    const slots = (list: Json[]) => statusChange({ rolloutSlots: list, unavailableNodeCount: list.length });
    assert.equal((await kubectl(["patch", NNCP, policy, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { rolloutSlots: [slot(other, generation), slot("gone", generation - 1)] } })])).code, 0);
    const gone = slot("gone", generation - 1);
    await cell("Rollout slot", "status update: take", "own", "allowed", () => update(NNCP, policy, "status", slots([slot(other, generation), gone, slot(mine, generation)])));
    await cell("Rollout slot", "status update: take for a future generation", "own", "refused", () => update(NNCP, policy, "status", slots([slot(other, generation), slot(mine, generation + 1)])));
    await cell("Rollout slot", "status update: take", "other", "refused", () => update(NNCP, policy, "status", slots([slot(other, generation), slot(mine, generation), slot("rbac-c", generation)])));
    await cell("Rollout slot", "status update: change", "other", "refused", () => update(NNCP, policy, "status", slots([{ ...slot(other, generation), since: "2026-12-01T11:00:00Z" }, slot(mine, generation)])));
    await cell("Rollout slot", "status update: give back", "other", "refused", () => update(NNCP, policy, "status", slots([slot(mine, generation)])));
    await cell("Rollout slot", "status update: drop an older generation's", "other", "allowed", () => update(NNCP, policy, "status", slots([slot(other, generation), slot(mine, generation)])));
    await cell("Rollout slot", "status update: give back", "own", "allowed", () => update(NNCP, policy, "status", slots([slot(other, generation)])));
    await cell("Rollout slot", "status patch", "own", "refused", () => patch(NNCP, policy, { status: { rolloutSlots: [slot(other, generation), slot(mine, generation)] } }, "status"));

    // Policies: spec and the controller's status are not the handler's.
    await cell("Policy", "create", "any", "refused", () =>
      asHandler(["create", "-f", "-"], JSON.stringify({ apiVersion: "nmstate.io/v1", kind: "NodeNetworkConfigurationPolicy", metadata: { name: `${policy}-new` }, spec: { desiredState: { interfaces: [] } } })),
    );
    await cell("Policy", "update", "any", "refused", () => update(NNCP, policy));
    await cell("Policy", "patch", "any", "refused", () => patch(NNCP, policy, { spec: { maxUnavailable: 3 } }));
    await cell("Policy", "delete", "any", "refused", () => asHandler(["delete", NNCP, policy, "--wait=false"]));
    await cell("Policy status", "status update: conditions", "any", "refused", () =>
      update(NNCP, policy, "status", statusChange({ conditions: [{ type: "Degraded", status: "True", reason: "FailedToConfigure", message: "forged", lastTransitionTime: "2026-12-01T10:00:00Z", lastHeartbeatTime: "2026-12-01T10:00:00Z" }] })),
    );
    await cell("Policy status", "status patch: conditions", "any", "refused", () => patch(NNCP, policy, { status: { conditions: [] } }, "status"));

    // A handler credential without a node name: nothing at all.
    await cell("NodeNetworkState", "status patch (token without node name)", "own", "refused", () => asHandler(["patch", NNS, mine, "--type=merge", "--subresource=status", "-p", '{"status":{"currentState":{}}}'], undefined, unbound));
    await cell("Rollout slot", "status update: take (token without node name)", "own", "refused", async () =>
      asHandler(["replace", "--subresource=status", "-f", "-"], JSON.stringify(slots([slot(other, generation), slot(mine, generation)])(await get(NNCP, policy))), unbound),
    );

    const line = (c: Cell) => {
      const got: Expect = c.result!.code === 0 ? "allowed" : "refused";
      const why = got === "refused" ? ` — ${c.result!.stderr.trim().replace(/^.*?is forbidden: (ValidatingAdmissionPolicy .*?denied request: )?/s, "").slice(0, 160)}` : "";
      return `${got === c.expect ? "ok  " : "BAD "} ${c.resource.padEnd(17)} ${c.verb.padEnd(46)} ${c.whose.padEnd(5)} ${got}${why}`;
    };
    process.stdout.write(`# handler of ${mine}; other node ${other}\n${cells.map((c) => `# ${line(c)}`).join("\n")}\n`);

    const wrong = cells.filter((c) => (c.result!.code === 0 ? "allowed" : "refused") !== c.expect).map((c) => `${line(c)}\n${c.result!.stderr}`);
    assert.deepEqual(wrong, []);
    for (const c of cells.filter((c) => c.expect === "refused")) assert.match(c.result!.stderr, /forbidden|denied/i, `${c.resource} ${c.verb} ${c.whose}: refused with a message`);
    assert.ok(cells.filter((c) => c.whose === "other").length >= 14, "every verb is tried on the other node's objects");

    // Nothing of the other node was changed.
    const otherState = await get(NNS, other);
    assert.equal(otherState.status, undefined);
    assert.equal(otherState.metadata.annotations?.["example.com/touched"], undefined);
    const otherEnactment = await get(NNCE, `${other}.${policy}`);
    assert.equal(otherEnactment.status, undefined);
    assert.deepEqual((await get(NNCP, policy)).status.rolloutSlots, [slot(other, generation)]);
  });
});
