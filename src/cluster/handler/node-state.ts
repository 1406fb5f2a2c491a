/**
 * The node's NodeNetworkState: written at start and whenever the reported
 * state really changes (kernel events, debounced, plus a slow resync as a
 * safety net) — never when nothing changed, so a thousand idle nodes cost the
 * API server nothing.
 */
import type { HostBackend } from "../../host/backend.ts";
import type { NodeStateSchema } from "../api/node-state.ts";
import { isNotFound } from "../kube/errors.ts";
import type { Node } from "../kube/nodes.ts";
import type { ResourceClient } from "../kube/resources.ts";
import { patchStatus } from "../kube/status.ts";
import { kubeTime } from "../kube/conditions.ts";
import { reportState, type ReportOptions } from "./report.ts";

export class NodeStateReporter {
  private readonly client: ResourceClient<typeof NodeStateSchema>;
  private readonly backend: HostBackend;
  private readonly node: () => Node | undefined;
  private readonly options: ReportOptions & { fieldManager: string; version: string };
  private lastDigest: string | undefined;
  /** API writes made (creates and status updates). */
  writes = 0;

  constructor(client: ResourceClient<typeof NodeStateSchema>, backend: HostBackend, node: () => Node | undefined, options: ReportOptions & { fieldManager: string; version: string }) {
    this.client = client;
    this.backend = backend;
    this.node = node;
    this.options = options;
  }

  /** Reads the host and writes the NodeNetworkState if what it reports changed. Returns whether it wrote. */
  async report(): Promise<boolean> {
    const node = this.node();
    if (!node) return false;
    const report = reportState((await this.backend.read()).state, this.options);
    if (report.digest === this.lastDigest) return false;
    const name = node.metadata.name;
    let existing = await this.client.get(name);
    if (!existing) {
      try {
        existing = await this.client.create(
          { metadata: { name, ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: node.metadata.uid ?? "" }] } },
          { fieldManager: this.options.fieldManager },
        );
        this.writes++;
      } catch (error) {
        if (!isNotFound(error)) existing = await this.client.get(name);
        if (!existing) throw error;
      }
    }
    await patchStatus(
      this.client,
      name,
      {
        currentState: report.state,
        lastSuccessfulUpdateTime: kubeTime(new Date()),
        handlerNmstateVersion: `nodenet ${this.options.version}`,
        // A merge patch's null removes the field when the state fits again.
        truncated: report.truncated ?? null,
      },
      { fieldManager: this.options.fieldManager },
    );
    this.writes++;
    this.lastDigest = report.digest;
    return true;
  }
}
