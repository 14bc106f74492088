/** v2's queues: the v1 queues by name; `default` at a server's start; deletion with v2's refusals. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DirectLabtasker } from "../../../src/broker/direct.js";
import { migrateQueues } from "../../../src/broker/migrate.js";
import { createTestBroker } from "../../support/redis.js";
import { runId, taskId } from "./support.js";

const name = () => `q-${randomBytes(4).toString("hex")}`;

describe("v2 queues", () => {
  it("are created once, listed by name with v1's (names v2 cannot spell left out), and reached by v1 with an empty password", async () => {
    await using t = createTestBroker();
    const [a, b] = [name(), name()];
    expect(await t.broker.v2.ensureQueue(b)).toBe(true);
    expect(await t.broker.v2.ensureQueue(b)).toBe(false);
    await t.broker.queues.create({ queueName: a, password: "pw" });
    await t.broker.queues.create({ queueName: `_${a}`, password: "pw" }); // v1 allows a leading underscore, v2 does not
    expect(await t.broker.v2.listQueues()).toEqual([a, b].sort());
    const v1 = new DirectLabtasker(t.broker, { queueName: b, password: "" });
    const id = await v1.submitTask({ args: { x: 1 } });
    expect(id).toMatch(/^t_[A-Za-z0-9_-]{12}$/);
    expect((await t.broker.v2.getTask(b, id)).args).toEqual({ x: 1 });
  });

  it("the default queue is created at a server's start (with the migration), once", async () => {
    await using t = createTestBroker();
    const lines: string[] = [];
    await migrateQueues(t.broker.store, (line) => lines.push(line));
    await migrateQueues(t.broker.store, (line) => lines.push(line));
    expect(await t.broker.v2.listQueues()).toEqual(["default"]);
    expect(lines.filter((line) => line.includes("default"))).toHaveLength(1);
  });

  it("refuse deletion while a task runs, even with cascade, and without cascade while tasks remain", async () => {
    await using t = createTestBroker();
    const queue = name();
    await t.broker.v2.ensureQueue(queue);
    const id = taskId();
    await t.broker.v2.putTask(queue, id, {});
    await t.broker.v2.claimTask(queue, "default", runId());
    await expect(t.broker.v2.deleteQueue(queue, { cascade: true })).rejects.toMatchObject({ code: "queue_has_running_tasks", status: 409, details: { queue, running: 1 } });
    await t.broker.v2.cancelTask(queue, id);
    await expect(t.broker.v2.deleteQueue(queue)).rejects.toMatchObject({ code: "queue_not_empty", status: 409, details: { queue, tasks: 1 } });
    await t.broker.v2.reportWorker(queue, "w_aaaaaaaaaaaa", { route: "gpu", status: "idle", task_id: null });
    await t.broker.v2.deleteQueue(queue, { cascade: true });
    expect(await t.broker.v2.listQueues()).toEqual([]);
    await expect(t.broker.v2.deleteQueue(queue)).rejects.toMatchObject({ code: "queue_not_found", status: 404 });
    expect(await t.redis.keys(`${t.prefix}:{*`)).toEqual([]);
    // The name is free again, for a new queue.
    expect(await t.broker.v2.ensureQueue(queue)).toBe(true);
    await expect(t.broker.v2.getTask(queue, id)).rejects.toMatchObject({ code: "task_not_found" });
    await t.broker.v2.deleteQueue(queue);
  });
});
