/**
 * The webhook's HTTPS endpoint with a certificate of its own CA (as the API
 * server sees it: verified against the CA bundle, for the host it calls),
 * and the certificate's lifecycle.
 */
import assert from "node:assert/strict";
import { request } from "node:https";
import { after, before, test } from "node:test";
import { createCa, createServingCert, replacementReason, signedBy, type KeyPair } from "./certificates.ts";
import { decidePolicy } from "./decide.ts";
import { GATEWAY_OUTSIDE, labNode, policyRequest } from "./fixtures.ts";
import { answerReview } from "./review.ts";
import { AdmissionServer } from "./server.ts";
import { renew } from "./tls-secret.ts";

interface Reply {
  status: number;
  body: string;
}

function call(port: number, ca: string, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, ca, headers: body ? { "Content-Type": "application/json" } : {} }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

let ca: KeyPair;
let serving: KeyPair;
let server: AdmissionServer;
let ready = false;

before(async () => {
  ca = await createCa();
  serving = await createServingCert(ca, ["127.0.0.1"]);
  server = new AdmissionServer({
    host: "127.0.0.1",
    port: 0,
    tls: serving,
    ready: () => ready,
    maxBodyBytes: 64 << 10,
    review: (body) => answerReview(body, (r) => decidePolicy(r, [labNode(1), labNode(2)], { maxStates: 10, budgetMs: 1000 }).decision),
  });
  await server.listen();
});

after(() => server.close());

test("POST /validate-nncp: an AdmissionReview in, an AdmissionReview out, over TLS the API server can verify", async () => {
  const review = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: policyRequest(GATEWAY_OUTSIDE) };
  const reply = await call(server.port, ca.cert, "POST", "/validate-nncp", JSON.stringify(review));
  assert.equal(reply.status, 200);
  const { response } = JSON.parse(reply.body) as { response: { uid: string; allowed: boolean; status: { message: string } } };
  assert.equal(response.uid, review.request.uid);
  assert.equal(response.allowed, false);
  assert.match(response.status.message, /^policy p would break node-1 and node-2 /);
});

test("malformed requests: not JSON, not a review, too large, wrong method or path", async () => {
  assert.equal((await call(server.port, ca.cert, "POST", "/validate-nncp", "{")).status, 400);
  const notReview = await call(server.port, ca.cert, "POST", "/validate-nncp", JSON.stringify({ hello: 1 }));
  assert.equal(notReview.status, 400);
  assert.match(notReview.body, /not an admission\.k8s\.io\/v1 AdmissionReview/);
  assert.equal((await call(server.port, ca.cert, "POST", "/validate-nncp", JSON.stringify({ pad: "x".repeat(100 << 10) }))).status, 413);
  assert.equal((await call(server.port, ca.cert, "GET", "/validate-nncp")).status, 405);
  assert.equal((await call(server.port, ca.cert, "POST", "/mutate", "{}")).status, 404);
});

test("/healthz always, /readyz once the webhook can answer", async () => {
  assert.equal((await call(server.port, ca.cert, "GET", "/healthz")).status, 200);
  ready = false;
  assert.equal((await call(server.port, ca.cert, "GET", "/readyz")).status, 503);
  ready = true;
  assert.equal((await call(server.port, ca.cert, "GET", "/readyz")).status, 200);
});

test("a certificate from another CA is refused by the client, and a new one can be swapped in while serving", async () => {
  const other = await createCa();
  await assert.rejects(call(server.port, other.cert, "GET", "/healthz"), /self.signed|unable to verify|certificate/i);
  server.setTls(await createServingCert(other, ["127.0.0.1"]));
  assert.equal((await call(server.port, other.cert, "GET", "/healthz")).status, 200);
  server.setTls(serving);
});

test("renewal: none → CA and certificate; good → nothing; a missing name → a new certificate from the same CA, keeping the old names", async () => {
  const log: string[] = [];
  const first = await renew(undefined, ["nodenet-webhook.nodenet.svc"], (m) => log.push(m));
  assert.ok(first);
  assert.ok(signedBy(first.serving.cert, first.ca.cert));
  assert.equal(replacementReason(first.serving.cert, ["nodenet-webhook.nodenet.svc"], 300), undefined);
  assert.equal(await renew(first, ["nodenet-webhook.nodenet.svc"], (m) => log.push(m)), undefined);
  const more = await renew(first, ["127.0.0.1"], (m) => log.push(m));
  assert.ok(more);
  assert.equal(more.ca.cert, first.ca.cert, "the CA (and the CA bundle) stays");
  assert.equal(replacementReason(more.serving.cert, ["127.0.0.1", "nodenet-webhook.nodenet.svc"], 300), undefined);
  const foreign = await renew({ ca: first.ca, serving }, ["127.0.0.1"], (m) => log.push(m));
  assert.ok(foreign && signedBy(foreign.serving.cert, first.ca.cert), "a certificate the CA did not sign is replaced");
  assert.match(log.join("\n"), /creating the webhook CA: the stored one is unusable \(there is none\)/);
  assert.match(log.join("\n"), /it does not name 127\.0\.0\.1/);
  assert.match(log.join("\n"), /the CA did not sign it/);
});

test("a certificate close to its end is replaced", () => {
  assert.match(replacementReason(serving.cert, ["127.0.0.1"], 30, new Date(Date.now() + 340 * 86_400_000)) ?? "", /^it expires /);
  assert.match(replacementReason("garbage", [], 30) ?? "", /^it does not parse/);
});
