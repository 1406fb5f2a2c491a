import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "./logger.ts";

function sink(isTTY: boolean): Writable & { isTTY: boolean; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return Object.assign(stream, { isTTY, lines });
}

test("JSON lines by default off a terminal: level name, ISO time, the bound context on every line", () => {
  const out = sink(false);
  const log = createLogger({ destination: out, base: { component: "handler" } }).child({ node: "node-1" });
  log.child({ policy: "br1", generation: 2, enactment: "node-1.br1" }).info({ slot: "granted" }, "rollout slot granted");
  log.debug("not shown at the default level");
  assert.equal(out.lines.length, 1);
  const entry = JSON.parse(out.lines[0]!) as Record<string, unknown>;
  assert.equal(entry.level, "info");
  assert.match(String(entry.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(
    { component: entry.component, node: entry.node, policy: entry.policy, generation: entry.generation, enactment: entry.enactment, slot: entry.slot, msg: entry.msg },
    { component: "handler", node: "node-1", policy: "br1", generation: 2, enactment: "node-1.br1", slot: "granted", msg: "rollout slot granted" },
  );
});

test("a readable line on a terminal: time, level, context, message, other fields", () => {
  const out = sink(true);
  createLogger({ destination: out, level: "debug" }).child({ node: "node-1", policy: "br1" }).warn({ err: "RTNETLINK answers: File exists", retryInMs: 5000 }, "reconcile failed; retrying");
  assert.match(out.lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} WARN  node=node-1 policy=br1 reconcile failed; retrying err="RTNETLINK answers: File exists" retryInMs=5000$/);
});

test("--log-level warn drops info; format json on a terminal stays JSON", () => {
  const out = sink(true);
  const log = createLogger({ destination: out, level: "warn", format: "json" });
  log.info("quiet");
  log.error("loud");
  assert.equal(out.lines.length, 1);
  assert.equal((JSON.parse(out.lines[0]!) as { msg: string }).msg, "loud");
});
