/**
 * Evaluations over a whole queue (filtered counts, sorted or filtered listings) decode of each task only the fields
 * the filter and the sort read (src/store/taskScan.ts, src/broker/taskQuery.ts). Checked here against the same
 * queue evaluated by an engine that cannot say which fields a filter reads, so every field of every task is built.
 */
import { pack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import type { FilterEngine } from "../../src/broker/context.js";
import { defaultFilters } from "../../src/broker/defaultFilters.js";
import type { SortSpec } from "../../src/core/api.js";
import { compileFilter } from "../../src/filter/index.js";
import { unpackTask } from "../../src/store/codecs.js";
import { storedFieldsReader } from "../../src/store/taskScan.js";
import { TASK_RECORD } from "../../src/store/taskRecord.js";
import { createTestQueue } from "../support/redis.js";

/** The product's engine without the two optional parts: every field decoded, sort keys read at each comparison. */
const wholeDocuments: FilterEngine = { compile: defaultFilters.compile, compileSort: defaultFilters.compileSort };

const FILTERS: Array<string | Record<string, unknown>> = [
  'args.lr >= 0.005 and args.model == "vit"',
  "summary.acc > 0.5",
  "'v1' in list(metadata.tags)",
  "task_name == 'b'",
  "retries >= 1 or priority > 5",
  "last_modified > created_at",
  { $expr: { $gt: ["$priority", "$retries"] } },
  { $expr: { $eq: [{ $size: { $ifNull: [{ $literal: [] }, []] } }, 0] } },
  { $expr: { $ne: ["$$ROOT", null] } },
  { "cmd.0": "python" },
  { worker_id: { $exists: true }, start_time: { $ne: null } },
  { status: "failed" },
  // Fields the view derives from other stored fields, or that no task has.
  { depends_on: { $exists: false } },
  { foo: { $exists: false } },
];

const SORTS: SortSpec[] = [
  [["summary.acc", -1]],
  [["args.lr", 1], ["args.model", -1]],
  [["metadata.tags", 1]],
  [["task_id", 1]],
  [["last_modified", -1], ["priority", 1]],
  [["cmd", 1]],
];

async function sweep() {
  const q = await createTestQueue();
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    ids.push(
      await q.api.submitTask({
        args: { lr: 0.001 * (1 + (i % 10)), model: ["vit", "cnn", "mlp"][i % 3]!, ...(i % 7 === 0 ? { extra: { deep: [i, "x"] } } : {}) },
        taskName: i % 4 === 0 ? "b" : i % 5 === 0 ? null : `t${i}`,
        metadata: i % 3 === 0 ? { tags: i % 2 === 0 ? ["v1", "gpu"] : ["v2"] } : {},
        cmd: i % 6 === 0 ? ["python", "train.py"] : i % 6 === 1 ? "echo hi" : undefined,
        priority: i % 9,
        maxRetries: 2,
      }),
    );
    q.clock.advance(3);
  }
  // Some run, finish with a summary, fail (and retry), some are cancelled.
  for (let i = 0; i < 25; i++) {
    const task = await q.api.fetchTask({ startHeartbeat: true });
    q.clock.advance(7);
    if (i % 5 === 4) continue; // left running
    await q.api.reportTaskStatus(task!.taskId, i % 3 === 0 ? "failed" : "success", { summary: i % 2 === 0 ? { acc: i / 25 } : { acc: "n/a" } });
  }
  await q.api.updateTasks([{ taskId: ids[59]!, status: "cancelled" }]);
  return q;
}

describe("evaluations that decode only the fields they read", () => {
  it("count and list exactly what an evaluation over whole documents does", async () => {
    await using q = await sweep();
    const whole = new Broker({ redis: q.redis, keyPrefix: q.prefix, now: q.clock.now, filters: wholeDocuments });
    try {
      for (const filter of FILTERS) {
        const extraFilter = typeof filter === "string" ? compileFilter(filter).mongo : filter;
        const counts = await q.broker.listing.counts(q.queueId, { extraFilter });
        expect({ filter, counts }).toEqual({ filter, counts: await whole.listing.counts(q.queueId, { extraFilter }) });
        expect({ filter, matches: Object.values(counts).some((n) => n > 0) }).toEqual({ filter, matches: true });
        for (const sort of SORTS) {
          const options = { extraFilter, sort, limit: 1000 };
          const ours = (await q.broker.listing.tasksPage(q.queueId, options)).content.map((t) => t.taskId);
          expect({ filter, sort, ids: ours }).toEqual({ filter, sort, ids: (await whole.listing.tasksPage(q.queueId, options)).content.map((t) => t.taskId) });
        }
      }
      // No filter, a sort only; and a status with a filter.
      for (const sort of SORTS) {
        const ours = (await q.broker.listing.tasksPage(q.queueId, { sort, limit: 1000 })).content.map((t) => t.taskId);
        expect(ours).toHaveLength(60);
        expect(ours).toEqual((await whole.listing.tasksPage(q.queueId, { sort, limit: 1000 })).content.map((t) => t.taskId));
      }
      const running = { status: "running" as const, extraFilter: { priority: { $gte: 0 } }, sort: [["args.lr", -1]] as SortSpec };
      expect((await q.broker.listing.tasksPage(q.queueId, running)).content.map((t) => t.taskId)).toEqual(
        (await whole.listing.tasksPage(q.queueId, running)).content.map((t) => t.taskId),
      );
      // A predicate given as a function reads the whole document.
      const byFunction = { extraFilter: (doc: Record<string, unknown>) => (doc.summary as { acc?: unknown }).acc !== undefined, sort: [["created_at", 1]] as SortSpec };
      const withAcc = (await q.broker.listing.tasksPage(q.queueId, byFunction)).content.map((t) => t.taskId);
      expect(withAcc.length).toBeGreaterThan(10);
      expect(withAcc).toEqual((await whole.listing.tasksPage(q.queueId, byFunction)).content.map((t) => t.taskId));
    } finally {
      await whole.close();
    }
  });
});

describe("storedFieldsReader", () => {
  it("reads each stored field as unpackTask does, from real records", async () => {
    await using q = await sweep();
    const packed = await q.redis.hvalsBuffer(q.broker.store.keys.tasks(q.queueId));
    expect(packed.length).toBe(60);
    const names = TASK_RECORD.map((field) => field.name);
    const all = storedFieldsReader(names);
    const some = storedFieldsReader(["status", "args", "last_modified", "seq"]);
    for (const record of packed) {
      const whole = unpackTask(record)!;
      expect(all(record)).toEqual(whole);
      expect(some(record)).toEqual({ status: whole.status, args: whole.args, last_modified: whole.last_modified, created_at: whole.created_at, seq: whole.seq });
    }
    expect(all(null)).toBeNull();
  });

  it("reads every MessagePack form a record may take, and falls back on the others", () => {
    const reader = storedFieldsReader(TASK_RECORD.map((field) => field.name));
    const long = "x".repeat(70_000);
    const records: unknown[] = [
      { 1: "pending", 3: 1_700_000_000_123, 11: -5, 10: 200, 9: 70_000, 13: "{}", 17: 2 ** 40, 2: "é".repeat(40), 12: "y".repeat(300) },
      { 1: "running", 3: 12, 11: -200, 10: -40_000, 17: -(2 ** 40), 15: long, 8: 1.5 },
      ["success", null, 5, null, null, 6, "60"],
      { 1: "failed", 3: 9, 22: true }, // a boolean: not a task's, unpacked whole
    ];
    for (const value of records) {
      // With integer keys, as the scripts' cmsgpack packs a task (an object's keys would pack as strings).
      const record = pack(Array.isArray(value) ? value : new Map(Object.entries(value as object).map(([code, field]) => [Number(code), field])));
      expect(reader(record)).toEqual(unpackTask(record));
    }
  });
});
