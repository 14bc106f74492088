/**
 * Idempotent submits (docs/tasks.md, "Idempotent submit"): the dedup identity is the task's name and args, type-tagged
 * and key-sorted, metadata aside; asked per task or by the queue's metadata (`"dedup": true`); a task found returns
 * its id whatever its status; deleting a task frees its identity. Client-chosen ids: the same definition again is the
 * same task, another is a 409.
 */
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { canonicalEncoding, taskIdentity } from "../../src/broker/identity.js";
import { TaskIdConflictError } from "../../src/core/errors.js";
import { parseJson, type JsonObject } from "../../src/json.js";
import { createTestQueue, redisUrl } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

const args = (text: string) => parseJson(text) as JsonObject;

describe("the dedup identity", () => {
  it("is the same for another key order, nested too, and differs for 1 against 1.0 and \"1\"", () => {
    expect(taskIdentity(null, args('{"a":1,"b":{"x":[1,2],"y":null}}'))).toBe(taskIdentity(null, args('{"b":{"y":null,"x":[1,2]},"a":1}')));
    expect(taskIdentity(null, args('{"a":1}'))).not.toBe(taskIdentity(null, args('{"a":1.0}')));
    expect(taskIdentity(null, args('{"a":1}'))).not.toBe(taskIdentity(null, args('{"a":"1"}')));
    expect(taskIdentity("train", args('{"a":1}'))).not.toBe(taskIdentity("eval", args('{"a":1}')));
    expect(canonicalEncoding(args('{"b":true,"a":[null,"s",2.50]}'))).toBe('o{"a":a[z,s"s",n2.50],"b":t}');
  });
});

describe.each(TRANSPORTS)("dedup over %s", (transport) => {
  it("returns the existing task for the same name and args, whatever the key order and metadata", async () => {
    await using q = await queueOver(transport);
    const first = await q.api.submitTask({ args: args('{"lr":0.1,"model":"a"}'), metadata: { tag: 1 }, dedup: true });
    const again = await q.api.submitTask({ args: args('{"model":"a","lr":0.1}'), metadata: { tag: 2 }, dedup: true });
    expect(again).toBe(first);
    const float = await q.api.submitTask({ args: args('{"lr":0.1,"model":"a","n":1.0}'), dedup: true });
    const int = await q.api.submitTask({ args: args('{"lr":0.1,"model":"a","n":1}'), dedup: true });
    expect(new Set([first, float, int]).size).toBe(3);
    // Without dedup a task is a new one; only tasks submitted with dedup are registered.
    const plain = await q.api.submitTask({ args: args('{"lr":0.1,"model":"a"}') });
    expect(plain).not.toBe(first);
    expect((await q.api.lsTasks()).content).toHaveLength(4);
    // The metadata of the task found is its own.
    expect((await q.api.getTask(first)).metadata).toEqual({ tag: 1 });
  });

  it("tells which tasks of a batch were there already, dedups within the batch, and never re-runs a finished task", async () => {
    await using q = await queueOver(transport);
    const done = await q.api.submitTask({ args: { x: 1 }, dedup: true });
    const task = await q.api.fetchTask();
    await q.api.reportTaskStatus(task!.taskId, "success");
    const outcome = await q.api.submitTasksDetailed!([
      { args: { x: 1 }, dedup: true },
      { args: { x: 2 }, dedup: true },
      { args: { x: 2 }, dedup: true },
      { args: { x: 3 } },
    ]);
    expect(outcome.map((t) => t.created)).toEqual([false, true, false, true]);
    expect(outcome[0]!.taskId).toBe(done);
    expect(outcome[2]!.taskId).toBe(outcome[1]!.taskId);
    expect((await q.api.getTask(done)).status).toBe("success");
    expect((await q.api.lsTasks({ status: "pending" })).content).toHaveLength(2);
  });

  it("follows the queue's metadata default, which a submit may override", async () => {
    await using q = await queueOver(transport);
    await q.api.updateQueue({ metadataUpdate: { dedup: true } });
    const first = await q.api.submitTask({ args: { x: 1 } });
    expect(await q.api.submitTask({ args: { x: 1 } })).toBe(first);
    expect(await q.api.submitTask({ args: { x: 1 }, dedup: false })).not.toBe(first);
    const [a, b] = await q.api.submitTasks([{ args: { y: 1 } }, { args: { y: 1 } }]);
    expect(b).toBe(a);
    await q.api.updateQueue({ metadataUpdate: { dedup: false } });
    expect(await q.api.submitTask({ args: { x: 1 } })).not.toBe(first);
  });

  it("frees the identity when the task is deleted", async () => {
    await using q = await queueOver(transport);
    const first = await q.api.submitTask({ args: { x: 1 }, dedup: true });
    await q.api.deleteTask(first);
    const second = await q.api.submitTask({ args: { x: 1 }, dedup: true });
    expect(second).not.toBe(first);
    expect(await q.api.submitTask({ args: { x: 1 }, dedup: true })).toBe(second);
    expect(await q.api.deleteTasks([second])).toEqual([]);
    expect(await q.api.submitTask({ args: { x: 1 }, dedup: true })).not.toBe(second);
  });

  it("keeps a dependency on a task found by dedup pointing at the task found", async () => {
    await using q = await queueOver(transport);
    const existing = await q.api.submitTask({ args: { stage: 1 }, dedup: true });
    const [found, dependent] = await q.api.submitTasks([
      { args: { stage: 1 }, dedup: true, ref: "one" },
      { args: { stage: 2 }, dependsOn: ["one"] },
    ]);
    expect(found).toBe(existing);
    expect((await q.api.getTask(dependent!)).dependsOn).toEqual([existing]);
  });
});

describe.each(TRANSPORTS)("client-chosen ids over %s", (transport) => {
  it("create the task under the id; the same definition again is the same task, another is a 409", async () => {
    await using q = await queueOver(transport);
    const id = "t_client-id_01";
    expect(await q.api.submitTask({ taskId: id, args: { x: 1 }, metadata: { a: 1 } })).toBe(id);
    const replay = await q.api.submitTasksDetailed!([{ taskId: id, args: { x: 1 }, metadata: { a: 1 } }]);
    expect(replay).toEqual([{ taskId: id, created: false }]);
    await expect(q.api.submitTask({ taskId: id, args: { x: 2 } })).rejects.toBeInstanceOf(TaskIdConflictError);
    await expect(q.api.submitTask({ taskId: id, args: { x: 1 }, metadata: { a: 2 } })).rejects.toMatchObject({ status: 409 });
    await expect(q.api.submitTask({ taskId: "not-an-id", args: { x: 1 } })).rejects.toMatchObject({ status: 422 });
    const task = await q.api.getTask(id);
    expect(task).toMatchObject({ taskId: id, args: { x: 1 }, status: "pending" });
    expect((await q.api.lsTasks()).content).toHaveLength(1);
  });
});

describe("concurrent submits of one task", () => {
  it("create it once: 8 connections submit the same 200 tasks with dedup at once", async () => {
    await using q = await createTestQueue();
    const tasks = Array.from({ length: 200 }, (_, i) => ({ args: { i, grid: { lr: 0.1 } }, dedup: true }));
    const submitters = Array.from({ length: 8 }, async (_, n) => {
      const redis = new Redis(redisUrl());
      const broker = new Broker({ redis, keyPrefix: q.prefix, now: q.clock.now, limits: { submitBatch: 7 + n } });
      const api = new DirectLabtasker(broker, { queueName: q.queueName, password: "secret" });
      try {
        return await api.submitTasksDetailed(n % 2 === 0 ? tasks : [...tasks].reverse());
      } finally {
        await broker.close();
        redis.disconnect();
      }
    });
    const outcomes = await Promise.all(submitters);
    const idsOf = (outcome: typeof outcomes[number], reversed: boolean) => (reversed ? [...outcome].reverse() : outcome).map((t) => t.taskId);
    const reference = idsOf(outcomes[0]!, false);
    outcomes.forEach((outcome, n) => expect(idsOf(outcome, n % 2 === 1)).toEqual(reference));
    expect(outcomes.flat().filter((t) => t.created)).toHaveLength(200);
    expect(await q.broker.store.countTasks(q.queueId, "pending")).toBe(200);
  });
});
