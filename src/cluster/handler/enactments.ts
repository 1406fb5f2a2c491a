/**
 * This node's enactments: one per matching policy, named `<node>.<policy>`,
 * labelled `nmstate.io/node` and `nmstate.io/policy`, owned by the Node (so
 * the garbage collector removes them with it). Status writes skip the call
 * when nothing would change.
 */
import { ENACTMENT_NODE_LABEL, ENACTMENT_POLICY_LABEL, enactmentName, type Enactment, type EnactmentSchema, type EnactmentStatus } from "../api/enactment.ts";
import { isAlreadyExists } from "../kube/errors.ts";
import type { Node } from "../kube/nodes.ts";
import type { ResourceClient } from "../kube/resources.ts";
import { patchStatus } from "../kube/status.ts";
import { sameConditions } from "../kube/conditions.ts";
import { deepEqual } from "../../state/objects.ts";
import { enactmentConditions, type EnactmentPhase } from "./enactment-conditions.ts";

export class EnactmentStore {
  readonly client: ResourceClient<typeof EnactmentSchema>;
  private readonly fieldManager: string;

  constructor(client: ResourceClient<typeof EnactmentSchema>, fieldManager: string) {
    this.client = client;
    this.fieldManager = fieldManager;
  }

  async ensure(node: Node, policy: string): Promise<Enactment> {
    const name = enactmentName(node.metadata.name, policy);
    const existing = await this.client.get(name);
    if (existing) return existing;
    try {
      return await this.client.create(
        {
          metadata: {
            name,
            labels: { [ENACTMENT_NODE_LABEL]: node.metadata.name, [ENACTMENT_POLICY_LABEL]: policy },
            ownerReferences: [{ apiVersion: "v1", kind: "Node", name: node.metadata.name, uid: node.metadata.uid ?? "" }],
          },
        },
        { fieldManager: this.fieldManager },
      );
    } catch (error) {
      if (isAlreadyExists(error)) return (await this.client.get(name))!;
      throw error;
    }
  }

  async remove(node: string, policy: string): Promise<boolean> {
    return this.client.delete(enactmentName(node, policy));
  }

  /** Sets the phase (all five conditions, upstream's way) and any other status fields given. */
  async setStatus(enactment: Enactment, phase: EnactmentPhase, fields: Partial<EnactmentStatus> = {}): Promise<Enactment> {
    const previous = enactment.status ?? {};
    const conditions = enactmentConditions(previous.conditions, phase);
    const changedFields = Object.entries(fields).some(([k, v]) => !deepEqual((previous as Record<string, unknown>)[k], v));
    // Details belong to the failure they explain: any other write drops them (null deletes in a merge patch).
    const staleDetails = previous.failureDetails !== undefined && fields.failureDetails === undefined;
    if (!changedFields && !staleDetails && sameConditions(previous.conditions, conditions)) return enactment;
    return patchStatus(this.client, enactment.metadata.name, { ...fields, ...(staleDetails ? { failureDetails: null } : {}), conditions }, { fieldManager: this.fieldManager });
  }
}
