import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AddressAllocation } from "../api/policy.ts";
import { parsePools } from "../../state/pools/pool.ts";
import { decideAllocations, releaseAllocations, withoutGoneNodes } from "./allocate.ts";

const now = new Date("2026-12-02T12:00:00Z");
const { pools } = parsePools({ storage: { cidr: "198.51.100.0/29", gateway: "198.51.100.1" }, backup: { cidr: "203.0.113.0/30" } });
const entry = (node: string, address: string, pool = "storage"): AddressAllocation => ({ pool, node, address, since: "2026-12-01T00:00:00Z" });

function allocate(node: string, current: AddressAllocation[], wanted = ["storage"]) {
  const d = decideAllocations(node, wanted, pools, current, now);
  assert.equal(d.kind, "allocated", d.kind === "exhausted" ? d.message : "");
  return d as Extract<typeof d, { kind: "allocated" }>;
}

describe("address allocation", () => {
  test("five nodes fill a /29 with its gateway, each a different address; the sixth is refused, naming the holders", () => {
    let list: AddressAllocation[] = [];
    for (const node of ["node-1", "node-2", "node-3", "node-4", "node-5"]) list = allocate(node, list).allocations;
    assert.deepEqual(list.map((a) => `${a.node}=${a.address}`), ["node-1=198.51.100.2", "node-2=198.51.100.3", "node-3=198.51.100.4", "node-4=198.51.100.5", "node-5=198.51.100.6"]);
    const sixth = decideAllocations("node-6", ["storage"], pools, list, now);
    assert.equal(sixth.kind, "exhausted");
    assert.match(sixth.kind === "exhausted" ? sixth.message : "", /^address pool storage is exhausted: all 5 addresses for nodes in 198\.51\.100\.0\/29 \(without the network and broadcast addresses, the gateway 198\.51\.100\.1\) are held by other nodes \(node-1, node-2, node-3, node-4, node-5\); node-6 gets none/);
  });

  test("a node keeps what it holds (nothing to write); a released address is handed out first", () => {
    const list = [entry("node-1", "198.51.100.2"), entry("node-2", "198.51.100.3"), entry("node-3", "198.51.100.4")];
    const again = allocate("node-2", list);
    assert.equal(again.changed, false);
    assert.deepEqual(again.mine, { storage: "198.51.100.3" });
    const released = releaseAllocations("node-2", list);
    assert.deepEqual(allocate("node-9", released).mine, { storage: "198.51.100.3" });
  });

  test("an address the edited pool no longer offers is replaced; one another node also claims is given up; others' entries are kept as read", () => {
    const invalid = [entry("node-1", "198.51.100.2"), entry("node-2", "198.51.100.7")];
    const moved = allocate("node-2", invalid);
    assert.equal(moved.changed, true);
    assert.deepEqual(moved.mine, { storage: "198.51.100.3" });
    assert.deepEqual(moved.allocations[0], invalid[0], "node-1's entry as read");
    const duplicate = [entry("node-1", "198.51.100.2"), entry("node-2", "198.51.100.2")];
    assert.deepEqual(allocate("node-2", duplicate).mine, { storage: "198.51.100.3" });
    // Even another node's entry that the pool no longer offers is not taken over (that node may still have it configured).
    const { pools: narrowed } = parsePools({ storage: { cidr: "198.51.100.0/29", gateway: "198.51.100.1", exclude: ["198.51.100.2"] } });
    const d = decideAllocations("node-3", ["storage"], narrowed, [entry("node-1", "198.51.100.3")], now);
    assert.deepEqual(d.kind === "allocated" && d.mine, { storage: "198.51.100.4" });
  });

  test("pools the state no longer refers to are given back; several pools at once", () => {
    const list = [entry("node-1", "198.51.100.2"), entry("node-1", "203.0.113.1", "backup")];
    const only = allocate("node-1", list, ["backup"]);
    assert.deepEqual(only.allocations.map((a) => a.pool), ["backup"]);
    const both = allocate("node-2", list, ["backup", "storage"]);
    assert.deepEqual(both.mine, { backup: "203.0.113.2", storage: "198.51.100.3" });
  });

  test("entries of nodes that no longer exist are dropped (the controller's cleanup); nothing to do when all exist", () => {
    const list = [entry("node-1", "198.51.100.2"), entry("node-2", "198.51.100.3"), entry("node-2", "203.0.113.1", "backup")];
    assert.deepEqual(withoutGoneNodes(list, (n) => n !== "node-2"), { kept: [list[0]], gone: ["node-2"] });
    assert.equal(withoutGoneNodes(list, () => true), undefined);
  });
});
