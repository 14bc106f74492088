import { describe, expect, it } from "vitest";
import { createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe("listing tasks (contract 2.4)", () => {
  it("defaults to last_modified ascending, filters by status, name, id and predicate", async () => {
    await using q = await createTestQueue();
    const a = await q.api.submitTask({ args: { lr: 0.1 }, taskName: "grid" });
    q.clock.advance(5);
    const b = await q.api.submitTask({ args: { lr: 0.01 }, taskName: "grid" });
    q.clock.advance(5);
    const c = await q.api.submitTask({ args: { lr: 0.5 }, taskName: "other" });
    q.clock.advance(5);
    await q.api.updateTasks([{ taskId: a, priority: 1 }]);
    expect((await q.api.lsTasks()).content.map((t) => t.taskId)).toEqual([b, c, a]);
    expect((await q.api.lsTasks({ taskName: "grid" })).content.map((t) => t.taskId)).toEqual([b, a]);
    expect((await q.api.lsTasks({ taskId: c })).content.map((t) => t.taskId)).toEqual([c]);
    const big = await q.api.lsTasks({ extraFilter: (doc) => (doc.args as { lr: number }).lr > 0.05, sort: [["args.lr", -1]] });
    expect(big.content.map((t) => t.taskId)).toEqual([c, a]);
    expect(await q.api.lsTasks({ status: "success" })).toEqual({ found: false, content: [] });
  });
});

describe.each(TRANSPORTS)("listing tasks (contract 2.4) over %s", (transport) => {
  it("pages in index order (the CLI's default) across statuses", async () => {
    await using q = await queueOver(transport);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(await q.api.submitTask({ args: { i }, priority: i % 2 === 0 ? 20 : 10 }));
      q.clock.advance(5);
    }
    await q.api.fetchTask(); // ids[0] becomes running (priority 20)
    const cliOrder: Array<[string, 1 | -1]> = [["priority", -1], ["last_modified", 1], ["created_at", 1]];
    const pages: string[][] = [];
    for (let offset = 0; ; offset += 3) {
      const page = await q.api.lsTasks({ sort: cliOrder, limit: 3, offset });
      if (!page.found) break;
      pages.push(page.content.map((t) => t.taskId));
    }
    // priority 20: 2, 4, 6 (pending, older first) and 0 (running, modified last); then priority 10: 1, 3, 5
    expect(pages.flat()).toEqual([ids[2], ids[4], ids[6], ids[0], ids[1], ids[3], ids[5]]);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
  });

  it("validates limit, offset and sort as v1's request model does", async () => {
    await using q = await queueOver(transport);
    await expect(q.api.lsTasks({ limit: 1001 })).rejects.toMatchObject({ status: 422 });
    await expect(q.api.lsTasks({ offset: -1 })).rejects.toMatchObject({ status: 422 });
    await expect(q.api.lsTasks({ sort: [["priority", 2 as 1]] })).rejects.toMatchObject({ status: 422 });
  });
});

describe.each(TRANSPORTS)("paging through a filtered listing over %s", (transport) => {
  it("pages from one evaluation, and recomputes as soon as any task changes", async () => {
    await using q = await queueOver(transport);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await q.api.submitTask({ args: { i } }));
    const query = { extraFilter: { "args.i": { $gte: 0 } }, sort: [["args.i", 1]] as Array<[string, 1 | -1]>, limit: 2 };
    const page = async (offset: number) => (await q.api.lsTasks({ ...query, offset })).content.map((t) => t.args.i);
    expect(await page(0)).toEqual([0, 1]);
    expect(await page(2)).toEqual([2, 3]);
    await q.api.updateTasks([{ taskId: ids[0]!, args: { i: -1 } }]);
    expect(await page(0)).toEqual([1, 2]);
    await q.api.deleteTask(ids[1]!);
    expect(await page(0)).toEqual([2, 3]);
    await q.api.submitTask({ args: { i: 2.5 } });
    expect(await page(2)).toEqual([3, 4]);
  });
});
