/**
 * A no-op HTTP server that answers a client's hot calls from memory, to measure the client's own ceiling.
 *
 * The first request of each kind (method + path with queue names and task ids blanked) is forwarded to a real
 * upstream server and its answer kept; later requests of a kind listed in `replay` get that answer back at once,
 * with no work behind it. Everything else is always forwarded. A client that cannot go faster against this server
 * than against a real one is the bottleneck, not the server.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

interface Stored {
  status: number;
  contentType: string | null;
  body: Buffer;
}

function kindOf(method: string, url: string): string {
  const path = url.split("?")[0]!.replace(/\/queues\/[^/]+/, "/queues/Q").replace(/\/t_[A-Za-z0-9_-]+/, "/T");
  return `${method} ${path}`;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the server on a free loopback port; `replay` holds the kinds answered from memory, e.g. "POST /api/v2/queues/Q/tasks". */
export async function startReplayServer(upstream: string, replay: (kind: string) => boolean): Promise<{ url: string; stop(): Promise<void> }> {
  const stored = new Map<string, Stored>();
  const server = createServer((request, response) => {
    void (async () => {
      const kind = kindOf(request.method ?? "GET", request.url ?? "/");
      const body = await readBody(request);
      let answer = replay(kind) ? stored.get(kind) : undefined;
      if (!answer) {
        const headers: Record<string, string> = {};
        for (const name of ["content-type", "authorization"]) {
          const value = request.headers[name];
          if (typeof value === "string") headers[name] = value;
        }
        const forwarded = await fetch(`${upstream}${request.url}`, { method: request.method, headers, body: body.length > 0 ? new Uint8Array(body) : undefined });
        answer = { status: forwarded.status, contentType: forwarded.headers.get("content-type"), body: Buffer.from(await forwarded.arrayBuffer()) };
        if (replay(kind) && forwarded.ok) stored.set(kind, answer);
      }
      response.writeHead(answer.status, answer.contentType ? { "content-type": answer.contentType } : {});
      response.end(answer.status === 204 ? undefined : answer.body);
    })().catch((error: unknown) => {
      response.writeHead(502).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
