/** AdmissionReview v1 in and out, and the decision on policy requests. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decidePolicy } from "./decide.ts";
import { GATEWAY_OUTSIDE, labNode, MANAGEMENT_MISTAKE, policyObject, policyRequest } from "./fixtures.ts";
import { ADMISSION_API_VERSION, allow, answerReview, deny, reviewResponse, type AdmissionRequest } from "./review.ts";

const nodes = [labNode(1), labNode(2), labNode(3)];
const LIMITS = { maxStates: 100, budgetMs: 10_000 };
const review = (request: unknown) => ({ apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", request });
const decide = (request: AdmissionRequest) => decidePolicy(request, nodes, LIMITS).decision;

test("a review as the API server posts it gets an AdmissionReview back with its uid", async () => {
  const request = policyRequest({ desiredState: { interfaces: [{ name: "br1", type: "linux-bridge", state: "up" }] } });
  const answer = await answerReview(review(request), decide);
  assert.deepEqual(answer, { httpStatus: 200, body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: request.uid, allowed: true } } });
});

test("a refusal is a Status the API server passes on: 422 Invalid, the message, no details (kubectl then prints the message)", async () => {
  const answer = await answerReview(review(policyRequest({ ...GATEWAY_OUTSIDE, nodeSelector: { "kubernetes.io/hostname": "node-2" } })), decide);
  assert.equal(answer.httpStatus, 200);
  const response = answer.httpStatus === 200 ? answer.body.response : undefined;
  assert.equal(response?.allowed, false);
  assert.deepEqual(Object.keys(response?.status ?? {}).sort(), ["code", "message", "reason", "status"]);
  assert.equal(response?.status?.code, 422);
  assert.equal(response?.status?.reason, "Invalid");
  assert.equal(response?.status?.status, "Failure");
  assert.equal(
    response?.status?.message,
    "policy p would break node-2 (1 error; nothing was applied; checked against the current state of node-2):\n" +
      "error: spec.desiredState.routes.config[0].next-hop-address: next hop 192.0.2.254 is not inside any subnet of eth1 (198.51.100.20/24); the kernel cannot reach it " +
      "(fix the gateway or the interface's address, or set onlink: true if the gateway really is on that link) (on node-2)",
  );
  assert.equal(response?.warnings, undefined);
});

test("an accepted policy carries its warnings", async () => {
  const answer = await answerReview(review(policyRequest(MANAGEMENT_MISTAKE)), decide);
  const response = answer.httpStatus === 200 ? answer.body.response : undefined;
  assert.equal(response?.allowed, true);
  assert.deepEqual(response?.warnings, [
    "spec.desiredState.interfaces[0]: eth0 carries the default route (via 192.0.2.1) and becomes a port of br0, which has no ipv4 address, DHCP: the host would lose its gateway " +
      "(give br0 the address configuration (e.g. ipv4: {enabled: true, dhcp: true})) (on node-1, node-2 and node-3)",
  ]);
});

test("a body that is not an AdmissionReview v1 is a 400, naming what is wrong", async () => {
  for (const body of [{}, { apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: policyRequest({}) }, review({ kind: {} }), null, "text"]) {
    const answer = await answerReview(body, decide);
    assert.equal(answer.httpStatus, 400, JSON.stringify(body));
    assert.match(answer.httpStatus === 400 ? answer.body.error : "", /^not an admission\.k8s\.io\/v1 AdmissionReview with a request: /);
  }
});

test("a check that throws refuses the request (500 InternalError): what could not be checked is not let through", async () => {
  const answer = await answerReview(review(policyRequest({})), () => {
    throw new Error("boom");
  });
  const response = answer.httpStatus === 200 ? answer.body.response : undefined;
  assert.equal(response?.allowed, false);
  assert.equal(response?.status?.code, 500);
  assert.equal(response?.status?.message, "nodenet could not check the object, so it is refused: boom");
});

test("reviewResponse: warnings also go with a refusal", () => {
  assert.deepEqual(reviewResponse("u", deny({ code: 400, reason: "BadRequest", message: "m" }, ["w"])).response, {
    uid: "u",
    allowed: false,
    status: { status: "Failure", code: 400, reason: "BadRequest", message: "m" },
    warnings: ["w"],
  });
  assert.deepEqual(reviewResponse("u", allow()).response, { uid: "u", allowed: true });
});

test("not ours to judge: other kinds, subresources, DELETE", () => {
  const base = policyRequest(GATEWAY_OUTSIDE);
  assert.equal(decide({ ...base, kind: { group: "", version: "v1", kind: "ConfigMap" } }).allowed, true);
  assert.equal(decide({ ...base, operation: "UPDATE", subResource: "status", oldObject: policyObject("p", {}) }).allowed, true);
  assert.equal(decide({ ...base, operation: "DELETE", object: null, oldObject: base.object }).allowed, true);
});

test("an UPDATE that leaves spec as it was is not checked (labels, finalizers); one that changes it is", () => {
  const unchanged = decidePolicy(policyRequest(GATEWAY_OUTSIDE, { operation: "UPDATE", oldSpec: GATEWAY_OUTSIDE }), nodes, LIMITS);
  assert.equal(unchanged.decision.allowed, true);
  assert.match(unchanged.summary, /spec unchanged/);
  const changed = decidePolicy(policyRequest(GATEWAY_OUTSIDE, { operation: "UPDATE", oldSpec: MANAGEMENT_MISTAKE }), nodes, LIMITS);
  assert.equal(changed.decision.allowed, false);
  assert.match(changed.summary, /^UPDATE p: refused, 1 error \(3\/3 selected nodes checked\)$/);
});

test("an object that is not a policy, although the API server says it is, is refused as a bad request", () => {
  const d = decide({ ...policyRequest({}), object: { metadata: {}, spec: { maxUnavailable: [] } } });
  assert.equal(d.allowed, false);
  assert.equal(d.allowed ? 0 : d.denial.code, 400);
  assert.match(d.allowed ? "" : d.denial.message, /^the object is not a NodeNetworkConfigurationPolicy: /);
});

test("what could not be checked becomes warnings: nodes without a state, a policy selecting nothing, the limits", () => {
  const partial = decidePolicy(policyRequest({ desiredState: {} }), [labNode(1), labNode(2, null)], LIMITS).decision;
  assert.deepEqual(partial.warnings, ["not checked on node-2: no NodeNetworkState yet (is its handler running?)"]);
  const none = decidePolicy(policyRequest({ nodeSelector: { role: "nothing" }, desiredState: {} }), nodes, LIMITS).decision;
  assert.deepEqual(none.warnings, ["the policy selects no node now; it will be checked on each node that matches later, before that node applies it"]);
  const bounded = decidePolicy(policyRequest({ desiredState: {} }), nodes, { maxStates: 1, budgetMs: 10_000 }).decision;
  assert.deepEqual(bounded.warnings, ["not checked on node-2 and node-3: admission checks a bounded number of nodes in time; each node's handler validates again before applying"]);
});
