/** v2's listings and counts: order, keyset cursors, selectors, archived tasks, grouped counts. */
import { describe, expect, it } from "vitest";
import { createV2Queue, runId, taskId } from "./support.js";

async function seed(q: Awaited<ReturnType<typeof createV2Queue>>) {
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const id = taskId();
    ids.push(id);
    await q.v2.putTask(q.queue, id, { name: `train model ${i}`, args: { lr: i / 10, opt: i % 2 ? "adam" : "sgd" }, priority: i % 3, routes: i === 6 ? ["gpu", "cpu"] : undefined });
    q.clock.advance(1000);
  }
  return ids;
}

describe("listing", () => {
  it("orders by created_at descending by default, in pages joined by cursors", async () => {
    await using q = await createV2Queue();
    const ids = await seed(q);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof q.v2.listTasks>> = await q.v2.listTasks(q.queue, { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((task) => task.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...ids].reverse());
    const byPriority = await q.v2.listTasks(q.queue, { orderBy: "priority", descending: false, limit: 100 });
    expect(byPriority.items.map((task) => task.priority)).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(byPriority.nextCursor).toBeNull();
  });

  it("refuses a cursor of another selection (invalid_cursor, 422) and a bad filter (invalid_filter, 422)", async () => {
    await using q = await createV2Queue();
    await seed(q);
    const { nextCursor } = await q.v2.listTasks(q.queue, { limit: 2 });
    await expect(q.v2.listTasks(q.queue, { limit: 2, cursor: nextCursor, status: "pending" })).rejects.toMatchObject({ code: "invalid_cursor", status: 422 });
    await expect(q.v2.listTasks(q.queue, { cursor: "garbage!" })).rejects.toMatchObject({ code: "invalid_cursor" });
    await expect(q.v2.listTasks(q.queue, { filter: "bogus == 1" })).rejects.toMatchObject({ code: "invalid_filter", status: 422 });
    await expect(q.v2.countTasks(q.queue, { filter: "args.x ==" })).rejects.toMatchObject({ code: "invalid_filter" });
    await expect(q.v2.listTasks("no-such-queue")).rejects.toMatchObject({ code: "queue_not_found", status: 404 });
    await expect(q.v2.countTasks("no-such-queue")).rejects.toMatchObject({ code: "queue_not_found" });
  });

  it("selects by status, name, name_fuzzy and filter, and count agrees with the list", async () => {
    await using q = await createV2Queue();
    const ids = await seed(q);
    await q.v2.claimTask(q.queue, "default", runId()); // the first of priority 2
    const selections = [
      { status: "pending" as const },
      { status: "running" as const },
      { name: "train model 3" },
      { nameFuzzy: "TRN mdl 5" },
      { filter: 'args.opt == "adam" and priority >= 1' },
      { filter: '"gpu" in routes' },
      { filter: "args.missing != 1" },
    ];
    const expected = [6, 1, 1, 1, 2, 1, 0];
    for (const [i, selection] of selections.entries()) {
      const listed = await q.v2.listTasks(q.queue, selection);
      expect({ selection, listed: listed.items.length, counted: await q.v2.countTasks(q.queue, selection) }).toEqual({ selection, listed: expected[i], counted: expected[i] });
    }
    expect((await q.v2.listTasks(q.queue, { name: "train model 3" })).items[0]!.id).toBe(ids[3]);
  });

  it("leaves archived tasks out unless asked", async () => {
    await using q = await createV2Queue();
    const ids = await seed(q);
    await q.v2.cancelTask(q.queue, ids[0]!);
    await q.v2.updateTask(q.queue, ids[0]!, { archived: true });
    expect(await q.v2.countTasks(q.queue)).toBe(6);
    expect(await q.v2.countTasks(q.queue, { status: "cancelled" })).toBe(0);
    expect(await q.v2.countTasks(q.queue, { includeArchived: true })).toBe(7);
    expect(await q.v2.countTasks(q.queue, { status: "cancelled", includeArchived: true })).toBe(1);
    expect((await q.v2.listTasks(q.queue)).items.map((task) => task.id)).not.toContain(ids[0]);
    expect((await q.v2.listTasks(q.queue, { includeArchived: true, filter: "archived == True" })).items.map((task) => task.id)).toEqual([ids[0]]);
    // v1 sees every task as before.
    const queueId = (await q.broker.store.queueIdByName(q.queue))!;
    expect((await q.broker.listing.counts(queueId)).cancelled).toBe(1);
  });
});

describe("grouped counts", () => {
  it("count a task with two routes in both route groups; the top-level count is the matches'", async () => {
    await using q = await createV2Queue();
    await seed(q);
    await q.v2.claimTask(q.queue, "gpu", runId());
    const grouped = await q.v2.countTaskGroups(q.queue, {}, ["routes", "status"], { limit: 1000 });
    expect(grouped).toEqual({
      groupBy: ["routes", "status"],
      count: 7,
      items: [
        { key: { routes: "cpu", status: "running" }, count: 1 },
        { key: { routes: "default", status: "pending" }, count: 6 },
        { key: { routes: "gpu", status: "running" }, count: 1 },
      ],
      nextCursor: null,
    });
    const active = await q.v2.countTaskGroups(q.queue, { filter: 'status in ["pending", "running"]' }, ["status"]);
    expect(active.items).toEqual([{ key: { status: "pending" }, count: 6 }, { key: { status: "running" }, count: 1 }]);
  });

  it("page by cursor, bound to the selection", async () => {
    await using q = await createV2Queue();
    await seed(q);
    await q.v2.claimTask(q.queue, "default", runId());
    const first = await q.v2.countTaskGroups(q.queue, {}, ["status"], { limit: 1 });
    expect(first.items).toEqual([{ key: { status: "pending" }, count: 6 }]);
    const second = await q.v2.countTaskGroups(q.queue, {}, ["status"], { limit: 1, cursor: first.nextCursor });
    expect(second).toMatchObject({ count: 7, items: [{ key: { status: "running" }, count: 1 }], nextCursor: null });
    await expect(q.v2.countTaskGroups(q.queue, {}, ["routes"], { limit: 1, cursor: first.nextCursor })).rejects.toMatchObject({ code: "invalid_cursor" });
  });
});
