/**
 * The HTTP client against a server without our listing extensions, as labtasker v1's server is: no count route (v1
 * routes `POST /tasks/count` as a task id and answers 405), no snapshots (unknown request fields are ignored, and
 * GET / lists no extensions). Our app serves everything else, so the answers are real.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { createApp } from "../../src/http/app.js";
import { LabtaskerClient } from "../../src/sdk/client.js";
import { createTestBroker } from "../support/redis.js";

async function v1LikeServer() {
  const test = createTestBroker();
  const { app } = createApp({ broker: test.broker });
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push(`${req.method} ${req.url}`);
    const answer = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method === "POST" && req.url === "/api/v1/queues/me/tasks/count") return answer(405, { detail: "Method Not Allowed" });
    if (req.method === "GET" && req.url === "/") return answer(200, { message: "Welcome to Labtasker!", versions: ["v1"], docs: "/docs" });
    return app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await test[Symbol.asyncDispose]();
    },
  };
}

describe("listings and counts against a server without the extensions (labtasker v1)", () => {
  it("counts by reading each status's listing page by page, and learns the route is missing once", async () => {
    await using server = await v1LikeServer();
    const api = new HttpLabtasker({ baseUrl: server.url, queueName: "v1q", password: "pw", networkAttempts: 1 });
    await api.createQueue({ queueName: "v1q", password: "pw" });
    const ids = await api.submitTasks(Array.from({ length: 2500 }, (_, i) => ({ args: { i } })));
    for (const batch of [ids.slice(0, 1000), ids.slice(1000, 1200)]) await api.updateTasks(batch.map((taskId) => ({ taskId, status: "cancelled" as const })));

    expect(await api.countTasks()).toEqual({ pending: 1300, running: 0, success: 0, failed: 0, cancelled: 1200 });
    expect(await api.countTasks({ extraFilter: { "args.i": { $lt: 1500 } }, status: "pending" })).toEqual({ pending: 300, running: 0, success: 0, failed: 0, cancelled: 0 });
    const counts = server.requests.filter((request) => request.endsWith("/tasks/count"));
    expect(counts).toEqual(["POST /api/v1/queues/me/tasks/count"]);
  });

  it("iterates by the last id seen, since no snapshot is kept", async () => {
    await using server = await v1LikeServer();
    const api = new HttpLabtasker({ baseUrl: server.url, queueName: "v1q", password: "pw", networkAttempts: 1 });
    await api.createQueue({ queueName: "v1q", password: "pw" });
    await api.submitTasks(Array.from({ length: 25 }, (_, i) => ({ args: { i } })));
    const client = new LabtaskerClient(api);
    expect(await client.supports("listing-snapshots")).toBe(false);
    const seen: number[] = [];
    for await (const task of client.iterTasks({ pageSize: 4 })) {
      await client.deleteTask(task.taskId);
      seen.push(Number(task.args.i));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});
