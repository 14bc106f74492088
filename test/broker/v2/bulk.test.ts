/** v2's bulk update (PATCH .../tasks): all or nothing, running tasks left out, archived ones only when asked. */
import { describe, expect, it } from "vitest";
import { createV2Queue, runId, taskId } from "./support.js";

describe("bulk update", () => {
  it("counts the matches (running ones left out) and the tasks it changed", async () => {
    await using q = await createV2Queue();
    const ids = [taskId(), taskId(), taskId()];
    await q.v2.putTask(q.queue, ids[0]!, { args: { k: 1 }, priority: 2 });
    await q.v2.putTask(q.queue, ids[1]!, { args: { k: 1 } });
    await q.v2.putTask(q.queue, ids[2]!, { args: { k: 1 } });
    await q.v2.claimTask(q.queue, "default", runId()); // ids[0]
    q.clock.advance(1000);
    expect(await q.v2.updateTasks(q.queue, { filter: "args.k == 1" }, { priority: 0 })).toEqual({ matched: 2, updated: 0 });
    expect(await q.v2.updateTasks(q.queue, { filter: "args.k == 1" }, { priority: 7, metadata: { batch: "b" } })).toEqual({ matched: 2, updated: 2 });
    const tasks = await Promise.all(ids.map((id) => q.v2.getTask(q.queue, id)));
    expect(tasks.map((task) => task.priority)).toEqual([2, 7, 7]);
    expect(tasks[1]).toMatchObject({ metadata: { batch: "b" }, updated_at: new Date(q.clock.ms) });
  });

  it("refuses the whole batch when one match cannot be archived (update_conflict, 409); needs a filter (invalid_filter)", async () => {
    await using q = await createV2Queue();
    const [done, pending] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, done, {});
    await q.v2.putTask(q.queue, pending, {});
    await q.v2.cancelTask(q.queue, done);
    await expect(q.v2.updateTasks(q.queue, { filter: "exists(id)" }, { archived: true })).rejects.toMatchObject({
      code: "update_conflict", status: 409, details: { task_id: pending, field: "archived", status: "pending" },
    });
    expect((await q.v2.getTask(q.queue, done)).archived).toBe(false);
    expect(await q.v2.updateTasks(q.queue, { filter: 'status == "cancelled"' }, { archived: true })).toEqual({ matched: 1, updated: 1 });
    // Archived tasks are out of later bulk updates unless asked for.
    expect(await q.v2.updateTasks(q.queue, { filter: "exists(id)" }, { priority: 4 })).toEqual({ matched: 1, updated: 1 });
    expect(await q.v2.updateTasks(q.queue, { filter: "exists(id)", includeArchived: true }, { priority: 4 })).toEqual({ matched: 2, updated: 1 });
    await expect(q.v2.updateTasks(q.queue, { filter: "  " }, { priority: 1 })).rejects.toMatchObject({ code: "invalid_filter", status: 422 });
    await expect(q.v2.updateTasks(q.queue, { filter: "nope == 1" }, { priority: 1 })).rejects.toMatchObject({ code: "invalid_filter" });
    await expect(q.v2.updateTasks("no-such-queue", { filter: "exists(id)" }, { priority: 1 })).rejects.toMatchObject({ code: "queue_not_found" });
  });

  it("moves changed routes between claim indexes", async () => {
    await using q = await createV2Queue();
    const ids = [taskId(), taskId()];
    for (const id of ids) await q.v2.putTask(q.queue, id, { routes: ["cpu"] });
    expect(await q.v2.updateTasks(q.queue, { filter: '"cpu" in routes' }, { routes: ["gpu"] })).toEqual({ matched: 2, updated: 2 });
    expect(await q.v2.claimTask(q.queue, "cpu", runId())).toBeNull();
    expect((await q.v2.claimTask(q.queue, "gpu", runId()))?.task.routes).toEqual(["gpu"]);
  });
});
