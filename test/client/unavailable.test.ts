/**
 * A server whose Redis is away answers 503 (found by the fault suite, test/faults/redis-restart.test.ts: a Redis
 * outage longer than a command waits for it gave 500s, with a stack trace logged for each, and the clients gave up
 * at once: a heartbeat stopped for good, a loop's report was lost and its task ran again). Requests that are safe to
 * repeat wait and try again on 502/503/504, as on a network error.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { createApp } from "../../src/http/app.js";
import { freePort } from "../../src/store/embeddedRedis.js";

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("Redis unavailable", () => {
  it("the server answers 503 with Retry-After, and logs no stack trace", async () => {
    const broker = Broker.connect(`redis://127.0.0.1:${await freePort()}`, { redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null } });
    broker.store.redis.on("error", () => undefined);
    const logged: unknown[] = [];
    const { app } = createApp({ broker, logError: (error) => logged.push(error) });
    const server = createServer(app);
    const url = await listen(server);
    try {
      const answer = await fetch(`${url}/api/v1/queues/me`, { headers: { authorization: `Basic ${Buffer.from("q:pw").toString("base64")}` } });
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toBe("1");
      expect(((await answer.json()) as { detail: string }).detail).toMatch(/^Service unavailable: Redis cannot be reached/);
      expect(logged).toEqual([]);
    } finally {
      server.close();
      await broker.close();
    }
  });

  it("the client repeats heartbeats, reports and reads after 503s, but not a fetch", async () => {
    let heartbeats = 0;
    let fetches = 0;
    const server = createServer((req, res) => {
      if (req.url?.includes("/heartbeat") && ++heartbeats <= 2) {
        res.writeHead(503, { "content-type": "application/json" }).end('{"detail": "Service unavailable"}');
        return;
      }
      if (req.url?.endsWith("/tasks/next")) {
        fetches += 1;
        res.writeHead(503, { "content-type": "application/json" }).end('{"detail": "Service unavailable"}');
        return;
      }
      res.writeHead(204).end();
    });
    const url = await listen(server);
    try {
      const client = new HttpLabtasker({ baseUrl: url, queueName: "q", password: "pw", networkAttempts: 4 });
      await client.refreshTaskHeartbeat("t1", "w1");
      expect(heartbeats).toBe(3);
      await expect(client.fetchTask({ workerId: "w1" })).rejects.toMatchObject({ status: 503 });
      expect(fetches).toBe(1);
    } finally {
      server.close();
    }
  });
});
