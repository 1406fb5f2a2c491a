/**
 * The lab's process supervisor with real short-lived processes it starts
 * itself (node scripts in a temporary directory): a record written and read
 * back finds the process again, a record whose PID is now another process is
 * never signalled, and a process that ignores SIGTERM is killed after the grace.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { processAlive } from "../process-alive.ts";
import { isRunning, spawnDetached, stopAll, stopProcess, waitForLog, type ProcessRecord } from "./supervisor.ts";

const dir = mkdtempSync(join(tmpdir(), "nodenet-supervisor-"));
const started: ProcessRecord[] = [];

/** A node process running SCRIPT, logging to a file of the temporary directory, and ready once it printed "ready". */
async function start(name: string, script: string): Promise<ProcessRecord> {
  const record = spawnDetached(name, process.execPath, ["-e", script], join(dir, `${name}.log`));
  started.push(record);
  await waitForLog(name, record.pid, record.log, /ready/, 30_000);
  return record;
}

after(async () => {
  // Whatever a failed assertion left running: only the processes this file started, by their records.
  await stopAll(started.map((r) => ({ pid: r.pid, stillOurs: () => isRunning(r) })), 0);
  rmSync(dir, { recursive: true, force: true });
});

describe("lab process supervisor", () => {
  test("a record read back from disk finds the process, and stop ends it with SIGTERM", async () => {
    const record = await start("polite", `console.log("ready"); process.on("SIGTERM", () => { console.log("got TERM"); process.exit(0); }); setInterval(() => {}, 1000);`);
    const file = join(dir, "state.json");
    writeFileSync(file, JSON.stringify(record));
    const readBack = JSON.parse(readFileSync(file, "utf8")) as ProcessRecord;
    assert.deepEqual(readBack, record);
    assert.equal(isRunning(readBack), true);
    assert.equal(await stopProcess(readBack, 10_000), "terminated");
    assert.equal(processAlive(record.pid), false);
    assert.match(readFileSync(record.log, "utf8"), /got TERM/);
    assert.equal(await stopProcess(readBack), "gone", "stopping it again signals nothing");
  });

  test("a record whose PID now runs another process (other start time or binary) is left alone", async () => {
    const record = await start("bystander", `console.log("ready"); process.on("SIGTERM", () => {}); setInterval(() => {}, 1000);`);
    const recycledStart = { ...record, startTicks: record.startTicks + 1 };
    const otherBinary = { ...record, binary: "/usr/sbin/dnsmasq" };
    assert.equal(isRunning(recycledStart), false);
    assert.equal(await stopProcess(recycledStart, 100), "gone");
    assert.equal(await stopProcess(otherBinary, 100), "gone");
    assert.equal(processAlive(record.pid), true, "the process behind the recycled PID still runs");
    assert.doesNotMatch(readFileSync(record.log, "utf8"), /TERM/);
    assert.equal(await stopProcess(record, 100), "killed");
  });

  test("a process that ignores SIGTERM is killed once the grace is over", async () => {
    const record = await start("stubborn", `process.on("SIGTERM", () => console.log("ignoring TERM")); console.log("ready"); setInterval(() => {}, 1000);`);
    assert.equal(await stopProcess(record, 300), "killed");
    assert.equal(processAlive(record.pid), false);
    assert.match(readFileSync(record.log, "utf8"), /ignoring TERM/, "it was asked with SIGTERM first");
  });

  test("the readiness wait fails with the log's tail when the process exits first", async () => {
    const record = spawnDetached("crasher", process.execPath, ["-e", `console.error("bad flag --frobnicate"); process.exit(3);`], join(dir, "crasher.log"));
    started.push(record);
    await assert.rejects(waitForLog("crasher", record.pid, record.log, /ready/, 30_000), /crasher \(pid \d+\) exited during start-up:\n.*bad flag --frobnicate/);
  });
});
