/**
 * Dependencies of v1 submits (docs/tasks.md, "Dependencies"): a task waits until every dependency has succeeded; an
 * unknown id or the task itself is refused at submit; a batch names its earlier tasks by `ref`; a dependency's final
 * failure or cancellation cancels its waiting dependents (blocked_by), transitively, and its return brings them back.
 */
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import type { Labtasker } from "../../src/core/api.js";
import { BadRequestError } from "../../src/core/errors.js";
import { createTestQueue, redisUrl } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

/** Fetches the next task and reports it with `status`; returns its id. */
async function run(api: Labtasker, status: "success" | "failed" = "success"): Promise<string | null> {
  const task = await api.fetchTask();
  if (task === null) return null;
  await api.reportTaskStatus(task.taskId, status);
  return task.taskId;
}

describe.each(TRANSPORTS)("dependencies over %s", (transport) => {
  it("keep a task out of fetches until every dependency succeeded, then release it", async () => {
    await using q = await queueOver(transport);
    const a = await q.api.submitTask({ args: { step: 1 }, priority: 1 });
    const b = await q.api.submitTask({ args: { step: 2 }, priority: 1 });
    const c = await q.api.submitTask({ args: { step: 3 }, priority: 100, dependsOn: [a, b] });
    const waiting = await q.api.getTask(c);
    expect(waiting).toMatchObject({ status: "pending", dependsOn: [a, b], waiting: true });
    expect(await run(q.api)).toBe(a);
    expect((await q.api.getTask(c)).waiting).toBe(true);
    expect(await run(q.api)).toBe(b);
    const released = await q.api.getTask(c);
    expect(released.waiting).toBeUndefined();
    expect(released.dependsOn).toEqual([a, b]);
    expect(await run(q.api)).toBe(c);
    expect(await q.api.fetchTask()).toBeNull();
  });

  it("refuse an unknown id and the task itself, naming them, and store nothing of the batch", async () => {
    await using q = await queueOver(transport);
    const a = await q.api.submitTask({ args: { x: 1 } });
    await expect(q.api.submitTask({ args: { x: 2 }, dependsOn: ["t_AAAAAAAAAAAA"] })).rejects.toThrow(
      /The task depends on t_AAAAAAAAAAAA, which is neither a task of the queue/,
    );
    await expect(q.api.submitTask({ args: { x: 2 }, dependsOn: ["nope"] })).rejects.toBeInstanceOf(BadRequestError);
    await expect(q.api.submitTask({ args: { x: 2 }, taskId: "t_selfselfself", dependsOn: ["t_selfselfself"] })).rejects.toThrow(/depends on itself/);
    await expect(q.api.submitTasks([
      { args: { x: 3 }, dependsOn: [a] },
      { args: { x: 4 }, dependsOn: ["t_BBBBBBBBBBBB"] },
    ])).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^Task 2 of the submission depends on t_BBBBBBBBBBBB/) });
    expect((await q.api.lsTasks()).content.map((task) => task.taskId)).toEqual([a]);
  });

  it("resolve refs to earlier tasks of the batch, by key, and refuse later ones", async () => {
    await using q = await queueOver(transport);
    const [train, evaluate] = await q.api.submitTasks([
      { args: { stage: "train" }, ref: "train" },
      { args: { stage: "eval" }, ref: "eval", dependsOn: ["train"] },
    ]);
    expect((await q.api.getTask(evaluate!)).dependsOn).toEqual([train]);
    await expect(q.api.submitTasks([{ args: { a: 1 }, dependsOn: ["later"] }, { args: { a: 2 }, ref: "later" }])).rejects.toThrow(/ref of a later task/);
    await expect(q.api.submitTasks([{ args: { a: 1 }, ref: "t_AAAAAAAAAAAA" }])).rejects.toMatchObject({ status: 422 });
    expect(await run(q.api)).toBe(train);
    expect(await run(q.api)).toBe(evaluate);
  });

  it("cancel waiting dependents transitively when a dependency fails for good, and bring them back when it is re-queued", async () => {
    await using q = await queueOver(transport);
    const a = await q.api.submitTask({ args: { n: 1 }, maxRetries: 1 });
    const b = await q.api.submitTask({ args: { n: 2 }, dependsOn: [a] });
    const c = await q.api.submitTask({ args: { n: 3 }, dependsOn: [b] });
    const other = await q.api.submitTask({ args: { n: 4 } });
    expect(await run(q.api, "failed")).toBe(a);
    expect(await q.api.getTask(a)).toMatchObject({ status: "failed" });
    expect(await q.api.getTask(b)).toMatchObject({ status: "cancelled", blockedBy: a });
    expect(await q.api.getTask(c)).toMatchObject({ status: "cancelled", blockedBy: b });
    expect((await q.api.getTask(c)).waiting).toBeUndefined();
    // The re-queue (task update --reset-pending is this update) brings the chain back, waiting again.
    await q.api.updateTasks([{ taskId: a, status: "pending", retries: 0 }]);
    const [restoredB, restoredC] = [await q.api.getTask(b), await q.api.getTask(c)];
    expect(restoredB).toMatchObject({ status: "pending", waiting: true });
    expect(restoredB.blockedBy).toBeUndefined();
    expect(restoredC).toMatchObject({ status: "pending", waiting: true });
    const order: Array<string | null> = [];
    for (let i = 0; i < 5; i++) order.push(await run(q.api));
    expect(order.filter((id) => id !== other)).toEqual([a, b, c, null]);
    expect(order).toContain(other);
  });

  it("leave dependents alone on a retry (not final), and cancel them when the dependency is cancelled", async () => {
    await using q = await queueOver(transport);
    const a = await q.api.submitTask({ args: { n: 1 }, maxRetries: 2 });
    const b = await q.api.submitTask({ args: { n: 2 }, dependsOn: [a] });
    expect(await run(q.api, "failed")).toBe(a);
    expect(await q.api.getTask(a)).toMatchObject({ status: "pending", retries: 1 });
    expect(await q.api.getTask(b)).toMatchObject({ status: "pending", waiting: true });
    await q.api.updateTasks([{ taskId: a, status: "cancelled" }]);
    expect(await q.api.getTask(b)).toMatchObject({ status: "cancelled", blockedBy: a });
    // A task submitted on a dependency that has already ended for good is cancelled at once, and comes back with it.
    const late = await q.api.submitTask({ args: { n: 3 }, dependsOn: [a] });
    expect(await q.api.getTask(late)).toMatchObject({ status: "cancelled", blockedBy: a });
    await q.api.updateTasks([{ taskId: a, status: "pending" }]);
    expect(await q.api.getTask(late)).toMatchObject({ status: "pending", waiting: true });
    expect(await q.api.getTask(b)).toMatchObject({ status: "pending", waiting: true });
  });
});

describe("a dependency ending while its dependent is cancelled", () => {
  it("leaves every task in the index of its status, whichever script runs first", async () => {
    await using q = await createTestQueue();
    const pairs = 40;
    const dependencies = await q.api.submitTasks(Array.from({ length: pairs }, (_, i) => ({ args: { i }, maxRetries: 1 })));
    const dependents = await q.api.submitTasks(dependencies.map((id, i) => ({ args: { after: i }, dependsOn: [id] })));
    const workerId = await q.api.createWorker();
    const running: string[] = [];
    for (let i = 0; i < pairs; i++) running.push((await q.api.fetchTask({ workerId }))!.taskId);
    expect(new Set(running)).toEqual(new Set(dependencies));
    // Two connections: one ends each dependency (success for even ones, a final failure for odd ones), the other
    // cancels each dependent, both at once.
    const connect = () => {
      const redis = new Redis(redisUrl());
      const broker = new Broker({ redis, keyPrefix: q.prefix, now: q.clock.now });
      return { api: new DirectLabtasker(broker, { queueName: q.queueName, password: "secret" }), close: async () => { await broker.close(); redis.disconnect(); } };
    };
    const [ender, canceller] = [connect(), connect()];
    try {
      await Promise.all([
        ...dependencies.map((id, i) => ender.api.reportTaskStatus(id, i % 2 === 0 ? "success" : "failed", { workerId })),
        ...dependents.map((id) => canceller.api.updateTasks([{ taskId: id, status: "cancelled" }], { resetPending: false })),
      ]);
    } finally {
      await ender.close();
      await canceller.close();
    }
    for (const id of dependents) {
      const task = await q.api.getTask(id);
      expect(task.status).toBe("cancelled");
      expect(task.waiting).toBeUndefined();
    }
    const store = q.broker.store;
    expect(await store.countTasks(q.queueId, "pending")).toBe(0);
    expect(await store.countTasks(q.queueId, "cancelled")).toBe(pairs);
    expect(await store.countTasks(q.queueId, "success")).toBe(pairs / 2);
    expect(await store.countTasks(q.queueId, "failed")).toBe(pairs / 2);
    expect(await q.redis.zcard(q.broker.store.keys.waiting(q.queueId))).toBe(0);
    expect(await q.api.fetchTask()).toBeNull();
    // Re-queueing a failed dependency brings back only a dependent it cancelled itself (blocked_by), never one a user
    // cancelled: those whose cancellation came first stay cancelled.
    const failed = dependencies.filter((_, i) => i % 2 === 1);
    await q.api.updateTasks(failed.map((taskId) => ({ taskId, status: "pending" as const })));
    for (const [i, id] of dependents.entries()) {
      const task = await q.api.getTask(id);
      const state = [task.status, task.blockedBy ?? null, task.waiting ?? false];
      // Even: the dependency succeeded, the dependent stays cancelled. Odd: cancelled by the user (and kept so), or by
      // the cascade (then back, waiting again).
      const allowed = i % 2 === 0 ? [["cancelled", null, false]] : [["cancelled", null, false], ["pending", null, true]];
      expect(allowed).toContainEqual(state);
    }
  });
});
