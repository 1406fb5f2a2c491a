// The dashboard's views, drawn from the JSON the server computes
// (src/dashboard/view.ts, topology.ts, preview.ts). Elements are built with
// createElement and text nodes only: nothing from the cluster is parsed as HTML.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== ""));
  return element;
}

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttributes(element, attributes);
  element.append(...children.filter((c) => c !== undefined && c !== null && c !== ""));
  return element;
}

function setAttributes(element, attributes) {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(key, value === true ? "" : String(value));
  }
}

const PHASES = ["Available", "Progressing", "Pending", "Failing", "Aborted"];
const link = (href, text) => h("a", { href }, text);

function verdictBadge(policy) {
  const type = policy.verdict?.type ?? "Unknown";
  return h("span", { class: `verdict verdict-${type}`, "data-verdict": type }, type);
}

function countsText(counts) {
  const parts = [`${counts.available}/${counts.matching} available`];
  for (const [key, label] of [["progressing", "progressing"], ["pending", "pending"], ["failing", "failing"], ["aborted", "aborted"]]) if (counts[key]) parts.push(`${counts[key]} ${label}`);
  return parts.join(", ");
}

export function clusterPage(view) {
  const nodes = h(
    "table",
    { id: "nodes" },
    h("thead", {}, h("tr", {}, h("th", {}, "Node"), h("th", {}, "Ready"), h("th", {}, "State reported"), h("th", {}, "Policies"))),
    h(
      "tbody",
      {},
      view.nodes.map((node) =>
        h(
          "tr",
          { "data-node": node.name },
          h("td", {}, link(`#/node/${encodeURIComponent(node.name)}`, node.name)),
          h("td", { class: node.ready ? "ok" : "bad" }, node.ready ? "Ready" : "NotReady"),
          h("td", {}, node.reported ? node.lastUpdate ?? "yes" : "no NodeNetworkState"),
          h("td", {}, node.policies.length ? node.policies.map((p) => h("span", { class: `phase phase-${p.phase}`, "data-policy": p.policy, "data-phase": p.phase, title: p.message }, `${p.policy}: ${p.phase}`)) : "—"),
        ),
      ),
    ),
  );
  const policies = h(
    "table",
    { id: "policies" },
    h("thead", {}, h("tr", {}, h("th", {}, "Policy"), h("th", {}, "Status"), h("th", {}, "Reason"), h("th", {}, "Message"), h("th", {}, "Nodes"))),
    h(
      "tbody",
      {},
      view.policies.map((policy) =>
        h(
          "tr",
          { "data-policy": policy.name },
          h("td", {}, link(`#/rollout/${encodeURIComponent(policy.name)}`, policy.name)),
          h("td", {}, verdictBadge(policy)),
          h("td", { class: "reason" }, policy.verdict?.reason ?? ""),
          h("td", { class: "message" }, policy.verdict?.message ?? ""),
          h("td", { class: "counts" }, countsText(policy.counts)),
        ),
      ),
    ),
  );
  return h(
    "section",
    { id: "cluster" },
    h("h2", {}, `Nodes (${view.nodes.length})`),
    nodes,
    h("h2", {}, `Policies (${view.policies.length})`),
    view.policies.length ? policies : h("p", { class: "none" }, "No NodeNetworkConfigurationPolicy yet."),
  );
}

/** `changedAt` maps "policy/node" to when this page saw the tile's phase change (ms since the epoch) and the resourceVersion that changed it. */
export function rolloutSection(policy, changedAt) {
  const tiles = h(
    "div",
    { class: "tiles" },
    policy.tiles.map((tile) =>
      h(
        "div",
        { class: `tile phase-${tile.phase}${tile.stale ? " stale" : ""}`, "data-node": tile.node, "data-phase": tile.phase, "data-rv": tile.resourceVersion, "data-changed-at": changedAt.get(`${policy.name}/${tile.node}`)?.at ?? "", "data-phase-rv": changedAt.get(`${policy.name}/${tile.node}`)?.resourceVersion ?? "" },
        h("div", { class: "tile-node" }, link(`#/node/${encodeURIComponent(tile.node)}`, tile.node)),
        h("div", { class: "tile-phase" }, tile.phase),
        h("div", { class: "reason" }, tile.reason),
        tile.message ? h("div", { class: "message" }, tile.message) : "",
      ),
    ),
  );
  const events = policy.events.length
    ? h(
        "ul",
        { class: "events" },
        policy.events.map((e) =>
          h("li", { class: `event event-${e.type}`, "data-reason": e.reason, "data-action": e.action }, h("time", {}, e.time), " ", h("strong", {}, e.reason), ` (${e.action}${e.count > 1 ? `, ×${e.count}` : ""}) `, h("span", { class: "regarding" }, e.regarding.name), ": ", e.note),
        ),
      )
    : h("p", { class: "none" }, "No Events yet.");
  return h(
    "section",
    { class: "rollout", "data-policy": policy.name },
    h("h2", {}, link(`#/rollout/${encodeURIComponent(policy.name)}`, policy.name), " ", verdictBadge(policy)),
    h("p", { class: "summary" }, `${policy.verdict?.message ?? "no status yet"} — ${countsText(policy.counts)}; generation ${policy.generation}`),
    h("div", { class: "legend" }, PHASES.map((p) => h("span", { class: `phase phase-${p}` }, p))),
    tiles,
    h("h3", {}, "Events (rollbacks, aborts, drift corrections)"),
    events,
  );
}

export function rolloutsPage(view, changedAt, only) {
  const policies = only ? view.policies.filter((p) => p.name === only) : view.policies;
  if (only && !policies.length) return h("section", { id: "rollouts" }, h("p", { class: "waiting", "data-waiting": only }, `Policy ${only} does not exist (yet). This page follows it as soon as it is created.`));
  return h("section", { id: "rollouts" }, policies.length ? policies.map((p) => rolloutSection(p, changedAt)) : h("p", { class: "none" }, "No NodeNetworkConfigurationPolicy yet."));
}

export function nodeHeader(node, topology) {
  return h(
    "div",
    { class: "node-header" },
    h("h2", {}, `Node ${node}`),
    h("p", {}, topology.lastUpdate ? `NodeNetworkState updated ${topology.lastUpdate}` : "", topology.truncated ? h("strong", {}, ` (summarised: ${topology.truncated})`) : ""),
  );
}

export function interfaceTable(topology) {
  return h(
    "table",
    { id: "interfaces" },
    h("thead", {}, h("tr", {}, h("th", {}, "Interface"), h("th", {}, "Type"), h("th", {}, "State"), h("th", {}, "Addresses"), h("th", {}, "Declared by"))),
    h(
      "tbody",
      {},
      topology.interfaces.map((i) =>
        h("tr", { "data-iface": i.name }, h("td", {}, i.name), h("td", {}, i.type), h("td", {}, i.state), h("td", { class: "addr" }, i.addresses.join(" ")), h("td", {}, i.declaredBy.join(", "))),
      ),
    ),
  );
}

export function previewResult(preview) {
  const issue = (i) => h("li", { class: `issue issue-${i.severity}` }, i.text);
  return h(
    "div",
    { id: "preview-result" },
    preview.issues.length ? h("ul", { class: "issues" }, preview.issues.map(issue)) : "",
    preview.nodes.map((n) =>
      h(
        "section",
        { class: `preview-node outcome-${n.outcome}`, "data-node": n.node, "data-outcome": n.outcome },
        h("h3", {}, n.node, " ", h("span", { class: "outcome" }, n.outcome === "diff" ? (n.changes ? `${n.changes} change${n.changes === 1 ? "" : "s"}` : "no change") : n.outcome === "invalid" ? "refused" : "no state")),
        n.issues?.length ? h("ul", { class: "issues" }, n.issues.map(issue)) : "",
        n.outcome === "diff" ? h("pre", { class: "diff" }, n.diff) : n.outcome === "no-state" ? h("p", {}, n.reason) : "",
      ),
    ),
  );
}
