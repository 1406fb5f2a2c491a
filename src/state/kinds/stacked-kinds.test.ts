/** ipvlan and mac-vtap end to end without root: parse, validate, plan (in the kernel's words), the memory backend. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { describe as kernelWords } from "../../host/kernel/commands.ts";
import { MemoryBackend } from "../../host/memory/backend.ts";
import { formatPath, type Issue } from "../issues.ts";
import { loadDesired } from "../load.ts";
import { mergeStates } from "../merge/index.ts";
import { plan } from "../plan/index.ts";
import type { NetworkState } from "../schema/state.ts";
import { validate } from "../validate/index.ts";

const HOST: NetworkState = { interfaces: [{ name: "eth1", type: "ethernet", state: "up", mtu: 9000, ipv4: { enabled: false }, ipv6: { enabled: false } }] };
const load = (yaml: string) => {
  const loaded = loadDesired([{ file: "t.yml", text: yaml }]);
  return { issues: loaded.issues, state: loaded.state };
};
const errors = (yaml: string, current: NetworkState = HOST): Issue[] => {
  const loaded = load(yaml);
  if (loaded.issues.some((i) => i.severity === "error")) return loaded.issues;
  return validate(loaded.state!, current).issues.filter((i) => i.severity === "error");
};

test("nmstate's ipvlan example is accepted and plans one ip link add in the kernel's words", () => {
  const desired = load("interfaces:\n- {name: ipvlan0, type: ipvlan, state: up, ipvlan: {base-iface: eth1, mode: l2}}\n").state!;
  assert.deepEqual(validate(desired, HOST).issues, []);
  const lines = plan(mergeStates(desired, HOST)).map(kernelWords);
  assert.deepEqual(lines, ["ip link add link eth1 name ipvlan0 type ipvlan mode l2 bridge", "ip link set dev ipvlan0 up"]);
  const vepa = load("interfaces:\n- {name: iv1, type: ipvlan, ipvlan: {base-iface: eth1, mode: l3s, vepa: true}}\n").state!;
  assert.equal(plan(mergeStates(vepa, HOST)).map(kernelWords)[0], "ip link add link eth1 name iv1 type ipvlan mode l3s vepa");
});

test("bad ipvlan declarations are refused naming the field", () => {
  const at = (issues: Issue[]) => issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  assert.match(at(errors("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {mode: l2}}\n")).join("\n"), /interfaces\[0\]\.ipvlan\.base-iface: a new IPVLAN needs its base interface/);
  assert.match(at(errors("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {base-iface: eth1, private: true, vepa: true}}\n")).join("\n"), /interfaces\[0\]\.ipvlan\.vepa: an IPVLAN is either private or vepa/);
  assert.match(at(errors("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {base-iface: eth9}}\n")).join("\n"), /interfaces\[0\]\.ipvlan\.base-iface: base interface eth9 will not exist/);
  assert.match(at(errors("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {base-iface: eth1, mode: l4}}\n")).join("\n"), /interfaces\[0\]\.ipvlan\.mode/);
  assert.match(at(errors("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {base-iface: eth1, moed: l2}}\n")).join("\n"), /interfaces\[0\]\.ipvlan\.moed: unknown key/);
  assert.match(at(errors("interfaces:\n- {name: eth1, type: ethernet, ipvlan: {base-iface: eth0}}\n")).join("\n"), /interfaces\[0\]\.ipvlan: a ipvlan section belongs on a ipvlan interface/);
  assert.match(
    at(errors("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {base-iface: eth1, mode: l2}}\n- {name: iv1, type: ipvlan, ipvlan: {base-iface: eth1, mode: l2, vepa: true}}\n")).join("\n"),
    /interfaces\[0\]\.ipvlan\.mode: iv0 would be l2 bridge and iv1 on the same base eth1 l2 vepa; the kernel keeps one mode and one of private\/vepa per base/,
  );
  assert.deepEqual(errors("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {base-iface: eth1, mode: l2}}\n- {name: iv1, type: ipvlan, ipvlan: {base-iface: eth1, mode: l2}}\n"), []);
  const existing: NetworkState = { interfaces: [...HOST.interfaces!, { name: "iv0", type: "ipvlan", state: "up", ipvlan: { "base-iface": "eth1", mode: "l2", private: false, vepa: false } }] };
  assert.match(at(errors("interfaces:\n- {name: iv0, ipvlan: {mode: l3}}\n", existing)).join("\n"), /interfaces\[0\]\.ipvlan\.mode: the mode of existing IPVLAN iv0 is l2; it cannot change in place/);
});

test("the memory backend creates, reports and removes an ipvlan as the kernel does (base's MTU, removed with its base)", async () => {
  const backend = new MemoryBackend(structuredClone(HOST), { stateDir: "/nonexistent-memory-state" });
  await backend.execute(plan(mergeStates(load("interfaces:\n- {name: iv0, type: ipvlan, ipvlan: {base-iface: eth1, mode: l3, private: true}}\n").state!, HOST)));
  const iv0 = (await backend.read()).state.interfaces!.find((i) => i.name === "iv0");
  assert.equal(iv0?.type, "ipvlan");
  assert.equal(iv0?.mtu, 9000);
  assert.deepEqual(iv0?.ipvlan, { "base-iface": "eth1", mode: "l3", private: true, vepa: false });
  await assert.rejects(backend.execute([{ op: "link-set", name: "iv0", mtu: 9001 }]), /Invalid argument/);
  await backend.execute([{ op: "link-add", name: "br0", create: { kind: "linux-bridge" } }, { op: "link-del", name: "br0" }]);
  assert.ok((await backend.read()).state.interfaces!.some((i) => i.name === "iv0"));
});

test("mac-vtap: nmstate's example and spelling are accepted, planned in the kernel's words, emulated in memory; promiscuous off outside passthru is refused", async () => {
  const desired = load("interfaces:\n- {name: mt0, type: mac-vtap, state: up, mac-vtap: {base-iface: eth1, mode: vepa, accept-all-mac: 'true'}}\n").state!;
  assert.deepEqual(validate(desired, HOST).issues, []);
  const ops = plan(mergeStates(desired, HOST));
  assert.equal(ops.map(kernelWords)[0], "ip link add link eth1 name mt0 type macvtap mode vepa");
  const backend = new MemoryBackend(structuredClone(HOST), { stateDir: "/nonexistent-memory-state" });
  await backend.execute(ops);
  assert.deepEqual((await backend.read()).state.interfaces!.find((i) => i.name === "mt0")?.["mac-vtap"], { "base-iface": "eth1", mode: "vepa", promiscuous: true });
  assert.match(errors("interfaces:\n- {name: mt0, type: mac-vtap, mac-vtap: {base-iface: eth1, mode: bridge, promiscuous: false}}\n").map((i) => `${formatPath(i.path)}: ${i.message}`).join("\n"), /interfaces\[0\]\.mac-vtap\.promiscuous: only a passthru MACVTAP/);
});
