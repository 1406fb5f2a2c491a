/**
 * The order `show` lists routes in, shared by every backend's reader so that
 * two hosts holding the same routes print them alike: by table, then family
 * (IPv4 first), destination as a number, metric, next hop, type, weight.
 */
import { parseNetwork } from "./ip-address.ts";
import type { Route } from "./schema/index.ts";

const MAIN_TABLE = 254;
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function compareDestination(a: string | undefined, b: string | undefined): number {
  const na = a ? parseNetwork(a) : undefined;
  const nb = b ? parseNetwork(b) : undefined;
  if (na && nb) {
    if (na.address.value !== nb.address.value) return na.address.value < nb.address.value ? -1 : 1;
    return na.prefix - nb.prefix;
  }
  return compareText(a ?? "", b ?? "");
}

export interface OrderedRoute {
  route: Route;
  family: 4 | 6;
}

export function compareRoutes(a: OrderedRoute, b: OrderedRoute): number {
  const x = a.route;
  const y = b.route;
  return (
    (x["table-id"] ?? MAIN_TABLE) - (y["table-id"] ?? MAIN_TABLE) ||
    a.family - b.family ||
    compareDestination(x.destination, y.destination) ||
    (x.metric ?? 0) - (y.metric ?? 0) ||
    compareText(x["next-hop-interface"] ?? "", y["next-hop-interface"] ?? "") ||
    compareText(x["next-hop-address"] ?? "", y["next-hop-address"] ?? "") ||
    compareText(x["route-type"] ?? "", y["route-type"] ?? "") ||
    (x.weight ?? 0) - (y.weight ?? 0) ||
    compareText(JSON.stringify(x), JSON.stringify(y))
  );
}
