import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bridgeOptions, portVlan, vlanRanges } from "../kinds/linux-bridge.ts";

describe("bridgeOptions", () => {
  it("turns the kernel's centiseconds into seconds for STP timers and ageing, rounding jiffy errors", () => {
    const options = bridgeOptions({ stp_state: 1, forward_delay: 1499, hello_time: 200, max_age: 2000, priority: 4096, ageing_time: 30000 });
    assert.deepEqual(options.stp, { enabled: true, "forward-delay": 15, "hello-time": 2, "max-age": 20, priority: 4096 });
    assert.equal(options["mac-ageing-time"], 300);
  });

  it("keeps multicast intervals in centiseconds and parses the hex group mask", () => {
    const options = bridgeOptions({ group_fwd_mask: "0x8", mcast_query_intvl: 12500, mcast_router: 2, mcast_snooping: 0, group_addr: "01:80:c2:00:00:00" });
    assert.equal(options["group-forward-mask"], 8);
    assert.equal(options["multicast-query-interval"], 12500);
    assert.equal(options["multicast-router"], "enabled");
    assert.equal(options["multicast-snooping"], false);
    assert.equal(options["group-addr"], "01:80:C2:00:00:00");
  });

  it("reads the VLAN protocol by name or as the ethertype `ip -N` prints", () => {
    assert.equal(bridgeOptions({ vlan_protocol: "802.1Q" })["vlan-protocol"], "802.1q");
    assert.equal(bridgeOptions({ vlan_protocol: "[34984]" })["vlan-protocol"], "802.1ad");
    assert.equal(bridgeOptions({})["vlan-protocol"], undefined);
  });

  it("reports STP as disabled when stp_state is 0", () => {
    assert.equal(bridgeOptions({ stp_state: 0 }).stp?.enabled, false);
  });
});

describe("portVlan", () => {
  const pvidUntagged = ["PVID", "Egress Untagged"];

  it("is an access port when the only VLAN is the PVID, untagged", () => {
    assert.deepEqual(portVlan([{ vlan: 10, flags: pvidUntagged }]), { mode: "access", tag: 10, "trunk-tags": [] });
  });

  it("reports nothing for a port with only the default VLAN 1", () => {
    assert.equal(portVlan([{ vlan: 1, flags: pvidUntagged }]), undefined);
    assert.equal(portVlan([]), undefined);
  });

  it("compresses consecutive ids into ranges and leaves out VLAN 1", () => {
    const entries = [{ vlan: 1, flags: pvidUntagged }, ...[20, 21, 22, 23].map((vlan) => ({ vlan })), { vlan: 40 }];
    assert.deepEqual(portVlan(entries), {
      mode: "trunk",
      "enable-native": false,
      "trunk-tags": [{ "id-range": { min: 20, max: 23 } }, { id: 40 }],
    });
  });

  it("makes a PVID untagged VLAN of a trunk its native tag", () => {
    const entries = [{ vlan: 1, flags: ["Egress Untagged"] }, { vlan: 100, flags: pvidUntagged }, { vlan: 200, vlanEnd: 210 }, { vlan: 300 }];
    assert.deepEqual(portVlan(entries), {
      mode: "trunk",
      tag: 100,
      "enable-native": true,
      "trunk-tags": [{ "id-range": { min: 200, max: 210 } }, { id: 300 }],
    });
  });

  it("does not join ids whose untagged flag differs", () => {
    assert.deepEqual(
      vlanRanges([{ vlan: 5 }, { vlan: 6, flags: ["Egress Untagged"] }, { vlan: 7, flags: ["Egress Untagged"] }]).map((r) => [r.min, r.max]),
      [[5, 5], [6, 7]],
    );
  });
});
