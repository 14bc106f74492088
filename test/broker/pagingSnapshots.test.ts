import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { SNAPSHOT_GONE_STATUS, type SortSpec } from "../../src/core/api.js";
import { createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

const byI: SortSpec = [["args.i", 1]];
const matching = { "args.i": { $gte: 0 } };

describe.each(TRANSPORTS)("a listing snapshot over %s", (transport) => {
  it("keeps the first page's order while tasks change, with each task as it is now; the deleted and the no longer matching are left out", async () => {
    await using q = await queueOver(transport);
    const ids = await q.api.submitTasks(Array.from({ length: 30 }, (_, i) => ({ args: { i } })));
    const snapshot = randomUUID();
    const page = async (offset: number) => (await q.api.lsTasks({ extraFilter: matching, sort: byI, limit: 7, offset, snapshot })).content;

    const first = await page(0);
    expect(first.map((task) => task.args.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Between pages: one deleted, one no longer matching, one moved to the end of the order, one added.
    await q.api.deleteTask(ids[8]!);
    await q.api.updateTasks([{ taskId: ids[9]!, args: { i: -1 } }]);
    await q.api.updateTasks([{ taskId: ids[10]!, args: { i: 100 }, priority: 50 }]);
    await q.api.submitTask({ args: { i: 7.5 } });

    const rest: Array<{ i: unknown; priority: number }> = [];
    for (let offset = 7; ; offset += 7) {
      const content = await page(offset);
      rest.push(...content.map((task) => ({ i: task.args.i, priority: task.priority })));
      if (content.length < 7) break;
    }
    // Pages stay full (the page is filled from the next ones), so a short page is the last; no task twice, none skipped.
    const expected = Array.from({ length: 23 }, (_, n) => n + 7).filter((i) => i !== 8 && i !== 9).map((i) => (i === 10 ? 100 : i));
    expect(rest.map(({ i }) => i)).toEqual(expected);
    expect(rest.find(({ i }) => i === 100)?.priority).toBe(50);

    // Without the snapshot, the same offsets read the listing as it is now.
    expect((await q.api.lsTasks({ extraFilter: matching, sort: byI, limit: 3, offset: 7 })).content.map((task) => task.args.i)).toEqual([7, 7.5, 11]);
  });

  it("answers a later page of a snapshot it does not keep with status 410, and makes one only at offset 0", async () => {
    await using q = await queueOver(transport);
    await q.api.submitTasks(Array.from({ length: 5 }, (_, i) => ({ args: { i } })));
    await expect(q.api.lsTasks({ sort: byI, limit: 2, offset: 2, snapshot: "never-made" })).rejects.toMatchObject({ status: SNAPSHOT_GONE_STATUS });
    const snapshot = randomUUID();
    expect(await q.api.supports("listing-snapshots")).toBe(true);
    expect((await q.api.lsTasks({ sort: byI, limit: 2, offset: 0, snapshot })).content).toHaveLength(2);
    expect((await q.api.lsTasks({ sort: byI, limit: 2, offset: 2, snapshot })).content.map((task) => task.args.i)).toEqual([2, 3]);
    // Another query under the same id is another snapshot.
    await expect(q.api.lsTasks({ sort: [["args.i", -1]], limit: 2, offset: 2, snapshot })).rejects.toMatchObject({ status: SNAPSHOT_GONE_STATUS });
    // Listings in index order are read live from the indexes: no snapshot to lose.
    const indexOrder: SortSpec = [["priority", -1], ["last_modified", 1], ["created_at", 1]];
    expect((await q.api.lsTasks({ sort: indexOrder, limit: 2, offset: 2, snapshot: "never-made" })).content).toHaveLength(2);
  });

  it("refuses a malformed snapshot id", async () => {
    await using q = await queueOver(transport);
    await expect(q.api.lsTasks({ sort: byI, snapshot: "no spaces" })).rejects.toMatchObject({ status: 422 });
    await expect(q.api.lsTasks({ sort: byI, snapshot: "x".repeat(65) })).rejects.toMatchObject({ status: 422 });
  });
});

describe("paging while a sweep changes the queue", () => {
  it("evaluates a snapshot's listing once; without a snapshot, once a page", async () => {
    await using q = await createTestQueue();
    const ids = await q.api.submitTasks(Array.from({ length: 40 }, (_, i) => ({ args: { i } })));
    const evaluations = vi.spyOn(q.broker.store, "statusIndexKeys");
    const pages = async (snapshot: string | null) => {
      evaluations.mockClear();
      for (let offset = 0; offset < 40; offset += 10) {
        await q.api.lsTasks({ extraFilter: matching, sort: byI, limit: 10, offset, snapshot });
        q.clock.advance(1);
        await q.api.updateTasks([{ taskId: ids[offset]!, summary: { step: offset } }]); // a new task revision each page
      }
      return evaluations.mock.calls.length;
    };
    // Each evaluation looks up the indexes of the five statuses.
    expect(await pages(randomUUID())).toBe(5);
    expect(await pages(null)).toBe(20);
  });
});
