import { describe, expect, it } from "vitest";
import type { SortSpec } from "../../src/core/api.js";
import { createTestQueue } from "../support/redis.js";

const INDEX_ORDER: SortSpec = [["priority", -1], ["last_modified", 1], ["created_at", 1]];

/** What a listing asked of Redis for our queue's keys, as MONITOR shows it (commands run by scripts included). */
interface Cost {
  commands: number;
  /** Members read by ZRANGEs of more than one rank: the page's own. */
  rangeMembers: number;
  /** Single-rank ZRANGEs: the selection's probes. */
  probes: number;
  /** Task records read. */
  records: number;
}

describe("a page in index order", () => {
  it("reads O(page) from Redis: the 30th page of 100 costs what the first does", async () => {
    await using q = await createTestQueue();
    const ids = await q.api.submitTasks(Array.from({ length: 3000 }, (_, i) => ({ args: { i }, priority: i % 3 })));
    q.clock.advance(10);
    await q.api.updateTasks(ids.filter((_, i) => i % 3 === 1).map((taskId) => ({ taskId, status: "cancelled" as const })));
    for (let i = 0; i < 400; i++) await q.api.fetchTask();

    const monitorClient = q.redis.duplicate();
    const monitor = await monitorClient.monitor();
    const seen: string[][] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.slice(1).some((arg) => arg.startsWith(`${q.prefix}:`))) seen.push(args);
    });
    const costOf = async (offset: number): Promise<Cost> => {
      seen.length = 0;
      const page = await q.api.lsTasks({ sort: INDEX_ORDER, limit: 100, offset });
      expect(page.content).toHaveLength(100);
      const marker = `${q.prefix}:end-${offset}`;
      await q.redis.exists(marker);
      for (let i = 0; i < 100 && !seen.some((args) => args[1] === marker); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const commands = seen.filter((args) => args[1] !== marker);
      const ranges = commands.filter(([name]) => name!.toLowerCase() === "zrange").map((args) => Number(args[3]) - Number(args[2]) + 1);
      return {
        commands: commands.length,
        rangeMembers: ranges.filter((length) => length > 1).reduce((sum, length) => sum + length, 0),
        probes: ranges.filter((length) => length === 1).length,
        // Task records read: the fields of HMGETs on the queue's HASH of tasks.
        records: commands.filter(([name]) => name!.toLowerCase() === "hmget").reduce((sum, args) => sum + args.length - 2, 0),
      };
    };
    try {
      const first = await costOf(0);
      const deep = await costOf(2900);
      const middle = await costOf(1450);
      for (const cost of [first, deep, middle]) {
        expect(cost.records).toBe(100);
        expect(cost.rangeMembers).toBeLessThanOrEqual(100);
        expect(cost.probes).toBeLessThan(150);
      }
      expect(deep.commands).toBeLessThanOrEqual(first.commands * 1.5 + 50);
      expect(middle.commands).toBeLessThanOrEqual(first.commands * 1.5 + 50);
    } finally {
      monitor.disconnect();
      monitorClient.disconnect();
    }
  });
});
