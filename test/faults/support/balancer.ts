/**
 * A plain TCP round-robin balancer in front of server replicas, without health checks (the worst case a load balancer
 * can be): a connection sent to a dead replica is reset, and the client has to retry.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface Balancer {
  url: string;
  /** Connections reset because their replica did not answer. */
  resets: number;
  close(): Promise<void>;
}

export async function startBalancer(ports: number[]): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<Socket>();
  const state = { resets: 0 };
  const server: Server = createServer((client) => {
    const port = ports[next++ % ports.length]!;
    const upstream = connect(port, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    upstream.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED") state.resets += 1;
      // Reset the client's connection, as a balancer does when its backend is gone.
      client.resetAndDestroy();
      drop();
    });
    client.once("error", drop);
    client.once("close", drop);
    upstream.once("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get resets() {
      return state.resets;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
