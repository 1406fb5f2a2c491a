/**
 * The lab network's state file: everything the network consists of, written
 * *before* each thing is made (a namespace is recorded, then added; a process
 * is recorded the moment it has a PID), synchronously and atomically
 * (write + rename). Whatever moment the creating process dies at, the file
 * names at least everything that exists, so `destroyLabNetwork` can remove it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { LabNetworkPlan } from "./plan.ts";

export type LabProcessRole = "dnsmasq" | "forwarder-host" | "forwarder-edge";

export interface LabProcessRecord {
  role: LabProcessRole;
  pid: number;
  /** The namespace it runs in; absent for the host's own namespace. */
  netns?: string;
  /** The program's argv after any `ip netns exec NS` launcher: /proc/PID/cmdline must end with it before we signal the PID. */
  argv: string[];
  /** Clock ticks since boot at which it started (field 22 of /proc/PID/stat), to tell it from a later process with the same PID. */
  startTime?: number;
  log: string;
}

export interface LabNetworkRecord {
  version: 1;
  name: string;
  phase: "creating" | "ready" | "failed";
  createdAt: string;
  creatorPid: number;
  /** The port of the real API server on the host's 127.0.0.1. */
  apiPort: number;
  plan: LabNetworkPlan;
  /** Namespaces, recorded before `ip netns add`. */
  namespaces: string[];
  processes: LabProcessRecord[];
  /** Paths outside the lab's network directory that belong to the lab (resolver files, nodenet's per-namespace state). */
  files: string[];
}

export function readRecord(stateFile: string): LabNetworkRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(stateFile, "utf8")) as LabNetworkRecord;
    return parsed.version === 1 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the record in memory and on disk in step; every change is written
 * before the caller goes on. Creating the writer claims the lab: the file is
 * created exclusively, so of two processes creating the same lab one fails
 * here, before it has made (or could clean up) anything of the other's.
 */
export class RecordWriter {
  readonly record: LabNetworkRecord;
  private readonly file: string;

  private constructor(file: string, record: LabNetworkRecord) {
    this.file = file;
    this.record = record;
  }

  /** Writes a new record; undefined when the file already exists (someone else's lab). */
  static claim(file: string, record: LabNetworkRecord): RecordWriter | undefined {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, JSON.stringify(record, null, 2) + "\n", { flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
      throw error;
    }
    return new RecordWriter(file, record);
  }

  /** Takes up an existing lab's record to change it (growing a lab: src/lab/network/grow.ts). */
  static resume(file: string, record: LabNetworkRecord): RecordWriter {
    return new RecordWriter(file, record);
  }

  setPlan(plan: LabNetworkPlan): void {
    this.record.plan = plan;
    this.flush();
  }

  addNamespaces(names: readonly string[]): void {
    for (const n of names) if (!this.record.namespaces.includes(n)) this.record.namespaces.push(n);
    this.flush();
  }

  addProcess(p: LabProcessRecord): void {
    this.record.processes = this.record.processes.filter((q) => q.role !== p.role);
    this.record.processes.push(p);
    this.flush();
  }

  addFiles(paths: readonly string[]): void {
    for (const p of paths) if (!this.record.files.includes(p)) this.record.files.push(p);
    this.flush();
  }

  setPhase(phase: LabNetworkRecord["phase"]): void {
    this.record.phase = phase;
    this.flush();
  }

  private flush(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.record, null, 2) + "\n");
    renameSync(tmp, this.file);
  }
}
