// The dashboard page: one server-sent-event stream (/api/stream) pushes the
// cluster view on every change the server's watches see; the page redraws
// the current view from it. Routes are URL fragments: #/ (cluster),
// #/node/NAME, #/rollouts, #/rollout/POLICY, #/preview.
import { drawTopology, routesAndDns } from "./graph.js";
import { clusterPage, h, interfaceTable, nodeHeader, previewResult, rolloutsPage } from "./views.js";

const main = document.getElementById("main");
const connection = document.getElementById("connection");
let view;
/** When this page saw each tile ("policy/node") change phase, and the enactment resourceVersion that did it: the live path, measurable. */
const changedAt = new Map();
const lastPhase = new Map();
/** For people and tests: how the page was fed (it never polls). */
const stats = (globalThis.dashboardStats = { messages: 0, lastSentAt: 0, lastReceivedAt: 0, opened: Date.now() });
let shownNode;
let previewText = "";

function noteTileChanges(next) {
  const now = Date.now();
  for (const policy of next.policies) {
    for (const tile of policy.tiles) {
      const key = `${policy.name}/${tile.node}`;
      if (lastPhase.get(key) !== tile.phase) {
        lastPhase.set(key, tile.phase);
        changedAt.set(key, { at: now, resourceVersion: tile.resourceVersion });
      }
    }
  }
}

function route() {
  const [, page = "", arg] = location.hash.replace(/^#/, "").split("/").map(decodeURIComponent);
  return { page: page || "cluster", arg };
}

function markNav(page) {
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.nav === (page === "rollout" ? "rollouts" : page === "node" ? "cluster" : page));
}

async function showNode(name, force) {
  const node = view?.nodes.find((n) => n.name === name);
  const version = `${node?.stateVersion ?? ""}|${JSON.stringify(node?.policies ?? [])}`;
  if (!force && shownNode?.name === name && shownNode.version === version) return;
  shownNode = { name, version };
  const response = await fetch(`/api/nodes/${encodeURIComponent(name)}`);
  if (route().page !== "node" || route().arg !== name) return;
  if (!response.ok) {
    main.replaceChildren(h("p", { class: "error" }, (await response.json()).error ?? `HTTP ${response.status}`));
    return;
  }
  const topology = await response.json();
  const graph = h("div", { id: "node-graph", "data-node": name, "data-version": topology.stateVersion });
  const policies = node?.policies.length
    ? h("ul", { id: "node-policies" }, node.policies.map((p) => h("li", { "data-policy": p.policy, "data-phase": p.phase }, h("a", { href: `#/rollout/${encodeURIComponent(p.policy)}` }, p.policy), " ", h("span", { class: `phase phase-${p.phase}` }, p.phase), ` ${p.reason}${p.message ? `: ${p.message}` : ""}`)))
    : h("p", { class: "none" }, "No policy selects this node.");
  main.replaceChildren(h("section", { id: "node", "data-node": name }, nodeHeader(name, topology), h("div", { class: "node-body" }, graph, routesAndDns(topology)), h("h3", {}, "Interfaces"), interfaceTable(topology), h("h3", {}, "Policies on this node"), policies));
  try {
    await drawTopology(graph, topology);
    graph.dataset.drawn = "true";
  } catch (error) {
    graph.replaceChildren(h("p", { class: "error" }, `could not draw the graph: ${error.message}`));
  }
}

async function runPreview(form, output) {
  previewText = form.elements.document.value;
  output.replaceChildren(h("p", {}, "Computing…"));
  const response = await fetch("/api/preview", { method: "POST", headers: { "Content-Type": "application/yaml" }, body: previewText });
  const body = await response.json();
  output.replaceChildren(response.ok ? previewResult(body) : h("p", { class: "error" }, body.error ?? `HTTP ${response.status}`));
  output.dataset.done = String(Date.now());
}

function previewPage() {
  const output = h("div", { id: "preview-output" });
  const picker = h("select", { id: "preview-pick" }, h("option", { value: "" }, "— pick an existing policy —"), (view?.policies ?? []).map((p) => h("option", { value: p.name }, p.name)));
  const textarea = h("textarea", { id: "preview-document", name: "document", rows: 18, spellcheck: "false", placeholder: "Paste a NodeNetworkConfigurationPolicy (YAML or JSON) or an nmstate state" }, previewText);
  const form = h("form", { id: "preview-form" }, picker, textarea, h("button", { type: "submit" }, "Preview"));
  picker.addEventListener("change", async () => {
    if (!picker.value) return;
    const response = await fetch(`/api/policies/${encodeURIComponent(picker.value)}/document`);
    textarea.value = await response.text();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void runPreview(form, output);
  });
  return h("section", { id: "preview" }, h("h2", {}, "Policy preview"), h("p", {}, "What the policy would change on each node it selects, with the same validation and diff as nodenet diff, against each node's reported state. Nothing is applied."), form, output);
}

function render(full) {
  if (!view) return;
  const { page, arg } = route();
  markNav(page);
  if (page === "node") return void showNode(arg, full);
  shownNode = undefined;
  if (page === "rollouts") return main.replaceChildren(rolloutsPage(view, changedAt));
  if (page === "rollout") return main.replaceChildren(rolloutsPage(view, changedAt, arg));
  if (page === "preview") {
    // The preview page holds the user's text: draw it once, update only the policy list.
    if (full || !document.getElementById("preview")) main.replaceChildren(previewPage());
    return;
  }
  main.replaceChildren(clusterPage(view));
}

function showProblems(problems) {
  document.getElementById("problems").replaceChildren(...problems.map((p) => h("p", { class: "problem", "data-kind": p.kind }, p.message)));
}

function connect() {
  const stream = new EventSource("/api/stream");
  stream.addEventListener("open", () => {
    connection.textContent = "live";
    connection.dataset.state = "live";
  });
  stream.addEventListener("error", () => {
    connection.textContent = "reconnecting…";
    connection.dataset.state = "reconnecting";
  });
  stream.addEventListener("view", (message) => {
    const payload = JSON.parse(message.data);
    stats.messages++;
    stats.lastSentAt = payload.sentAt;
    stats.lastReceivedAt = Date.now();
    const first = !view;
    noteTileChanges(payload.view);
    view = payload.view;
    document.getElementById("identity").textContent = `Showing what ${payload.identity} may see.`;
    showProblems(payload.problems);
    render(first);
  });
}

window.addEventListener("hashchange", () => render(true));
connect();
