// A node's interfaces drawn as a graph: ELK (layered) places the boxes —
// physical NICs at the bottom, the bonds, bridges and VRFs they are ports of
// above them, VLANs above their base — and this draws them as SVG, so every
// interface and address is an element of the page (searchable, testable).
import { h, svg } from "./views.js";

const WIDTH = 230;
const LINE = 16;

function linesOf(iface) {
  const lines = [];
  if (iface.detail) lines.push({ cls: "detail", text: iface.detail });
  for (const address of iface.addresses) lines.push({ cls: "addr", text: address });
  if (iface.dhcp || iface.autoconf) lines.push({ cls: "detail", text: [iface.dhcp && "DHCP", iface.autoconf && "autoconf"].filter(Boolean).join(", ") });
  if (iface.mac) lines.push({ cls: "mac", text: iface.mac });
  if (iface.declaredBy.length) lines.push({ cls: "declared", text: `declared by ${iface.declaredBy.join(", ")}` });
  return lines;
}

export async function drawTopology(container, topology) {
  const ELK = globalThis.ELK;
  if (!ELK) throw new Error("the layout library (elkjs) did not load");
  const boxes = topology.interfaces.map((iface) => ({ iface, lines: linesOf(iface) }));
  const graph = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "UP",
      "elk.spacing.nodeNode": "30",
      "elk.layered.spacing.nodeNodeBetweenLayers": "50",
      "elk.edgeRouting": "ORTHOGONAL",
    },
    children: boxes.map(({ iface, lines }) => ({ id: iface.name, width: WIDTH, height: 30 + lines.length * LINE })),
    edges: topology.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const laid = await new ELK().layout(graph);
  const byId = new Map(laid.children.map((c) => [c.id, c]));
  const width = Math.max(laid.width ?? 0, WIDTH) + 20;
  const height = (laid.height ?? 0) + 20;
  const root = svg("svg", { viewBox: `-10 -10 ${width} ${height}`, width, height, role: "img", "aria-label": `network of ${topology.node}` });
  for (const [i, edge] of (laid.edges ?? []).entries()) {
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      const kind = topology.edges[i]?.kind ?? "port";
      root.append(svg("polyline", { class: `edge ${kind}`, points: points.map((p) => `${p.x},${p.y}`).join(" "), "data-from": topology.edges[i]?.from, "data-to": topology.edges[i]?.to }));
    }
  }
  for (const { iface, lines } of boxes) {
    const box = byId.get(iface.name);
    const g = svg("g", { class: `iface type-${iface.type} state-${iface.state}${iface.declaredBy.length ? " declared" : ""}`, "data-iface": iface.name, "data-type": iface.type, transform: `translate(${box.x},${box.y})` });
    g.append(svg("rect", { width: WIDTH, height: box.height, rx: 6 }));
    g.append(svg("text", { class: "name", x: 10, y: 20 }, `${iface.name}`, svg("tspan", { class: "type" }, `  ${iface.type}${iface.state !== "up" ? ` (${iface.state})` : ""}`)));
    lines.forEach((line, n) => g.append(svg("text", { class: line.cls, x: 10, y: 20 + (n + 1) * LINE }, line.text)));
    root.append(g);
  }
  container.replaceChildren(root);
  return root;
}

export function routesAndDns(topology) {
  const routes = topology.defaultRoutes.length
    ? topology.defaultRoutes.map((r) => h("li", { class: "default-route", "data-iface": r.iface }, `${r.destination} via ${r.gateway || "(direct)"} dev ${r.iface}`, r.declaredBy.length ? h("span", { class: "declared" }, ` — declared by ${r.declaredBy.join(", ")}`) : ""))
    : [h("li", { class: "none" }, "no default route")];
  const servers = topology.dns.servers.length ? topology.dns.servers.map((s) => h("li", { class: "dns-server" }, s)) : [h("li", { class: "none" }, "no DNS server")];
  return h(
    "div",
    { class: "routes-dns" },
    h("h3", {}, "Default route"),
    h("ul", { id: "default-routes" }, ...routes),
    h("h3", {}, "DNS"),
    h("ul", { id: "dns" }, ...servers, ...topology.dns.search.map((s) => h("li", { class: "dns-search" }, `search ${s}`))),
    topology.dns.declaredBy.length ? h("p", { class: "declared" }, `DNS declared by ${topology.dns.declaredBy.join(", ")}`) : "",
  );
}
