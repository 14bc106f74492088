import { describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { createTestQueue, redisUrl } from "../support/redis.js";

describe("concurrent fetchers", () => {
  it("20 fetchers on separate connections drain 5,000 tasks, each claimed exactly once", async () => {
    await using q = await createTestQueue();
    const tasks = Array.from({ length: 5000 }, (_, i) => ({ args: { i }, priority: i % 7 }));
    const submitted = await q.api.submitTasks(tasks);
    expect(new Set(submitted).size).toBe(5000);

    const claims: string[] = [];
    const fetchers = Array.from({ length: 20 }, async () => {
      const redis = new Redis(redisUrl());
      const broker = new Broker({ redis, keyPrefix: q.prefix, now: q.clock.now });
      const api = new DirectLabtasker(broker, { queueName: q.queueName, password: "secret" });
      const workerId = await api.createWorker();
      for (let task = await api.fetchTask({ workerId }); task; task = await api.fetchTask({ workerId })) {
        claims.push(task.taskId);
        await api.reportTaskStatus(task.taskId, "success", { workerId });
      }
      await broker.close();
      redis.disconnect();
    });
    await Promise.all(fetchers);

    expect(claims).toHaveLength(5000);
    expect(new Set(claims)).toEqual(new Set(submitted));
    expect((await q.api.lsTasks({ status: "success", limit: 1 })).found).toBe(true);
    expect(await q.broker.store.countTasks(q.queueId, "success")).toBe(5000);
    expect(await q.broker.store.countTasks(q.queueId, "pending")).toBe(0);
  });
});
