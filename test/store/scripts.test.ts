import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { SCRIPTS } from "../../src/store/scripts.generated.js";
import { createTestQueue } from "../support/redis.js";

const luaDir = join(import.meta.dirname, "../../lua");

describe("Lua scripts", () => {
  const files = readdirSync(luaDir).filter((file) => file.endsWith(".lua"));

  it.each(files)("%s declares in its header exactly the keys its name and wrapper use", (file) => {
    const [, name, arity] = /^(\w+)-(\d+)\.lua$/.exec(file)!;
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(readFileSync(join(luaDir, file), "utf8"))?.[1] ?? "";
    const declared = [...header.matchAll(/^\s*KEYS\[(\d+)\]/gm)].map((m) => Number(m[1]));
    expect(declared).toEqual(Array.from({ length: Number(arity) }, (_, i) => i + 1));
    expect(SCRIPTS[name as keyof typeof SCRIPTS].numberOfKeys).toBe(Number(arity));
    expect(header).toMatch(/Returns/);
    expect(header).toMatch(/Events:/);
    expect(header).toMatch(/ARGV\[1\]|Returns \{OK, name\}|KEYS\[1\] root/);
  });

  it.each([
    ["functions (FCALL), reloaded after FUNCTION FLUSH", true, "FUNCTION"],
    ["EVALSHA, falling back to EVAL after SCRIPT FLUSH", false, "SCRIPT"],
  ] as const)("every script works as %s", async (_name, functions, flush) => {
    await using q = await createTestQueue({ functions });
    const run = vi.spyOn(q.broker.store.scripts, "run");
    const runBinary = vi.spyOn(q.broker.store.scripts, "runBinary");
    await q.redis.call(flush, "FLUSH");
    await q.broker.queues.create({ queueName: `${q.queueName}-other`, password: "pw" });
    const workerId = await q.api.createWorker();
    const [taskId] = await q.api.submitTasks([{ args: { a: 1 } }]);
    await q.redis.call(flush, "FLUSH");
    const task = await q.api.fetchTask({ workerId });
    expect(task?.taskId).toBe(taskId);
    await q.redis.call(flush, "FLUSH");
    await q.api.refreshTaskHeartbeat(taskId!, workerId);
    await q.api.reportTaskStatus(taskId!, "failed", { workerId });
    await q.redis.call(flush, "FLUSH");
    await q.api.updateTasks([{ taskId: taskId!, priority: 1 }]);
    expect(await q.api.fetchTask({ workerId, extraFilter: () => true })).toMatchObject({ taskId });
    expect(await q.api.fetchTask({ workerId, report: { taskId: taskId!, status: "failed" } })).toMatchObject({ taskId });
    await q.redis.call(flush, "FLUSH");
    await q.broker.expireAll();
    await q.api.reportWorkerStatus(workerId, "suspended");
    await q.api.deleteWorker(workerId);
    await q.api.deleteTask(taskId!);
    await q.redis.call(flush, "FLUSH");
    await q.api.updateQueue({ newQueueName: `${q.queueName}-2`, metadataUpdate: { x: 1 } });
    await q.api.deleteQueue({ cascadeDelete: true });
    const used = new Set([...run.mock.calls, ...runBinary.mock.calls].map(([name]) => name));
    expect([...used].sort()).toEqual(Object.keys(SCRIPTS).sort());
  });
});

// ioredis sends a command again after a reconnect when its answer was lost, so a script may run twice with the same
// arguments (found by the fault suite's connection cuts, test/faults/redis-restart.test.ts).
describe("a script run twice with the same arguments", () => {
  it("submitTasks stores, indexes and announces each task once", async () => {
    await using q = await createTestQueue();
    const run = vi.spyOn(q.broker.store.scripts, "run");
    const [taskId] = await q.api.submitTasks([{ args: { a: 1 } }]);
    const events = await q.redis.xlen(q.broker.store.keys.events(q.queueId));
    const call = run.mock.calls.find(([name]) => name === "submitTasks")!;
    await q.broker.store.scripts.run(...call);
    expect(await q.redis.zcard(q.broker.store.keys.status(q.queueId, "pending"))).toBe(1);
    expect(await q.redis.xlen(q.broker.store.keys.events(q.queueId))).toBe(events);
    expect((await q.api.fetchTask())?.taskId).toBe(taskId);
    expect(await q.api.fetchTask()).toBeNull();
  });

  it("createWorker registers and announces the worker once", async () => {
    await using q = await createTestQueue();
    const run = vi.spyOn(q.broker.store.scripts, "run");
    const workerId = await q.api.createWorker({ workerName: "w" });
    await q.api.reportWorkerStatus(workerId, "suspended");
    const events = await q.redis.xlen(q.broker.store.keys.events(q.queueId));
    await q.broker.store.scripts.run(...run.mock.calls.find(([name]) => name === "createWorker")!);
    expect(await q.redis.xlen(q.broker.store.keys.events(q.queueId))).toBe(events);
    expect((await q.api.getWorker(workerId)).status).toBe("suspended");
  });

  it("a fetch never claims a task through an index entry of a task that is no longer pending", async () => {
    await using q = await createTestQueue();
    const pending = q.broker.store.keys.status(q.queueId, "pending");
    const [taskId] = await q.api.submitTasks([{ args: { a: 1 } }]);
    const [member, score] = await q.redis.zrange(pending, 0, 0, "WITHSCORES");
    expect(await q.api.fetchTask({ workerId: await q.api.createWorker() })).toMatchObject({ taskId });
    // A stale entry, as a write applied twice by an older version could leave.
    await q.redis.zadd(pending, score!, member!);
    expect(await q.api.fetchTask({ workerId: await q.api.createWorker() })).toBeNull();
    expect(await q.redis.zcard(pending)).toBe(0);
    expect((await q.api.getTask(taskId!)).status).toBe("running");
  });
});
