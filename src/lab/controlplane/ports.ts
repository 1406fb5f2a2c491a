/** Free TCP ports on 127.0.0.1, for components that must be told their port up front. */
import { createServer } from "node:net";

/**
 * A port the kernel just handed out on 127.0.0.1. Another process can take it
 * before our component binds it; callers retry the start on "address already
 * in use" (see components.ts).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
