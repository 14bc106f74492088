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
import type { BrokerContext } from "../../src/broker/context.js";
import { canonicalEncoding, taskIdentity } from "../../src/broker/identity.js";
import { TaskSubmitter } from "../../src/broker/submit.js";
import { TaskIdConflictError } from "../../src/core/errors.js";
import { parseJson, type JsonObject } from "../../src/json.js";
import { ScriptCode } from "../../src/store/scriptCodes.js";
import type { NewTaskRecord } from "../../src/store/store.js";
import { taskIdFromStored } from "../../src/store/taskIds.js";
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

  it("keeps the values of earlier versions: identities registered in a queue must still match", () => {
    // Values of the first implementation (an object, map/join and sort() per level), stored by queues since.
    expect(taskIdentity(null, args('{"lr":0.001,"model":"resnet50","bs":32,"seed":0,"epochs":90}'))).toBe("7_0zcXzsC5zuAHxf0-UsPA");
    expect(taskIdentity("train", args('{"a":1}'))).toBe("YESa36Ufy3YJOHKe2-DBRg");
    // More keys than an insertion sort takes, in code-unit order ("K" < "k1" < "k10" < "k2").
    const many = args('{"k17":1,"k16":2,"k15":3,"k14":4,"k13":5,"k12":6,"k11":7,"k10":8,"k9":9,"k8":10,"k7":11,"k6":12,"k5":13,"k4":14,"k3":15,"k2":16,"k1":17,"K":18}');
    expect(taskIdentity(null, many)).toBe("X-ANgkP4d22zrDpPYL-ZpA");
    expect(canonicalEncoding(many)).toMatch(/^o\{"K":n18,"k1":n17,"k10":n8,"k11":n7,.*"k9":n9\}$/);
    const odd = args('{"é":"ü\\"q\\\\","a b":[1.0,-0,1e21,null,true,{"z":{},"y":[]}],"n":12345678901234567890}');
    expect(taskIdentity("eval", odd)).toBe("ehSeiUUrs_TE4z4IdH9-2g");
    expect(canonicalEncoding(odd)).toBe('o{"a b":a[n1.0,n-0,n1e21,z,t,o{"y":a[],"z":o{}}],"n":n12345678901234567890,"é":s"ü\\"q\\\\"}');
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

describe("a dedup submit of many batches", () => {
  /** A queue whose broker sends `submitBatch` tasks a script call. */
  async function batchedQueue(submitBatch: number, metadata?: JsonObject) {
    const q = await createTestQueue({ limits: { submitBatch } });
    if (metadata !== undefined) await q.api.updateQueue({ metadataUpdate: metadata });
    // How many script calls were sent before the reply of the one before at most (1: each waited).
    const calls = { inFlight: 0, most: 0 };
    const store = q.broker.store;
    const submitTasks = store.submitTasks.bind(store);
    store.submitTasks = (...call) => {
      calls.most = Math.max(calls.most, ++calls.inFlight);
      return submitTasks(...call).finally(() => calls.inFlight--);
    };
    return Object.assign(q, { calls });
  }

  it("finds tasks of earlier batches and of the queue, and creates the others in order, once each", async () => {
    await using q = await batchedQueue(4);
    const existing = await q.api.submitTask({ args: { x: 5 }, dedup: true });
    // Batches of 4 (the later ones go before the earlier ones' replies): x 0..9, then 0..4 again, then 5 (the queue's).
    const xs = [...Array.from({ length: 10 }, (_, i) => i), 0, 1, 2, 3, 4, 5];
    const outcome = await q.api.submitTasksDetailed!(xs.map((x) => ({ args: { x }, dedup: true })));
    expect(outcome.map((t) => t.created)).toEqual(xs.map((x, i) => x !== 5 && i < 10));
    outcome.forEach((t, i) => expect(t.taskId).toBe(xs[i] === 5 ? existing : outcome[xs[i]!]!.taskId));
    expect(await q.broker.store.countTasks(q.queueId, "pending")).toBe(10);
    expect(q.calls.most).toBe(2);
    // Created in submission order: each created event's sequence follows the one before.
    const events = await q.redis.xrangeBuffer(q.broker.store.keys.events(q.queueId), "-", "+");
    const created = events.map(([, fields]) => taskIdFromStored(fields[fields.findIndex((field) => field.toString() === "entity_id") + 1]!));
    expect(created).toEqual([existing, ...outcome.slice(0, 10).filter((t) => t.created).map((t) => t.taskId)]);
  });

  it("makes no script call for an empty submission", async () => {
    await using q = await batchedQueue(4);
    expect(await q.api.submitTasksDetailed!([])).toEqual([]);
    expect(q.calls.most).toBe(0);
  });

  it("stores nothing of the batches after one that is refused", async () => {
    await using q = await batchedQueue(3);
    const tasks = [
      ...Array.from({ length: 6 }, (_, i) => ({ args: { i }, dedup: true })),
      { args: { i: 6 }, dependsOn: ["t_AAAAAAAAAAAA"] },
      ...Array.from({ length: 5 }, (_, i) => ({ args: { i: 7 + i }, dedup: true })),
    ];
    await expect(q.api.submitTasks(tasks)).rejects.toThrow(/Task 7 of the submission depends on t_AAAAAAAAAAAA/);
    const stored = (await q.api.lsTasks({ limit: 100 })).content.map((task) => task.args.i);
    expect(stored.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // The second batch went behind the first; the third, with a dependency, waited for the second's reply.
    expect(q.calls.most).toBe(2);
  });

  it("sends a batch that leaves dedup to the queue's default after the queue's answer, which it follows", async () => {
    await using q = await batchedQueue(2, { dedup: true });
    const existing = await q.api.submitTask({ args: { x: 1 }, dedup: true });
    // Batch 1 decides for itself; batch 2 leaves it to the queue, which dedups; batch 3 decides again.
    const outcome = await q.api.submitTasksDetailed!([
      { args: { x: 0 }, dedup: true }, { args: { x: 2 }, dedup: false },
      { args: { x: 1 } }, { args: { x: 0 } },
      { args: { x: 2 }, dedup: true }, { args: { x: 3 }, dedup: false },
    ]);
    expect(outcome.map((t) => t.created)).toEqual([true, true, false, false, true, true]);
    expect(outcome[2]!.taskId).toBe(existing);
    expect(outcome[3]!.taskId).toBe(outcome[0]!.taskId);
    // x 2 without dedup was not registered: the later x 2 with dedup is a task of its own.
    expect(outcome[4]!.taskId).not.toBe(outcome[1]!.taskId);
  });

  it("keeps a later batch's dependency on a task found in an earlier one pointing at the task found", async () => {
    await using q = await batchedQueue(2);
    const existing = await q.api.submitTask({ args: { stage: 1 }, dedup: true });
    const ids = await q.api.submitTasks([
      { args: { stage: 1 }, dedup: true, ref: "one" }, { args: { other: 1 }, dedup: true },
      { args: { other: 2 }, dedup: true }, { args: { other: 3 }, dedup: true },
      { args: { stage: 2 }, dependsOn: ["one"] },
    ]);
    expect(ids[0]).toBe(existing);
    expect((await q.api.getTask(ids[4]!)).dependsOn).toEqual([existing]);
  });

  it("creates nothing twice when the same script call runs again (a command resent after a reconnect)", async () => {
    await using q = await createTestQueue();
    const submitter = new TaskSubmitter({ ...(q.broker as unknown as { ctx: BrokerContext }).ctx });
    // The records of one call, kept to be sent a second time.
    const sent: NewTaskRecord[][] = [];
    const store = q.broker.store;
    const original = store.submitTasks.bind(store);
    store.submitTasks = (queueId, now, tasks, undecided) => {
      sent.push([...tasks]);
      return original(queueId, now, tasks, undecided);
    };
    const ids = await submitter.submit(q.queueId, [{ args: { x: 1 }, dedup: true }, { args: { x: 2 }, dedup: true }, { args: { x: 3 } }]);
    expect(await original(q.queueId, q.clock.now(), sent[0]!, false)).toEqual([ScriptCode.OK]);
    expect(await q.broker.store.countTasks(q.queueId, "pending")).toBe(3);
    expect(await q.redis.xlen(q.broker.store.keys.events(q.queueId))).toBe(3);
    // After a task's delete its identity is free, and the call run again creates that task again (as before).
    await q.api.deleteTask(ids.ids[0]!);
    expect(await original(q.queueId, q.clock.now(), sent[0]!, false)).toEqual([ScriptCode.OK]);
    expect((await q.api.getTask(ids.ids[0]!)).args).toEqual({ x: 1 });
    expect(await q.api.submitTasks([{ args: { x: 1 }, dedup: true }, { args: { x: 2 }, dedup: true }])).toEqual(ids.ids.slice(0, 2));
  });

  it("leaves a task alone when its call runs again with the queue's default identity, after the queue began to dedup", async () => {
    await using q = await createTestQueue();
    const sent: NewTaskRecord[][] = [];
    const store = q.broker.store;
    const original = store.submitTasks.bind(store);
    store.submitTasks = (queueId, now, tasks, undecided) => {
      sent.push(tasks.map((record) => ({ ...record })));
      return original(queueId, now, tasks, undecided);
    };
    // Created while the queue does not dedup: no identity registered. Then claimed.
    const [id] = await q.api.submitTasks([{ args: { x: 1 } }]);
    expect((await q.api.fetchTask())?.taskId).toBe(id);
    await q.api.updateQueue({ metadataUpdate: { dedup: true } });
    // The same call resent (a reconnect), now with the identity the queue's default asks for: the identity is free,
    // yet the task exists and must not be created again over itself.
    const resent = sent[0]!.map((record) => ({ ...record, extensions: { defaultIdentity: taskIdentity(record.taskName, { x: 1 }) } }));
    expect((await original(q.queueId, q.clock.now(), resent, false))[0]).toBe(ScriptCode.OK);
    expect((await q.api.getTask(id!)).status).toBe("running");
    expect(await q.broker.store.countTasks(q.queueId, "pending")).toBe(0);
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
