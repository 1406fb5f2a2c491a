/** deploy/, its chart and its kustomizations, rendered by the Helm and kubectl that scripts/control-plane/build.sh builds. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { run, type Run } from "../cluster/helpers.ts";
import { tool } from "./tools.ts";

export const REPO = new URL("../../", import.meta.url).pathname;
export const DEPLOY = join(REPO, "deploy");
export const CHART = join(DEPLOY, "chart");
export const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;

/** `helm ARGS…`; Helm's note on each symlink it follows (files/ → deploy/) is dropped from stderr. */
export async function helm(args: readonly string[], options: { kubeconfig?: string } = {}): Promise<Run> {
  const r = await run(await tool("helm"), [...(options.kubeconfig ? ["--kubeconfig", options.kubeconfig] : []), ...args]);
  return { ...r, stderr: r.stderr.replace(/^.*found symbolic link in path.*\n/gm, "") };
}

/** `helm template nodenet deploy/chart --namespace nodenet` with `--set` pairs. */
export function template(set: Record<string, string> = {}, extra: string[] = []): Promise<Run> {
  return helm(["template", "nodenet", CHART, "--namespace", "nodenet", ...Object.entries(set).flatMap(([k, v]) => ["--set", `${k}=${v}`]), ...extra]);
}

/** The files deploy/kustomization.yaml lists. */
export function kustomizationResources(): string[] {
  return (parse(readFileSync(join(DEPLOY, "kustomization.yaml"), "utf8")) as { resources: string[] }).resources;
}

/** The manifests `kubectl apply -k deploy/` applies, read from those files as they are. */
export function deployManifests(): string {
  return kustomizationResources()
    .map((f) => readFileSync(join(DEPLOY, f), "utf8"))
    .join("\n---\n");
}

/** `kubectl kustomize DIR` (kubectl's built-in kustomize). */
export async function kustomize(dir: string): Promise<Run> {
  return run(await tool("kubectl"), ["kustomize", dir]);
}
