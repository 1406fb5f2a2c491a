/**
 * The image scripts/image/build.sh builds without Docker: an OCI archive that
 * a container runtime imports, whose config agrees with deploy/Dockerfile, and
 * whose root file system holds Node 24, nodenet and every program the handler
 * spawns. Checked by unpacking it with umoci and running its programs under
 * chroot, as a runtime would start them. The build uses the usual cache
 * (outside the repository), so only a changed tree costs a rebuild.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

const repo = new URL("../../", import.meta.url).pathname;
const buildScript = join(repo, "scripts/image/build.sh");

interface Run { code: number; stdout: string; stderr: string }
function run(command: string, args: string[], timeoutMs = 600_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }));
  });
}
async function mustRun(command: string, args: string[]): Promise<string> {
  const r = await run(command, args);
  assert.equal(r.code, 0, `${command} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}
const readlinkOr = (path: string) => { try { return readlinkSync(path); } catch { return ""; } };
const readFileOr = (path: string) => { try { return readFileSync(path, "utf8"); } catch { return ""; } };
const readdirOr = (path: string) => { try { return readdirSync(path); } catch { return []; } };
const lastLine = (s: string) => s.trimEnd().split("\n").at(-1)!;
const packageVersion = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version as string;

/** Extracts an OCI archive and unpacks TAG's root file system with umoci; returns the layout and the bundle. */
async function unpack(archive: string, tag: string, into: string): Promise<{ layout: string; rootfs: string }> {
  const layout = join(into, "oci");
  await mustRun("mkdir", ["-p", layout]);
  await mustRun("tar", ["-C", layout, "-xf", archive]);
  await mustRun("umoci", ["unpack", "--image", `${layout}:${tag}`, join(into, "bundle")]);
  return { layout, rootfs: join(into, "bundle", "rootfs") };
}

/** The image config of TAG in an OCI layout (index → manifest → config). */
function imageConfig(layout: string, tag: string): { Entrypoint?: string[]; WorkingDir?: string; Env?: string[] } {
  const blob = (digest: string) => JSON.parse(readFileSync(join(layout, "blobs", ...digest.split(":")), "utf8"));
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const entry = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  assert.ok(entry, `index.json names no image ${tag}: ${JSON.stringify(index.manifests.map((m: { annotations?: object }) => m.annotations))}`);
  return blob(blob(entry.digest).config.digest).config;
}

/** What deploy/Dockerfile's final stage declares. */
function dockerfileDeclares(): { entrypoint: string[]; workdir: string; env: string[] } {
  const text = readFileSync(join(repo, "deploy/Dockerfile"), "utf8").replace(/\\\n\s*/g, " ");
  const final = text.split(/^FROM /m).at(-1)!;
  const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(final)![1]!) as string[];
  const workdir = /^WORKDIR (\S+)/m.exec(final)![1]!;
  const env = /^ENV (.*)$/m.exec(final)![1]!.trim().split(/\s+/);
  return { entrypoint, workdir, env };
}

describe("the image built without Docker", () => {
  let work = "";
  let archive = "";
  let rootfs = "";
  let layout = "";
  before(async () => {
    for (const tool of ["umoci", "mmdebstrap"]) {
      if ((await run("sh", ["-c", `command -v ${tool}`])).code !== 0) throw new Error(`${tool} is missing: run scripts/install.sh`);
    }
    work = mkdtempSync(join(tmpdir(), "nodenet-image-"));
    const built = await run(buildScript, []);
    assert.equal(built.code, 0, `build.sh failed:\n${built.stderr}`);
    archive = lastLine(built.stdout);
    ({ layout, rootfs } = await unpack(archive, packageVersion, work));
  });
  after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

  test("is an OCI archive in the cache outside the repository, tagged with the package version", () => {
    assert.match(archive, /\/image\/nodenet-[^/]+\.oci\.tar$/);
    assert.ok(!archive.startsWith(repo), `archive ${archive} is inside the repository`);
    assert.ok(existsSync(join(layout, "oci-layout")));
  });

  test("its config agrees with deploy/Dockerfile: entrypoint, working directory, environment", () => {
    const config = imageConfig(layout, packageVersion);
    const docker = dockerfileDeclares();
    assert.deepEqual(config.Entrypoint, docker.entrypoint);
    assert.equal(config.WorkingDir, docker.workdir);
    for (const kv of docker.env) assert.ok(config.Env?.includes(kv), `image env lacks ${kv}: ${config.Env}`);
  });

  test("holds what each of deploy/Dockerfile's COPY lines puts in /opt/nodenet", () => {
    const text = readFileSync(join(repo, "deploy/Dockerfile"), "utf8");
    const copies = [...text.split(/^FROM /m).at(-1)!.matchAll(/^COPY (?!--from)(?:\S+ )+\.\/(\S+)$/gm)].map((m) => m[1]!);
    assert.ok(copies.length >= 3, `no COPY lines found in deploy/Dockerfile: ${copies}`);
    for (const dest of copies) assert.ok(existsSync(join(rootfs, "opt/nodenet", dest)), `the image lacks /opt/nodenet/${dest} (deploy/Dockerfile copies it)`);
  });

  test("runs Node 24 and the nodenet CLI", async () => {
    const node = await mustRun("chroot", [rootfs, "node", "--version"]);
    assert.match(node, /^v24\./);
    const help = await run("chroot", [rootfs, "/usr/local/bin/nodenet", "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /handler/);
    assert.match(help.stdout, /controller/);
  });

  test("holds every program the handler and controller spawn", async () => {
    const programs = ["ip", "bridge", "udhcpc", "dhclient", "ping", "sysctl", "hostname", "modprobe", "openssl", "sh"];
    const found = await run("chroot", [rootfs, "sh", "-c", programs.map((p) => `command -v ${p} >/dev/null || echo missing: ${p}`).join("; ")]);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(found.stdout, "", "programs missing from the image");
    // udhcpc must be usable, not only present (busybox applet links break silently).
    const udhcpc = await run("chroot", [rootfs, "udhcpc", "--help"]);
    assert.match(udhcpc.stdout + udhcpc.stderr, /Usage: udhcpc/);
  });

  test("has production dependencies only and no tests", () => {
    const app = join(rootfs, "opt/nodenet");
    assert.ok(existsSync(join(app, "node_modules/@kubernetes/client-node/package.json")));
    for (const dev of ["typescript", "fast-check", "node"]) assert.ok(!existsSync(join(app, "node_modules", dev)), `devDependency ${dev} in the image`);
    const tests: string[] = [];
    const walk = (dir: string) => { for (const e of readdirSync(dir, { withFileTypes: true })) e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".test.ts") && tests.push(join(dir, e.name)); };
    walk(join(app, "src"));
    assert.deepEqual(tests, []);
  });

  test("an unchanged tree is not rebuilt: the same archive, untouched", async () => {
    const before = statSync(archive).mtimeMs;
    const again = await run(buildScript, [], 60_000);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(lastLine(again.stdout), archive);
    assert.equal(statSync(archive).mtimeMs, before);
  });

  test("containerd imports it as the README says and runs the handler's programs in it (host network)", async (t) => {
    for (const tool of ["containerd", "ctr", "runc"]) {
      if ((await run("sh", ["-c", `command -v ${tool}`])).code !== 0) throw new Error(`${tool} is missing: run scripts/install.sh`);
    }
    // A containerd of its own (root, state, socket in a temp dir; CRI off), stopped by PID.
    const dir = mkdtempSync(join(tmpdir(), "nodenet-containerd-"));
    const sock = join(dir, "containerd.sock");
    writeFileSync(join(dir, "config.toml"), [
      "version = 2", `root = "${dir}/root"`, `state = "${dir}/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      "[grpc]", `  address = "${sock}"`, "",
    ].join("\n"));
    // containerd 1.6 puts shim sockets in /run/containerd/s whatever its config says: remove
    // those directories afterwards if this test made them and they are empty again.
    const systemDirs = ["/run/containerd/s", "/run/containerd"].filter((d) => !existsSync(d));
    const containerd = spawn("containerd", ["--config", join(dir, "config.toml")], { stdio: "ignore" });
    t.after(async () => {
      const exited = new Promise((r) => containerd.exitCode !== null ? r(null) : containerd.once("exit", r));
      containerd.kill("SIGTERM");
      await exited;
      const mounts = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(dir)).reverse();
      for (const m of mounts) await run("umount", [m]);
      rmSync(dir, { recursive: true, force: true });
      for (const d of systemDirs) { try { rmdirSync(d); } catch { /* not empty: someone else's */ } }
    });
    while (!existsSync(sock)) {
      assert.equal(containerd.exitCode, null, "containerd exited at start");
      await new Promise((r) => setTimeout(r, 50));
    }
    const ctr = (...args: string[]) => run("ctr", ["--address", sock, ...args], 120_000);
    const imported = await ctr("images", "import", "--base-name", "docker.io/library/nodenet", archive);
    assert.equal(imported.code, 0, imported.stderr);
    const image = `docker.io/library/nodenet:${packageVersion}`;
    assert.match((await ctr("images", "ls", "-q")).stdout, new RegExp(`^${image.replaceAll(".", "\\.")}$`, "m"));
    // FIFOs and runc's state under the temp dir too (not the system-wide /run/containerd).
    const own = ["--fifo-dir", join(dir, "fifo"), "--runc-root", join(dir, "runc")];
    const help = await ctr("run", "--rm", ...own, "--net-host", image, `nodenet-help-${process.pid}`, "nodenet", "--help");
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: nodenet/);
    // Host network: the container sees this namespace's links; dhclient and udhcpc start.
    const tools = await ctr("run", "--rm", ...own, "--net-host", image, `nodenet-tools-${process.pid}`, "sh", "-c",
      "ip -json link show lo && dhclient --version && udhcpc --help 2>&1 | head -n 1");
    assert.equal(tools.code, 0, tools.stderr);
    assert.match(tools.stdout, /"ifname":"lo"/);
    assert.match(tools.stdout + tools.stderr, /isc-dhclient-4/);
    assert.match(tools.stdout, /BusyBox/);
  });

  test("a bad IMAGE_TAG is refused, naming it", async () => {
    const bad = await new Promise<Run>((resolve) => execFile(buildScript, [], { env: { ...process.env, IMAGE_TAG: "no/slash" } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr })));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /IMAGE_TAG 'no\/slash' is not a valid image tag/);
  });
});

describe("the pause image", () => {
  test("holds one static /pause that exits 0 on SIGTERM", async (t) => {
    const work = mkdtempSync(join(tmpdir(), "nodenet-pause-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const built = await run(buildScript, ["pause"]);
    assert.equal(built.code, 0, built.stderr);
    const { layout, rootfs } = await unpack(lastLine(built.stdout), packageVersion, work);
    assert.deepEqual(imageConfig(layout, packageVersion).Entrypoint, ["/pause"]);
    assert.deepEqual(readdirSync(rootfs), ["pause"], "the pause image holds /pause alone (so it must be static)");
    const child = spawn("chroot", [rootfs, "/pause"], { stdio: "ignore" });
    // chroot execs /pause in the same process. Go's runtime kills on SIGTERM until main has
    // called signal.Notify; main then blocks, so every thread asleep means pause is listening.
    const listening = () => {
      if (!readlinkOr(`/proc/${child.pid}/exe`).endsWith("/pause")) return false;
      const tasks = readdirOr(`/proc/${child.pid}/task`);
      return tasks.length > 1 && tasks.every((tid) => / S /.test(readFileOr(`/proc/${child.pid}/task/${tid}/stat`).replace(/^.*\)/s, ")")));
    };
    while (!listening()) {
      assert.equal(child.exitCode, null, "pause exited by itself");
      await new Promise((r) => setTimeout(r, 20));
    }
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });
});
