import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { migrateQueues } from "../../src/broker/migrate.js";
import { argsSignature } from "../../src/broker/requiredFields.js";
import { stringifyJson } from "../../src/json.js";
import { storedTaskId } from "../../src/store/taskIds.js";
import { QueueLayoutError } from "../../src/core/errors.js";
import { ScriptCode } from "../../src/store/scriptCodes.js";
import { LUA_CONSTANTS } from "../../src/store/luaConstants.js";
import { toLayout1, writeLayout1Tasks } from "../support/layout1.js";
import { createTestQueue } from "../support/redis.js";

describe("a queue stored in an earlier layout of keys", () => {
  it("is refused by every request and every script that would touch its tasks, saying how to migrate it", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await q.redis.hdel(q.broker.store.keys.queue(q.queueId), "layout");
    const api = new DirectLabtasker(q.broker, { queueName: q.queueName, password: "secret" });
    const refused = { status: 503, detail: expect.stringContaining("it migrates every queue at start") as unknown };
    await expect(api.getTask(taskId)).rejects.toBeInstanceOf(QueueLayoutError);
    await expect(api.fetchTask()).rejects.toMatchObject(refused);
    await expect(api.deleteQueue({ cascadeDelete: true })).rejects.toMatchObject(refused);
    const claim = { workerId: null, requiredSpec: null, startHeartbeat: true, heartbeatTimeout: null, taskTimeout: null, cmdJson: "null", expireLimit: 1 };
    const { store } = q.broker;
    expect((await store.fetchTask(q.queueId, 0, null, claim, "", 4)).reply[0]).toBe(ScriptCode.QUEUE_LAYOUT);
    expect((await store.expireTasks(q.queueId, 0, 1))[0]).toBe(ScriptCode.QUEUE_LAYOUT);
    expect((await store.deleteTask(q.queueId, taskId))[0]).toBe(ScriptCode.QUEUE_LAYOUT);
    expect((await store.dropQueue(q.queueId))[0]).toBe(ScriptCode.QUEUE_LAYOUT);
    expect(await q.broker.expireAll()).toBe(0);
    expect(await store.countTasks(q.queueId, "pending")).toBe(1);
  });
});

describe("the migration of a queue of the earlier layout", () => {
  const t0 = Date.UTC(2025, 0, 1);

  /** A queue in layout 1 with tasks in every status, two pending signatures, a running task and its worker. */
  async function layout1Queue() {
    const q = await createTestQueue();
    const workerId = await q.api.createWorker({ workerName: "w" });
    const { keys } = q.broker.store;
    const ids = Object.fromEntries(["p1", "p2", "p3", "r1", "s1", "f1", "c1"].map((name) => [name, randomUUID()]));
    const base = { metadata: "{}", summary: "{}", cmd: '""', max_retries: "3", retries: "0", priority: "10", created_at: String(t0) };
    const task = (name: string, seq: number, fields: Record<string, string>) => ({
      id: ids[name]!,
      fields: { ...base, last_modified: String(t0), sig: argsSignature(Object.keys(JSON.parse(fields.args ?? "{}") as object)), seq: String(seq), ...fields },
    });
    await writeLayout1Tasks(q.redis, keys, q.queueId, [
      task("p1", 1, { status: "pending", args: '{"lr":0.1}' }),
      task("p2", 2, { status: "pending", args: '{"lr":0.2,"bs":3.0}', priority: "20", last_modified: String(t0 + 5) }),
      task("p3", 3, { status: "pending", args: '{"lr":0.3}', task_name: "third", last_modified: String(t0 + 1) }),
      {
        ...task("r1", 4, { status: "running", args: '{"lr":1}', worker_id: workerId, start_time: String(t0), last_heartbeat: String(t0) }),
        deadline: t0 + 60_000,
      },
      task("s1", 5, { status: "success", args: '{"lr":2}', summary: '{"acc":0.9}', rev: "3" }),
      task("f1", 6, { status: "failed", args: '{"lr":3}', retries: "3" }),
      task("c1", 7, { status: "cancelled", args: '{"lr":4}' }),
    ]);
    await toLayout1(q.redis, keys, q.queueId);
    return { q, ids, workerId };
  }

  it("moves every task, with its fields, status, order, deadline and worker, a batch at a time", async () => {
    const { q, ids, workerId } = await layout1Queue();
    await using _ = q;
    const { store } = q.broker;
    let calls = 1;
    while (Number((await store.migrateQueue(q.queueId, 2))[1]) > 0) calls++;
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(await q.redis.hget(store.keys.queue(q.queueId), "layout")).toBe(LUA_CONSTANTS.STORE_LAYOUT);
    const left = await q.redis.keys(`${store.keys.root(q.queueId).replace(/[{}]/g, "\\$&")}*`);
    expect(left.filter((key) => /:(task:|status:pending|migrating:)/.test(key))).toEqual([]);
    expect(await q.redis.xlen(store.keys.events(q.queueId))).toBe(0);

    const api = new DirectLabtasker(q.broker, { queueName: q.queueName, password: "secret" });
    expect(stringifyJson((await api.getTask(ids.p2!)).args)).toBe('{"lr":0.2,"bs":3.0}');
    expect(await api.getTask(ids.p3!)).toMatchObject({ taskName: "third", status: "pending", retries: 0, maxRetries: 3, metadata: {}, cmd: "" });
    expect(await api.getTask(ids.s1!)).toMatchObject({ status: "success", summary: { acc: 0.9 } });
    expect(await api.getTask(ids.f1!)).toMatchObject({ status: "failed", retries: 3 });
    expect(await api.getTask(ids.r1!)).toMatchObject({ status: "running", workerId, heartbeatTimeout: null });
    for (const [status, count] of [["pending", 3], ["running", 1], ["success", 1], ["failed", 1], ["cancelled", 1]] as const) {
      expect(await store.countTasks(q.queueId, status)).toBe(count);
    }
    const order: Array<[string, 1 | -1]> = [["priority", -1], ["last_modified", 1], ["created_at", 1]];
    expect((await api.lsTasks({ status: "pending", sort: order })).content.map((t) => t.taskId)).toEqual([ids.p2, ids.p1, ids.p3]);
    expect((await api.fetchTask({ requiredFields: ["lr"] }))?.taskId).toBe(ids.p1);
    expect(await q.redis.smembersBuffer(store.keys.workerTasks(q.queueId, workerId))).toEqual([storedTaskId(ids.r1!)]);
    // The rebuilt deadline index: the running task lapses, is retried, and its worker is charged.
    expect(await q.redis.zcard(store.keys.deadlines(q.queueId))).toBe(0); // no heartbeat timeout, no task timeout
    await api.updateTasks([{ taskId: ids.r1!, heartbeatTimeout: 1 }]);
    q.clock.ms = t0 + 5_000;
    expect(await q.broker.expireAll()).toBe(1);
    expect(await api.getTask(ids.r1!)).toMatchObject({ status: "pending", retries: 1 });
    expect((await api.getWorker(workerId)).retries).toBe(1);
    // Event numbers go on from the queue's counter.
    const sequence = Number(await q.redis.hget(store.keys.queue(q.queueId), "event_seq"));
    expect(sequence).toBeGreaterThan(8);
  });

  it("runs at a server's start, for every queue not in this layout, saying so", async () => {
    const { q, ids } = await layout1Queue();
    await using _ = q;
    const lines: string[] = [];
    expect(await migrateQueues(q.broker.store, (line) => lines.push(line))).toBe(1);
    expect(lines.join("\n")).toMatch(/Migrating queue .* from Redis layout 1 to 3[\s\S]*Migrated queue .*: 7 tasks/);
    expect(await migrateQueues(q.broker.store, (line) => lines.push(line))).toBe(0);
    const api = new DirectLabtasker(q.broker, { queueName: q.queueName, password: "secret" });
    expect((await api.getTask(ids.c1!)).status).toBe("cancelled");
  });
});
