/**
 * v2 listings and grouped counts kept per listing while no task changes: pages concatenated equal the full order,
 * a change is seen on the next call, and counts agree with listings (the web UI's "Loaded N / M").
 */
import { describe, expect, it } from "vitest";
import { createV2Queue, runId, taskId } from "./support.js";

describe("cached listing orders", () => {
  it("pages concatenated equal the full order; counts agree; a change shows on the next call", async () => {
    await using q = await createV2Queue();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(taskId());
      await q.v2.putTask(q.queue, ids[i]!, { priority: i % 3 });
      q.clock.advance(1);
    }
    const all = await q.v2.listTasks(q.queue, { limit: 1000, orderBy: "created_at", descending: true });
    expect(all.items.map((task) => task.id)).toEqual([...ids].reverse());
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof q.v2.listTasks>> = await q.v2.listTasks(q.queue, { limit: 7, orderBy: "created_at", descending: true, ...(cursor ? { cursor } : {}) });
      paged.push(...page.items.map((task) => task.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual([...ids].reverse());
    expect(await q.v2.countTasks(q.queue, {})).toBe(paged.length);

    // A claim and a new task change the queue: the next listing and grouped count show them.
    const claim = await q.v2.claimTask(q.queue, "default", runId());
    const extra = taskId();
    await q.v2.putTask(q.queue, extra, { routes: ["gpu"] });
    const pending = await q.v2.listTasks(q.queue, { limit: 1000, status: "pending" });
    expect(pending.items.map((task) => task.id)).not.toContain(claim!.task.id);
    expect(pending.items.map((task) => task.id)).toContain(extra);
    expect(pending.items.length).toBe(await q.v2.countTasks(q.queue, { status: "pending" }));
    const groups = await q.v2.countTaskGroups(q.queue, { filter: 'status in ["pending", "running"]' }, ["routes", "status"], { limit: 1000 });
    expect(groups.items).toEqual([
      { key: { routes: "default", status: "pending" }, count: 24 },
      { key: { routes: "default", status: "running" }, count: 1 },
      { key: { routes: "gpu", status: "pending" }, count: 1 },
    ]);
    // A progress report writes no event: the listing shows it all the same.
    expect((await q.v2.listTasks(q.queue, { status: "running" })).items).toMatchObject([{ id: claim!.task.id, progress: null }]);
    await q.v2.reportProgress(q.queue, claim!.task.id, claim!.run_id, { step: 1 });
    expect((await q.v2.listTasks(q.queue, { status: "running" })).items).toMatchObject([{ id: claim!.task.id, progress: { step: 1 } }]);
    // A deleted task leaves the next listing.
    await q.v2.deleteTask(q.queue, extra);
    expect((await q.v2.listTasks(q.queue, { limit: 1000, status: "pending" })).items.map((task) => task.id)).not.toContain(extra);
  });
});
