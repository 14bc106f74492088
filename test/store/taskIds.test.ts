import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TASK_ID_PATTERN, mintRunId, mintTaskId, newTaskIdArgument, storedTaskId, taskIdArgument, taskIdFromStored } from "../../src/store/taskIds.js";
import { createTestQueue } from "../support/redis.js";

describe("stored task ids", () => {
  it("mints ids of v2's form and keeps them as their 9 bytes; an id a v2 client chose too", () => {
    const ids = Array.from({ length: 1000 }, mintTaskId);
    for (const id of ids) {
      expect(id).toMatch(TASK_ID_PATTERN);
      expect(storedTaskId(id)).toHaveLength(9);
      expect(taskIdFromStored(storedTaskId(id))).toBe(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ["t_AAAAAAAAAAAA", "t_____________", "t_------------", "t_zZ09-_aA9z-_"]) {
      expect(taskIdFromStored(storedTaskId(id))).toBe(id);
      expect(taskIdArgument(id)).toBe(id);
    }
    expect(mintRunId()).toMatch(/^r_[A-Za-z0-9_-]{12}$/);
  });

  it("converts ids in Lua as in TypeScript, every character of the alphabet included", async () => {
    await using q = await createTestQueue();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let at = 0; at < alphabet.length; at += 12) {
      const id = `t_${alphabet.slice(at, at + 12).padEnd(12, "_")}`;
      await q.broker.v2.putTask(q.queueName, id, { args: { at } });
      expect(await q.redis.hexists(q.broker.store.keys.tasks(q.queueId), storedTaskId(id))).toBe(1);
      expect((await q.api.getTask(id)).args).toEqual({ at });
    }
  });

  it("keeps a UUID as its 16 bytes, and reads it back", () => {
    const id = randomUUID();
    expect(storedTaskId(id)).toHaveLength(16);
    expect(taskIdFromStored(storedTaskId(id))).toBe(id);
  });

  it("keeps any other id as its text, which names no task; creating one is refused", async () => {
    expect(taskIdFromStored(storedTaskId("not-a-uuid"))).toBe("not-a-uuid");
    expect(taskIdArgument("not-a-uuid")).toBe("-");
    expect(() => newTaskIdArgument("not-a-uuid")).toThrow(/UUID/);
    await using q = await createTestQueue();
    const id = await q.api.submitTask({ args: { a: 1 } });
    await expect(q.api.getTask(id.toUpperCase())).rejects.toMatchObject({ status: 404 });
    await expect(q.api.getTask("x")).rejects.toMatchObject({ status: 404 });
    await expect(q.api.deleteTask(id.toUpperCase())).rejects.toMatchObject({ status: 404 });
    await expect(q.api.reportTaskStatus("x", "success")).rejects.toMatchObject({ status: 404 });
    expect((await q.api.getTask(id)).taskId).toBe(id);
  });

  it("orders the members of an index by time, then creation, across byte boundaries of both", async () => {
    await using q = await createTestQueue();
    const ids: string[] = [];
    q.clock.ms = 255;
    // Creation numbers 1 to 300 in one ms, past 255.
    ids.push(...(await q.api.submitTasks(Array.from({ length: 300 }, (_, i) => ({ args: { i } })))));
    for (const ms of [256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40]) {
      q.clock.ms = ms;
      ids.push(await q.api.submitTask({ args: { ms } }));
    }
    const order: Array<[string, 1 | -1]> = [["priority", -1], ["last_modified", 1], ["created_at", 1]];
    const listed = await q.api.lsTasks({ status: "pending", sort: order, limit: 1000 });
    expect(listed.content.map((task) => task.taskId)).toEqual(ids);
    const fetched: string[] = [];
    for (let task = await q.api.fetchTask(); task; task = await q.api.fetchTask()) fetched.push(task.taskId);
    expect(fetched).toEqual(ids);
  });
});
