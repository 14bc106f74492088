import { describe, expect, it } from "vitest";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { QueueLayoutError } from "../../src/core/errors.js";
import { ScriptCode } from "../../src/store/scriptCodes.js";
import { createTestQueue } from "../support/redis.js";

describe("a queue stored in an earlier layout of keys", () => {
  it("is refused by every request and every script that would touch its tasks, saying how to migrate it", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await q.redis.hdel(q.broker.store.keys.queue(q.queueId), "layout");
    const api = new DirectLabtasker(q.broker, { queueName: q.queueName, password: "secret" });
    const refused = { status: 503, detail: expect.stringContaining("labtasker-server migrate") as unknown };
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
