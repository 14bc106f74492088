import { describe, expect, it } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { AuthError, QueueExistsError, QueueNameTakenError } from "../../src/core/errors.js";
import { createTestBroker, createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe("queues", () => {
  it("creates queues with unique names and authenticates by name or id", async () => {
    await using t = createTestBroker();
    const queueId = await t.broker.queues.create({ queueName: "sweep", password: "pw", metadata: { "owner.name": "ada" } });
    await expect(t.broker.queues.create({ queueName: "sweep", password: "x" })).rejects.toBeInstanceOf(QueueExistsError);
    expect(await t.broker.queues.authenticate("sweep", "pw")).toBe(queueId);
    expect(await t.broker.queues.authenticate(queueId, "pw")).toBe(queueId);
    await expect(t.broker.queues.authenticate("sweep", "wrong")).rejects.toBeInstanceOf(AuthError);
    await expect(t.broker.queues.authenticate("nobody", "pw")).rejects.toMatchObject({ status: 401, detail: "Invalid credentials" });
    expect(await t.broker.queues.get(queueId)).toMatchObject({ queueName: "sweep", metadata: { owner: { name: "ada" } } });
  });

  it("never stores the password in clear", async () => {
    await using t = createTestBroker();
    const queueId = await t.broker.queues.create({ queueName: "secretive", password: "hunter2" });
    const record = await t.redis.hgetall(t.broker.store.keys.queue(queueId));
    expect(JSON.stringify(record)).not.toContain("hunter2");
    expect(record.password).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it("validates names and passwords with v1's rules", async () => {
    await using t = createTestBroker();
    await expect(t.broker.queues.create({ queueName: "has space", password: "pw" })).rejects.toMatchObject({ status: 422 });
    await expect(t.broker.queues.create({ queueName: "ok", password: "" })).rejects.toMatchObject({ status: 422 });
  });

  it("renames, changes the password, and merges metadata; the old name is freed", async () => {
    await using q = await createTestQueue();
    await q.broker.queues.update(q.queueId, { metadataUpdate: { a: 1, b: { c: 2 } } });
    const updated = await q.broker.queues.update(q.queueId, { newQueueName: "renamed", newPassword: "new", metadataUpdate: { "b.d": 3 } });
    expect(updated).toMatchObject({ queueName: "renamed", metadata: { a: 1, b: { c: 2, d: 3 } } });
    await expect(q.broker.queues.authenticate("renamed", "secret")).rejects.toBeInstanceOf(AuthError);
    expect(await q.broker.queues.authenticate("renamed", "new")).toBe(q.queueId);
    expect(await q.broker.store.queueIdByName(q.queueName)).toBeNull();
    await expect(q.broker.queues.update(q.queueId, { newQueueName: "renamed" })).rejects.toBeInstanceOf(QueueNameTakenError);
    expect((await q.broker.queues.update(q.queueId, { metadataUpdate: {} })).metadata).toEqual({});
  });

  it("deletes with cascade, leaving no key of the queue behind", async () => {
    await using q = await createTestQueue({ limits: { purgeBatch: 3 } });
    const workerId = await q.api.createWorker();
    for (let i = 0; i < 10; i++) await q.api.submitTask({ args: { i } });
    await q.api.fetchTask({ workerId });
    await q.api.deleteQueue({ cascadeDelete: true });
    expect(await q.redis.keys(`${q.prefix}:{${q.queueId}}:*`)).toEqual([]);
    await expect(q.broker.queues.authenticate(q.queueName, "secret")).rejects.toBeInstanceOf(AuthError);
    // the name is free again
    expect(await q.broker.queues.create({ queueName: q.queueName, password: "pw" })).toBeTypeOf("string");
  });

  it("without cascade, keeps the tasks (as v1 keeps the documents) but the queue is gone", async () => {
    await using q = await createTestQueue();
    await q.api.submitTask({ args: { i: 1 } });
    await q.api.deleteQueue({ cascadeDelete: false });
    expect(await q.redis.hlen(q.broker.store.keys.tasks(q.queueId))).toBe(1);
    await expect(q.broker.queues.delete(q.queueId, true)).rejects.toMatchObject({ status: 404, detail: "Queue not found" });
  });
});

describe.each(TRANSPORTS)("queues over %s", (transport) => {
  it("keeps one queue's credentials away from another queue's tasks", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    const other = await q.other();
    await expect(other.getTask(taskId)).rejects.toMatchObject({ status: 404 });
    await expect(other.deleteTask(taskId)).rejects.toMatchObject({ status: 404 });
    expect(await other.fetchTask()).toBeNull();
    expect((await q.api.getTask(taskId)).status).toBe("pending");
  });
});

describe.each(TRANSPORTS)("workers over %s", (transport) => {
  it("creates, lists, and deletes with cascade_update clearing worker_id on its tasks", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker({ workerName: "gpu0", metadata: { "host.name": "n1" }, maxRetries: 5 });
    expect(await q.api.getWorker(workerId)).toMatchObject({ workerName: "gpu0", status: "active", maxRetries: 5, metadata: { host: { name: "n1" } } });
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await q.api.fetchTask({ workerId });
    expect((await q.api.lsWorkers()).content.map((w) => w.workerId)).toEqual([workerId]);
    await q.api.deleteWorker(workerId);
    expect((await q.api.getTask(taskId)).workerId).toBeNull();
    await expect(q.api.getWorker(workerId)).rejects.toMatchObject({ status: 404, detail: "Worker not found" });
    await expect(q.api.deleteWorker(workerId)).rejects.toMatchObject({ status: 404 });
    // The task's report still works: its worker is gone, so no failure is charged.
    await q.api.reportTaskStatus(taskId, "failed");
    expect((await q.api.getTask(taskId)).status).toBe("pending");
  });

  it("refuses worker names that v1 could not list later", async () => {
    await using q = await queueOver(transport);
    await expect(q.api.createWorker({ workerName: "a b" })).rejects.toMatchObject({ status: 422 });
  });
});

describe("authentication with a cached name", () => {
  it("follows a name that moved to another queue", async () => {
    await using t = createTestBroker();
    const first = await t.broker.queues.create({ queueName: "moving", password: "one" });
    expect(await t.broker.queues.authenticate("moving", "one")).toBe(first);
    // Rename and re-create behind the cache's back, as another server replica would.
    const replica = new Broker({ redis: t.redis, keyPrefix: t.prefix });
    await replica.queues.update(first, { newQueueName: "moved" });
    const second = await replica.queues.create({ queueName: "moving", password: "two" });
    expect(await t.broker.queues.authenticate("moving", "two")).toBe(second);
    await replica.close();
  });
});
