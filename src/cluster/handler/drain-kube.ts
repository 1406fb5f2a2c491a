/**
 * The Kubernetes calls a drain makes (drain.ts):
 * cordon and marker in one merge patch guarded by resourceVersion, the
 * node's pods by field selector, and evictions through the policy/v1
 * Eviction subresource (which is what honours PodDisruptionBudgets; a plain
 * DELETE would not).
 *
 * Permissions: deploy/rbac/drain.yaml.
 */
import { PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import type { CordonState, DrainApi } from "./drain.ts";
import { DRAIN_MARKER, evictionOutcome, type PodFacts } from "./drain-pods.ts";
import type { Kube } from "../kube/config.ts";
import { apiStatus, isConflict, isNotFound } from "../kube/errors.ts";

export function podFacts(pod: V1Pod): PodFacts {
  const controller = pod.metadata?.ownerReferences?.find((o) => o.controller);
  return {
    namespace: pod.metadata?.namespace ?? "default",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    ...(controller ? { controller: { kind: controller.kind, name: controller.name } } : {}),
    mirror: pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined,
    terminating: pod.metadata?.deletionTimestamp !== undefined,
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
  };
}

export function kubeDrainApi(kube: Kube, fieldManager: string): DrainApi {
  return {
    async node(name): Promise<CordonState | undefined> {
      try {
        const node = await kube.core.readNode({ name });
        const marker = node.metadata?.annotations?.[DRAIN_MARKER];
        return { resourceVersion: node.metadata?.resourceVersion ?? "", unschedulable: node.spec?.unschedulable === true, ...(marker !== undefined ? { marker } : {}) };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    // Equivalent to: kubectl cordon NODE + kubectl annotate node NODE nodenet.io/drained-by=OWNER, as one write.
    async setCordon(name, resourceVersion, cordon) {
      try {
        await kube.core.patchNode(
          {
            name,
            fieldManager,
            body: {
              metadata: { resourceVersion, annotations: { [DRAIN_MARKER]: cordon.marker } },
              // null removes the field, as `kubectl uncordon` leaves it.
              spec: { unschedulable: cordon.unschedulable ? true : null },
            },
          },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        return "ok";
      } catch (error) {
        if (isConflict(error)) return "conflict";
        throw error;
      }
    },

    async podsOn(node) {
      const list = await kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
      return list.items.map(podFacts);
    },

    // Equivalent to: kubectl drain's eviction, POST /api/v1/namespaces/NS/pods/NAME/eviction.
    async evict(pod) {
      try {
        await kube.core.createNamespacedPodEviction({
          name: pod.name,
          namespace: pod.namespace,
          body: {
            apiVersion: "policy/v1",
            kind: "Eviction",
            metadata: { name: pod.name, namespace: pod.namespace },
            // The pod this drain looked at, not a namesake created since (StatefulSets reuse names).
            deleteOptions: { preconditions: { uid: pod.uid } },
          },
        });
        return { kind: "evicted" };
      } catch (error) {
        const outcome = evictionOutcome(apiStatus(error));
        if (!outcome) throw error;
        return outcome;
      }
    },
  };
}
