/**
 * Layout 3 (labtasker v2's ids, fields and indexes) over layout 2: a server of layout 2 must not misread a queue this
 * version wrote, so a queue of layout 2 is refused until a server of this version migrates it at start, which only
 * writes the new layout (its tasks have none of what layout 3 adds).
 */
import { describe, expect, it } from "vitest";
import { migrateQueues } from "../../../src/broker/migrate.js";
import { LUA_CONSTANTS } from "../../../src/store/luaConstants.js";
import { ScriptCode } from "../../../src/store/scriptCodes.js";
import { createTestQueue } from "../../support/redis.js";
import { runId } from "./support.js";

describe("a queue of layout 2", () => {
  it("is refused by v1 and v2 until the start's migration writes layout 3, its tasks untouched", async () => {
    await using q = await createTestQueue();
    const { store } = q.broker;
    const [pending, running] = await q.api.submitTasks([{ args: { a: 1 }, priority: 5 }, { args: { b: 2 }, priority: 0 }]);
    const workerId = await q.api.createWorker();
    await q.api.fetchTask({ workerId }); // the first: priority 5
    await q.redis.hset(store.keys.queue(q.queueId), "layout", "2");
    expect((await store.expireTasks(q.queueId, 0, 1))[0]).toBe(ScriptCode.QUEUE_LAYOUT);
    await expect(q.broker.v2.claimTask(q.queueName, "default", runId())).rejects.toMatchObject({ code: "database_busy", status: 503 });
    await expect(q.broker.v2.getTask(q.queueName, pending!)).rejects.toMatchObject({ code: "database_busy" });
    const lines: string[] = [];
    expect(await migrateQueues(store, (line) => lines.push(line))).toBe(1);
    expect(lines.join("\n")).toMatch(/Migrating queue .* from Redis layout 2 to 3\n/);
    expect(await q.redis.hget(store.keys.queue(q.queueId), "layout")).toBe(LUA_CONSTANTS.STORE_LAYOUT);
    expect(await q.api.getTask(pending!)).toMatchObject({ status: "running", workerId });
    expect((await q.broker.v2.claimTask(q.queueName, "default", runId()))?.task.id).toBe(running);
    await q.api.reportTaskStatus(pending!, "success", { workerId });
    expect((await q.broker.v2.getTask(q.queueName, pending!)).status).toBe("succeeded");
  });
});
