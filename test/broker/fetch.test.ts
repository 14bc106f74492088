import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/json.js";
import { createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe.each(TRANSPORTS)("fetch order over %s", (transport) => {
  it("takes priority desc, then last_modified asc, then created_at asc", async () => {
    await using q = await queueOver(transport);
    const low = await q.api.submitTask({ args: { n: 1 }, priority: 1 });
    q.clock.advance(10);
    const highOld = await q.api.submitTask({ args: { n: 2 }, priority: 50 });
    q.clock.advance(10);
    const highNew = await q.api.submitTask({ args: { n: 3 }, priority: 50 });
    const sameMsA = await q.api.submitTask({ args: { n: 4 }, priority: 10 });
    const sameMsB = await q.api.submitTask({ args: { n: 5 }, priority: 10 });
    q.clock.advance(10);
    const order: string[] = [];
    for (let task = await q.api.fetchTask(); task; task = await q.api.fetchTask()) order.push(task.taskId);
    expect(order).toEqual([highOld, highNew, sameMsA, sameMsB, low]);
  });

  it("sends a retried task to the back of its priority class (fresh last_modified)", async () => {
    await using q = await queueOver(transport);
    const first = await q.api.submitTask({ args: { n: 1 } });
    q.clock.advance(10);
    const second = await q.api.submitTask({ args: { n: 2 } });
    q.clock.advance(10);
    expect((await q.api.fetchTask())?.taskId).toBe(first);
    q.clock.advance(10);
    await q.api.reportTaskStatus(first, "failed");
    expect((await q.api.fetchTask())?.taskId).toBe(second);
    expect((await q.api.fetchTask())?.taskId).toBe(first);
  });

  it("keeps the order where times and creation numbers gain a digit (the index members are zero-padded)", async () => {
    await using q = await queueOver(transport);
    q.clock.ms = 9;
    const ids = [];
    // 12 tasks in the same ms: creation numbers run from 1 to 12, past 9.
    for (let n = 0; n < 12; n++) ids.push(await q.api.submitTask({ args: { n } }));
    q.clock.ms = 10;
    ids.push(await q.api.submitTask({ args: { n: 12 } }));
    q.clock.ms = 100;
    ids.push(await q.api.submitTask({ args: { n: 13 } }));
    const order: string[] = [];
    for (let task = await q.api.fetchTask(); task; task = await q.api.fetchTask()) order.push(task.taskId);
    expect(order).toEqual(ids);
  });

  it("sorts priorities of any size, including negative ones", async () => {
    await using q = await queueOver(transport);
    const ids = [];
    for (const priority of [-5, 1_000_000_000_000, 0, -1_000_000_000_000, 7]) ids.push(await q.api.submitTask({ args: { priority }, priority }));
    const fetched = [];
    for (let task = await q.api.fetchTask(); task; task = await q.api.fetchTask()) fetched.push(task.priority);
    expect(fetched).toEqual([1_000_000_000_000, 7, 0, -5, -1_000_000_000_000]);
  });
});

// Pending tasks are indexed by the signature of their top-level arg keys only: a fetch that requires no exact key set
// merges the heads of every signature's index.
describe.each(TRANSPORTS)("fetch across argument signatures over %s", (transport) => {
  /** Tasks in three signatures, interleaved in priority and time; returned in labtasker's order. */
  async function mixedQueue(q: Awaited<ReturnType<typeof queueOver>>): Promise<string[]> {
    const submit = (args: JsonObject, priority: number) => q.api.submitTask({ args, priority });
    const low = await submit({ a: 1 }, 1);
    q.clock.advance(10);
    const highB = await submit({ b: 1 }, 50);
    const highAB = await submit({ a: 1, b: 2 }, 50);
    q.clock.advance(10);
    const highA = await submit({ a: 2 }, 50);
    const midB = await submit({ b: 2 }, 10);
    const midA = await submit({ a: 3 }, 10);
    return [highB, highAB, highA, midB, midA, low];
  }

  it("without required fields, takes the best head of all the signatures' indexes", async () => {
    await using q = await queueOver(transport);
    const expected = await mixedQueue(q);
    const order: string[] = [];
    for (let task = await q.api.fetchTask(); task; task = await q.api.fetchTask()) order.push(task.taskId);
    expect(order).toEqual(expected);
  });

  it("with '*' and required keys, scans every signature's index in order, past its limits", async () => {
    await using q = await queueOver(transport, { limits: { fetchFirstScan: 1, fetchScan: 2 } });
    for (let i = 0; i < 3; i++) await q.api.submitTask({ args: { x: i }, priority: 100 });
    for (let i = 0; i < 3; i++) await q.api.submitTask({ args: { y: i }, priority: 90 });
    const last = await q.api.submitTask({ args: { lr: 1 }, priority: 0 });
    const first = await q.api.submitTask({ args: { lr: 2, z: 1 }, priority: 1 });
    expect((await q.api.fetchTask({ requiredFields: ["lr", "*"] }))?.taskId).toBe(first);
    expect((await q.api.fetchTask({ requiredFields: ["lr", "*"] }))?.taskId).toBe(last);
    expect(await q.api.fetchTask({ requiredFields: ["lr", "*"] })).toBeNull();
    expect((await q.api.lsTasks({ status: "pending" })).content).toHaveLength(6);
  });

  it("with an extra filter, reads the signatures' indexes in order, a page at a time", async () => {
    await using q = await queueOver(transport, { limits: { filterBatch: 2 } });
    const expected = await mixedQueue(q);
    const order: string[] = [];
    for (let task = await q.api.fetchTask({ extraFilter: { status: "pending" } }); task; task = await q.api.fetchTask({ extraFilter: { status: "pending" } })) {
      order.push(task.taskId);
    }
    expect(order).toEqual(expected);
  });

  it("lists the pending tasks of every signature, in index order", async () => {
    await using q = await queueOver(transport);
    const expected = await mixedQueue(q);
    const cliOrder: Array<[string, 1 | -1]> = [["priority", -1], ["last_modified", 1], ["created_at", 1]];
    const pages: string[] = [];
    for (let offset = 0; ; offset += 4) {
      const page = await q.api.lsTasks({ status: "pending", sort: cliOrder, limit: 4, offset });
      if (!page.found) break;
      pages.push(...page.content.map((t) => t.taskId));
    }
    expect(pages).toEqual(expected);
  });
});

describe.each(TRANSPORTS)("required fields: no more, no less (contract 4, step 8) over %s", (transport) => {
  async function fetchWith(args: JsonObject, requiredFields: string[] | null): Promise<boolean> {
    await using q = await queueOver(transport);
    await q.api.submitTask({ args });
    return (await q.api.fetchTask({ requiredFields })) !== null;
  }

  it.each<[string, JsonObject, string[] | null, boolean]>([
    ["exact nested keys", { arg1: 1, arg2: { arg21: 1, arg22: 2 } }, ["arg1", "arg2.arg21", "arg2.arg22"], true],
    ["missing a required key", { arg1: 1 }, ["arg1", "arg2.arg21", "arg2.arg22"], false],
    ["a parent key covers its subtree", { arg1: 1, arg2: { anything: 1, else: 2 } }, ["arg1", "arg2"], true],
    ["parent and child: child must exist", { arg1: 1, arg2: { arg22: 1 } }, ["arg1", "arg2", "arg2.arg22"], true],
    ["parent and child: child missing", { arg1: 1, arg2: { arg21: 1 } }, ["arg1", "arg2", "arg2.arg22"], false],
    ["an extra nested key", { arg2: { arg21: 1, arg22: 2 } }, ["arg2.arg22"], false],
    ["an extra top-level key", { a: 1, b: 2 }, ["a"], false],
    ["star allows extra keys", { a: 1, b: 2 }, ["*"], true],
    ["star still needs required keys", { b: 2 }, ["*", "a"], false],
    ["star with required key present", { a: 1, b: 2 }, ["*", "a"], true],
    ["no required fields: anything", { a: 1, b: { c: 2 } }, null, true],
    ["empty required fields: anything", { a: 1 }, [], true],
    ["a required key whose value is null", { a: null }, ["a"], true],
    ["a nested requirement under a scalar", { a: 5 }, ["a.b"], false],
    ["a nested requirement under a list", { a: [1, 2] }, ["a.b"], false],
  ])("%s", async (_name, args, required, matches) => {
    expect(await fetchWith(args, required)).toBe(matches);
  });

  it("skips non-matching tasks ahead in the queue without claiming them", async () => {
    await using q = await queueOver(transport, { limits: { fetchFirstScan: 1, fetchScan: 2 } });
    for (let i = 0; i < 5; i++) await q.api.submitTask({ args: { a: { x: i, extra: true } }, priority: 100 });
    const wanted = await q.api.submitTask({ args: { a: { x: 9 } }, priority: 1 });
    // Same top-level signature, so all six sit in one index; the scan continues past its limits of 1, then 2, per call.
    expect((await q.api.fetchTask({ requiredFields: ["a.x"] }))?.taskId).toBe(wanted);
    expect((await q.api.lsTasks({ status: "pending" })).content).toHaveLength(5);
  });

  it("refuses malformed required fields with v1's detail", async () => {
    await using q = await queueOver(transport);
    await expect(q.api.fetchTask({ requiredFields: ["a", ".b"] })).rejects.toMatchObject({
      status: 400,
      detail: "Invalid required fields. Detail: Keys must be valid dot-separated strings or a single '*' for matching everything. Got ['a', '.b'].",
    });
  });
});

describe("fetch options", () => {
  it("applies an extra filter, evaluated over v1-shaped documents", async () => {
    await using q = await createTestQueue();
    await q.api.submitTask({ args: { lr: 0.001 }, metadata: { tags: ["a"] }, priority: 99 });
    const wanted = await q.api.submitTask({ args: { lr: 0.1 }, metadata: { tags: ["v1"] } });
    const task = await q.api.fetchTask({
      requiredFields: ["lr"],
      extraFilter: (doc) => (doc.metadata as { tags: string[] }).tags.includes("v1") && doc.status === "pending",
    });
    expect(task?.taskId).toBe(wanted);
    expect(await q.api.fetchTask({ extraFilter: () => false })).toBeNull();
  });

  it("checks the worker: unknown is 404, suspended is 403, even when the filter matches nothing", async () => {
    await using q = await createTestQueue();
    await q.api.submitTask({ args: { a: 1 } });
    await expect(q.api.fetchTask({ workerId: "ghost" })).rejects.toMatchObject({
      status: 404,
      detail: `Worker 'ghost' not found in queue '${q.queueId}'`,
    });
    const workerId = await q.api.createWorker();
    await q.api.reportWorkerStatus(workerId, "suspended");
    await expect(q.api.fetchTask({ workerId })).rejects.toMatchObject({
      status: 403,
      detail: `Worker '${workerId}' is suspended in queue '${q.queueId}'`,
    });
    await expect(q.api.fetchTask({ workerId, extraFilter: () => false })).rejects.toMatchObject({ status: 403 });
    await q.api.reportWorkerStatus(workerId, "active");
    expect(await q.api.fetchTask({ workerId })).not.toBeNull();
  });
});

describe.each(TRANSPORTS)("fetch options over %s", (transport) => {
  it("overrides heartbeat timeout and task timeout (eta_max) for the run, and records the command", async () => {
    await using q = await queueOver(transport);
    await q.api.submitTask({ args: { a: 1 }, heartbeatTimeout: 60, taskTimeout: 100 });
    const task = await q.api.fetchTask({ etaMax: "1h30m", heartbeatTimeout: 5, cmd: "python train.py" });
    expect(task).toMatchObject({ heartbeatTimeout: 5, taskTimeout: 5400, cmd: "python train.py" });
  });

  it("requires eta_max without heartbeats, and stores no heartbeat then", async () => {
    await using q = await queueOver(transport);
    await q.api.submitTask({ args: { a: 1 } });
    await expect(q.api.fetchTask({ startHeartbeat: false })).rejects.toThrow(
      "Eta max must be specified when start_heartbeat is False",
    );
    await expect(q.api.fetchTask({ etaMax: "3 fortnights" })).rejects.toMatchObject({ status: 400 });
    const task = await q.api.fetchTask({ startHeartbeat: false, etaMax: "30" });
    expect(task).toMatchObject({ lastHeartbeat: null, taskTimeout: 30 });
  });
});

describe.each(TRANSPORTS)("report and fetch in one call (extension) over %s", (transport) => {
  it("reports the finished task and claims the next, charging failures as a report does", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const [a, b, c] = await q.api.submitTasks([{ args: { n: 1 } }, { args: { n: 2 } }, { args: { n: 3 }, maxRetries: 1 }]);
    expect((await q.api.fetchTask({ workerId }))?.taskId).toBe(a);
    const next = await q.api.fetchTask({ workerId, report: { taskId: a!, status: "success", summary: { acc: 0.5 } } });
    expect(next?.taskId).toBe(b);
    expect(await q.api.getTask(a!)).toMatchObject({ status: "success", summary: { acc: 0.5 }, workerId: null });
    q.clock.advance(10); // a retried task goes behind tasks modified earlier
    const third = await q.api.fetchTask({ workerId, report: { taskId: b!, status: "failed", summary: { "err.code": 1 } } });
    expect(third?.taskId).toBe(c);
    expect(await q.api.getTask(b!)).toMatchObject({ status: "pending", retries: 1, summary: { err: { code: 1 } } });
    expect((await q.api.getWorker(workerId)).retries).toBe(1);
  });

  it("fetches nothing when the report is refused", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const [a] = await q.api.submitTasks([{ args: { n: 1 } }, { args: { n: 2 } }]);
    const refused = q.api.fetchTask({ report: { taskId: a!, status: "success" } });
    await expect(refused).rejects.toMatchObject({ status: 400, detail: "500: InvalidStateTransition: Cannot transition from pending to success." });
    await expect(q.api.fetchTask({ workerId, report: { taskId: a!, status: "success" } })).rejects.toMatchObject({ status: 409 });
    expect((await q.api.lsTasks({ status: "running" })).found).toBe(false);
    await expect(q.api.fetchTask({ workerId, report: { taskId: "ghost", status: "success" } })).rejects.toMatchObject({ status: 404, detail: "Task ghost not found" });
  });
});
