/**
 * A real reboot under a full kernel: User-Mode Linux booted twice over the same
 * persistent directory (a host directory the guest writes through hostfs).
 * Both boots plug the same "hardware" — two NICs cabled to a gateway. The
 * first applies a bond over both NICs with the management address and default
 * route, and commits; the second runs `nodenet boot` right after the hardware
 * appears: bond, address and default route are back, and the gateway answers.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const BOOT = join(REPO, "test/uml/boot.sh");

/** Two NICs, each cabled to a bridge in the gateway's namespace (192.0.2.1). Made again at each boot, identically. */
const HARDWARE = `set -e
ip netns add gw
ip link add nic0 address 02:00:00:00:05:01 type veth peer name p0 netns gw
ip link add nic1 address 02:00:00:00:05:02 type veth peer name p1 netns gw
ip -n gw link add sw type bridge stp_state 0 forward_delay 0
ip -n gw link set p0 master sw up
ip -n gw link set p1 master sw up
ip -n gw link set sw up
ip -n gw address add 192.0.2.1/24 dev sw
`;

const BOND = `interfaces:
- name: bond0
  type: bond
  state: up
  link-aggregation: {mode: active-backup, port: [nic0, nic1]}
  ipv4: {enabled: true, address: [{ip: 192.0.2.10, prefix-length: 24}]}
routes:
  config:
  - {destination: 0.0.0.0/0, next-hop-address: 192.0.2.1, next-hop-interface: bond0}
`;

function boot(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BOOT, ["--timeout", "300", "--cwd", REPO, "--", "sh", script], { maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

test("UML booted twice: the bond, its address and the default route come back, and the gateway answers", { timeout: 700_000 }, async (t) => {
  assert.ok(existsSync("/usr/bin/linux.uml"), "User-Mode Linux is not installed: run scripts/install.sh (apt-get install user-mode-linux kmod)");
  // Not /tmp or /run: those are private in the guest. The guest writes here through hostfs, like a disk.
  const cache = process.env.NODENET_CACHE ?? join(homedir(), ".cache", "nodenet");
  mkdirSync(cache, { recursive: true });
  const disk = mkdtempSync(join(cache, "uml-reboot-"));
  t.after(() => rmSync(disk, { recursive: true, force: true }));
  const record = join(disk, "etc-nodenet", "state.yml");
  writeFileSync(join(disk, "bond.yml"), BOND);
  const nodenet = join(REPO, "bin/nodenet");

  writeFileSync(join(disk, "first.sh"), `${HARDWARE}${nodenet} apply --record ${record} --skip-probe dns ${disk}/bond.yml\n`);
  const first = await boot(join(disk, "first.sh"));
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stderr, /probe ok: default gateway 192\.0\.2\.1/);
  assert.match(readFileSync(record, "utf8"), /name: bond0/, "the record reached the disk");

  writeFileSync(
    join(disk, "second.sh"),
    `${HARDWARE}echo "before boot: $(ip -br link show bond0 2>&1)"
${nodenet} boot --record ${record} --skip-probe dns
echo "boot exit $?"
ip -json -details link show bond0
ip -json -4 address show dev bond0
ip -json route show default
ping -c 1 -W 3 192.0.2.1 >/dev/null && echo "gateway answers"
`,
  );
  const second = await boot(join(disk, "second.sh"));
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const lines = second.stdout.trim().split("\n");
  assert.match(lines[0]!, /before boot: .*does not exist/, "a fresh kernel: no bond before boot");
  assert.equal(lines[1], "boot exit 0", second.stderr);
  const [link] = JSON.parse(lines[2]!) as { ifname: string; linkinfo: { info_kind: string; info_data: { mode: string } } }[];
  assert.equal(link?.linkinfo.info_kind, "bond");
  assert.equal(link?.linkinfo.info_data.mode, "active-backup");
  const [addr] = JSON.parse(lines[3]!) as { addr_info: { local: string }[] }[];
  assert.deepEqual(addr?.addr_info.map((a) => a.local), ["192.0.2.10"]);
  const [route] = JSON.parse(lines[4]!) as { gateway: string; dev: string }[];
  assert.deepEqual([route?.gateway, route?.dev], ["192.0.2.1", "bond0"]);
  assert.equal(lines[5], "gateway answers");
  assert.match(second.stderr, /applied management: bond0\n/);
});
