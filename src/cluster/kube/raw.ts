/**
 * Requests for objects of any kind, with bodies and responses as plain JSON.
 *
 * The library's generic KubernetesObjectApi pushes bodies through its typed
 * serializer, which silently drops fields it spells differently (a CRD's
 * `x-kubernetes-int-or-string` comes out missing). This keeps its discovery
 * (URL of any apiVersion/kind) and authentication, and sends JSON as given.
 */
import { ApiException, HttpMethod, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";

export type RawAction = "create" | "delete" | "patch" | "read" | "replace";

export interface RawRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  action: RawAction;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

const METHODS = { GET: HttpMethod.GET, POST: HttpMethod.POST, PUT: HttpMethod.PUT, PATCH: HttpMethod.PATCH, DELETE: HttpMethod.DELETE } as const;

export class RawObjectApi extends KubernetesObjectApi {
  static fromConfig(kc: KubeConfig): RawObjectApi {
    const client = kc.makeApiClient(RawObjectApi);
    client.setDefaultNamespace(kc);
    return client;
  }

  async send(object: KubernetesObject, request: RawRequest): Promise<unknown> {
    const path = await this.specUriPath(object, request.action);
    const context = this.configuration.baseServer.makeRequestContext(path, METHODS[request.method]);
    context.setHeaderParam("Accept", "application/json");
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) context.setQueryParam(key, value);
    if (request.body !== undefined) {
      context.setHeaderParam("Content-Type", request.contentType ?? "application/json");
      context.setBody(JSON.stringify(request.body));
    }
    await this.configuration.authMethods.default?.applySecurityAuthentication(context);
    const response = await this.configuration.httpApi.send(context).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode >= 400) throw new ApiException(response.httpStatusCode, `${request.method} ${path}: HTTP ${response.httpStatusCode}`, text, response.headers);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}
