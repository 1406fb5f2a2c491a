/**
 * Typed access to the nmstate.io resources (cluster-scoped custom objects).
 * What the API server returns is parsed with the resource's zod schema once,
 * here, so callers hold typed values.
 */
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { z } from "zod";
import { ENACTMENT, NODE_STATE, POLICY, apiVersionOf, type ResourceType } from "../api/resources.ts";
import type { ObjectMeta } from "../api/meta.ts";
import type { Kube } from "./config.ts";
import { isNotFound } from "./errors.ts";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** What a caller applies: the fields it owns, with at least the name. */
export type ApplyConfiguration = { metadata: Partial<ObjectMeta> & { name: string }; [field: string]: unknown };

export interface ApplyOptions {
  fieldManager: string;
  /** Take fields other managers own (controllers own their fields: default true). */
  force?: boolean;
  dryRun?: boolean;
}

export class ResourceClient<S extends z.ZodType<KubeObject>> {
  readonly kube: Kube;
  readonly type: ResourceType<S>;

  constructor(kube: Kube, type: ResourceType<S>) {
    this.kube = kube;
    this.type = type;
  }

  get apiVersion(): string {
    return apiVersionOf(this.type);
  }

  /** `/apis/GROUP/VERSION/PLURAL`, for watches. */
  get path(): string {
    return `/apis/${this.type.group}/${this.type.version}/${this.type.plural}`;
  }

  protected get ref() {
    return { group: this.type.group, version: this.type.version, plural: this.type.plural };
  }

  parse(raw: unknown): z.infer<S> {
    return this.type.schema.parse(raw) as z.infer<S>;
  }

  /** The object, or undefined when it does not exist. */
  async get(name: string): Promise<z.infer<S> | undefined> {
    try {
      return this.parse(await this.kube.custom.getClusterCustomObject({ ...this.ref, name }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(options: { labelSelector?: string; fieldSelector?: string } = {}): Promise<{ items: z.infer<S>[]; resourceVersion: string }> {
    const raw = (await this.kube.custom.listClusterCustomObject({ ...this.ref, ...options })) as { items?: unknown[]; metadata?: { resourceVersion?: string } };
    return { items: (raw.items ?? []).map((item) => this.parse(item)), resourceVersion: raw.metadata?.resourceVersion ?? "" };
  }

  async create(object: ApplyConfiguration, options: { dryRun?: boolean; fieldManager?: string } = {}): Promise<z.infer<S>> {
    const body = { apiVersion: this.apiVersion, kind: this.type.kind, ...object };
    return this.parse(await this.kube.custom.createClusterCustomObject({ ...this.ref, body, dryRun: options.dryRun ? "All" : undefined, fieldManager: options.fieldManager }));
  }

  /** Deletes; true if it existed. */
  async delete(name: string, options: { propagationPolicy?: "Background" | "Foreground" | "Orphan" } = {}): Promise<boolean> {
    try {
      await this.kube.custom.deleteClusterCustomObject({ ...this.ref, name, propagationPolicy: options.propagationPolicy });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Server-side apply of the fields in `object`, owned by `fieldManager`. */
  async apply(object: ApplyConfiguration, options: ApplyOptions): Promise<z.infer<S>> {
    const body = { apiVersion: this.apiVersion, kind: this.type.kind, ...object };
    const raw = await this.kube.custom.patchClusterCustomObject(
      { ...this.ref, name: object.metadata.name, body, fieldManager: options.fieldManager, force: options.force ?? true, dryRun: options.dryRun ? "All" : undefined },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
    return this.parse(raw);
  }

  /** A JSON merge patch of the main resource (metadata, spec). */
  async mergePatch(name: string, patch: Record<string, unknown>, options: { fieldManager?: string } = {}): Promise<z.infer<S>> {
    const raw = await this.kube.custom.patchClusterCustomObject(
      { ...this.ref, name, body: patch, fieldManager: options.fieldManager },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    return this.parse(raw);
  }
}

export const policyClient = (kube: Kube) => new ResourceClient(kube, POLICY);
export const enactmentClient = (kube: Kube) => new ResourceClient(kube, ENACTMENT);
export const nodeStateClient = (kube: Kube) => new ResourceClient(kube, NODE_STATE);
