/**
 * Bulk updates and deletes: a request of updates is written whole or not at all, a batch of deletes at once, over
 * direct mode and our HTTP server; the HTTP client falls back to one DELETE per id against a server without the
 * batch route (labtasker v1's answers 405 there).
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { describe, expect, it } from "vitest";
import { UpdateFailedError } from "../../src/core/errors.js";
import type { Labtasker } from "../../src/core/api.js";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { createApp } from "../../src/http/app.js";
import { startTestServerWithQueue } from "../support/http.js";
import { createTestBroker } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

/** Every task of the queue by the listing, the count per status, and a fetch: the three must agree on what is left. */
async function leftOver(api: Labtasker): Promise<{ listed: string[]; pending: number; fetched: string | null }> {
  const listed: string[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api.lsTasks({ limit: 1000, offset, sort: [["_id", 1]] });
    listed.push(...page.content.map((task) => task.taskId));
    if (page.content.length < 1000) break;
  }
  const pending = (await api.lsTasks({ status: "pending", limit: 1000 })).content.length;
  const fetched = (await api.fetchTask())?.taskId ?? null;
  return { listed, pending, fetched };
}

describe.each(TRANSPORTS)("bulk deletes over %s", (transport) => {
  it("deletes 2,500 ids in batches, reports the missing ones, and leaves the indexes on what is left", async () => {
    await using q = await queueOver(transport);
    const ids = await q.api.submitTasks(Array.from({ length: 2600 }, (_, i) => ({ args: { i, model: i % 2 ? "vit" : "resnet" } })));
    const running = await q.api.fetchTask({ workerId: await q.api.createWorker() });
    const doomed = ids.slice(0, 2500);
    const missing = await q.api.deleteTasks([...doomed.slice(0, 10), "no-such-task", ...doomed.slice(10)]);
    expect(missing).toEqual(["no-such-task"]);
    expect(doomed).toContain(running?.taskId);
    expect((await q.api.lsTasks({ status: "running" })).content).toEqual([]);
    const kept = ids.slice(2500).sort();
    const left = await leftOver(q.api);
    expect(left.listed).toEqual(kept);
    expect(left.pending).toBe(kept.length);
    expect(kept).toContain(left.fetched);
    // Deleting them again finds none of them.
    expect(await q.api.deleteTasks(doomed.slice(0, 3))).toEqual(doomed.slice(0, 3));
  });
});

describe.each(TRANSPORTS)("bulk updates over %s", (transport) => {
  it("writes a request's updates whole or not at all, and lists every failure", async () => {
    await using q = await queueOver(transport);
    const [a, b, c] = await q.api.submitTasks([{ args: { x: 1 } }, { args: { foo: 1 } }, { args: { x: 3 } }]);
    const failure = q.api.updateTasks([
      { taskId: a!, priority: 5, metadata: { batch: 1 } },
      { taskId: c!, status: "success" },
      { taskId: "missing", priority: 5 },
      { taskId: b!, args: { "foo.bar": 0 } },
    ]);
    await expect(failure).rejects.toBeInstanceOf(UpdateFailedError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      othersApplied: false,
      failures: [
        [c, "InvalidStateTransition: Cannot transition from pending to success."],
        ["missing", "Task missing not found."],
        [b, expect.any(String)],
      ],
    });
    expect(await q.api.getTask(a!)).toMatchObject({ priority: 10, metadata: {} });

    const { content } = await q.api.updateTasks([
      { taskId: a!, priority: 5, metadata: { batch: 1 } },
      { taskId: c!, status: "cancelled" },
    ]);
    expect(content.map((task) => [task.taskId, task.priority, task.status])).toEqual([[a, 5, "pending"], [c, 10, "cancelled"]]);
    expect((await q.api.getTask(a!)).metadata).toEqual({ batch: 1 });
  });

  it("applies updates of one task in a batch one after the other, as v1 does", async () => {
    await using q = await queueOver(transport);
    const [a] = await q.api.submitTasks([{ args: { x: 1 } }]);
    const { content } = await q.api.updateTasks([
      { taskId: a!, args: { y: 2 } },
      { taskId: a!, status: "cancelled" },
      { taskId: a!, args: { z: 3 }, status: "pending" },
    ]);
    expect(content.map((task) => task.status)).toEqual(["pending", "cancelled", "pending"]);
    expect(await q.api.getTask(a!)).toMatchObject({ args: { x: 1, y: 2, z: 3 }, status: "pending" });
    // A step the state machine refuses after an earlier one in the batch fails the whole batch.
    await expect(q.api.updateTasks([{ taskId: a!, status: "cancelled" }, { taskId: a!, status: "success" }])).rejects.toMatchObject({
      failures: [[a, "InvalidStateTransition: Cannot transition from cancelled to success."]],
    });
    expect((await q.api.getTask(a!)).status).toBe("pending");
  });

  it("re-queues a batch with reset_pending and moves it in the fetch order", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker({ maxRetries: 10 });
    const ids = await q.api.submitTasks(Array.from({ length: 3 }, (_, i) => ({ args: { i }, maxRetries: 1 })));
    for (let i = 0; i < ids.length; i++) {
      const task = await q.api.fetchTask({ workerId });
      await q.api.reportTaskStatus(task!.taskId, "failed");
    }
    await q.api.updateTasks(ids.map((taskId, i) => ({ taskId, priority: i })), { resetPending: true });
    expect((await q.api.lsTasks({ status: "failed" })).content).toEqual([]);
    expect((await q.api.fetchTask({ workerId }))?.taskId).toBe(ids[2]);
  });
});

describe("the batch delete route", () => {
  it("answers which ids were deleted and which named no task; refuses more than 1,000 and a bad body", async () => {
    await using s = await startTestServerWithQueue();
    expect(await (await s.request("GET", "/")).json()).toMatchObject({ extensions: expect.arrayContaining(["batch-delete", "atomic-update"]) });
    const submitted = await s.request("POST", "/api/v1/queues/me/tasks/batch", { auth: s.auth, body: { tasks: [{ args: { i: 1 } }, { args: { i: 2 } }] } });
    const { task_ids: ids } = (await submitted.json()) as { task_ids: string[] };
    const deleted = await s.request("POST", "/api/v1/queues/me/tasks/delete", { auth: s.auth, body: { client_version: "1.0.1", task_ids: [ids[0], "nope", ids[0]] } });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ notification: null, deleted: [ids[0]], missing: ["nope"] });
    const tooMany = await s.request("POST", "/api/v1/queues/me/tasks/delete", { auth: s.auth, body: { task_ids: [ids[1], ...Array.from({ length: 1000 }, (_, i) => `x${i}`)] } });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ detail: "Too many tasks to delete. Maximum is 1000." });
    expect((await s.request("POST", "/api/v1/queues/me/tasks/delete", { auth: s.auth, body: { task_ids: "all" } })).status).toBe(422);
    expect((await s.request("POST", "/api/v1/queues/me/tasks/delete", { body: { task_ids: [ids[1]] } })).status).toBe(401);
    expect((await s.request("GET", `/api/v1/queues/me/tasks/${ids[1]}`, { auth: s.auth })).status).toBe(200);
  });
});

describe("the HTTP client against a server without the batch delete route", () => {
  it("deletes one id per request, and reports the missing ones the same", async () => {
    await using test = createTestBroker();
    const { app } = await createApp({ broker: test.broker });
    // labtasker v1 routes POST /tasks/delete to /tasks/{task_id}, which has only GET and DELETE.
    const v1Like = express();
    v1Like.post("/api/v1/queues/me/tasks/delete", (_req, res) => {
      res.status(405).json({ detail: "Method Not Allowed" });
    });
    v1Like.use(app);
    const server: Server = await new Promise((resolve) => {
      const s = v1Like.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const api = new HttpLabtasker({ baseUrl, queueName: "fallback", password: "pw", networkAttempts: 1 });
      await api.createQueue({ queueName: "fallback", password: "pw" });
      const ids = await api.submitTasks(Array.from({ length: 40 }, (_, i) => ({ args: { i } })));
      expect(await api.deleteTasks([...ids.slice(0, 30), "gone"])).toEqual(["gone"]);
      expect((await api.lsTasks({ limit: 100 })).content.map((task) => task.taskId).sort()).toEqual(ids.slice(30).sort());
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
