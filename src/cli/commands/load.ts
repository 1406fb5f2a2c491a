/** The shared first step of validate, diff and apply: files → desired state for this target. */
import { NodenetError } from "../../errors.ts";
import type { HostBackend, HostSnapshot } from "../../host/backend.ts";
import { staticView } from "../../host/backend.ts";
import { hasErrors, type Issue } from "../../state/issues.ts";
import { loadDesired } from "../../state/load.ts";
import type { NetworkState } from "../../state/schema/state.ts";
import { readSources } from "../io.ts";

export interface Loaded {
  desired?: NetworkState;
  /** With errors: what could still be checked semantically (see LoadResult.partial). */
  partial?: NetworkState;
  issues: Issue[];
  /** Gives issues about the combined state their file, line and original path. */
  relocate(issues: readonly Issue[]): Issue[];
  /** The host as nodenet manages it (dynamic addresses left out); read once, when first asked. */
  current(): Promise<NetworkState>;
}

export async function loadForTarget(backend: HostBackend, files: readonly string[]): Promise<Loaded> {
  const sources = readSources(files);
  let snapshot: HostSnapshot | undefined;
  const read = async () => (snapshot ??= await backend.read());
  // Capture needs the host's state before parsing; read it only for documents that use it.
  const usesCapture = sources.some((s) => /^\s*capture\s*:/m.test(s.text));
  if (usesCapture) await read();
  const loaded = loadDesired(sources, { current: () => snapshot?.state ?? {} });
  if (loaded.state?.hostname?.config !== undefined && backend.netns) {
    loaded.issues.push({
      severity: "error",
      kind: "unsupported",
      path: ["hostname", "config"],
      message: "the hostname belongs to the UTS namespace, not a network namespace; it cannot be set with --netns",
    });
  }
  return {
    ...(loaded.state && !hasErrors(loaded.issues) ? { desired: loaded.state } : {}),
    ...(loaded.partial ? { partial: loaded.partial } : {}),
    issues: loaded.issues,
    relocate: loaded.relocate,
    current: async () => staticView(await read()),
  };
}

export function invalidInput(issues: readonly Issue[]): NodenetError {
  const errors = issues.filter((i) => i.severity === "error");
  const onlyUnsupported = errors.length > 0 && errors.every((i) => i.kind === "unsupported");
  return new NodenetError(onlyUnsupported ? "unsupported" : "invalid-input", `${errors.length} error${errors.length === 1 ? "" : "s"}; nothing was changed`, { issues });
}
