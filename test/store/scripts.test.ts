import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { DERIVED_KEYS, QUEUE_KEY_SUFFIX } from "../../src/store/keys.js";
import { SCRIPTS } from "../../src/store/scripts.generated.js";
import { argsSignature } from "../../src/broker/requiredFields.js";
import { toLayout1, writeLayout1Tasks } from "../support/layout1.js";
import { createTestQueue } from "../support/redis.js";
import type { Broker } from "../../src/broker/broker.js";

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
    await q.api.appendTaskLog(taskId!, { attempt: 0, run: "r", offset: 0, data: Buffer.from("output") });
    await q.api.reportTaskStatus(taskId!, "failed", { workerId });
    await q.redis.call(flush, "FLUSH");
    expect((await q.api.lsTasks({ sort: [["priority", -1], ["last_modified", 1], ["created_at", 1]] })).content).toHaveLength(1);
    await q.api.updateTasks([{ taskId: taskId!, priority: 1 }]);
    await q.api.updateTasks([{ taskId: taskId!, priority: 2 }, { taskId: taskId!, metadata: { batch: 1 } }]);
    expect(await q.api.fetchTask({ workerId, extraFilter: () => true })).toMatchObject({ taskId });
    expect(await q.api.fetchTask({ workerId, report: { taskId: taskId!, status: "failed" } })).toMatchObject({ taskId });
    await q.redis.call(flush, "FLUSH");
    await q.broker.expireAll();
    await q.api.reportWorkerStatus(workerId, "suspended");
    await q.api.reportWorkerTelemetry!(workerId, { gpu: { index: 0 } });
    await q.api.deleteWorker(workerId);
    await q.api.deleteTask(taskId!);
    await q.redis.call(flush, "FLUSH");
    expect(await q.api.deleteTasks([taskId!])).toEqual([taskId]);
    await q.api.updateQueue({ newQueueName: `${q.queueName}-2`, metadataUpdate: { x: 1 } });
    expect(await q.broker.store.migrateQueue(q.queueId, 10)).toEqual([0, 0]); // already in this layout
    await q.redis.call(flush, "FLUSH");
    await exerciseV2(q.broker, `${q.queueName}-2`);
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
    expect(await q.broker.store.countTasks(q.queueId, "pending")).toBe(1);
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
    const pending = q.broker.store.keys.signature(q.queueId, argsSignature(["a"]));
    const [taskId] = await q.api.submitTasks([{ args: { a: 1 } }]);
    const [member, score] = await q.redis.zrangeBuffer(pending, 0, 0, "WITHSCORES");
    expect(await q.api.fetchTask({ workerId: await q.api.createWorker() })).toMatchObject({ taskId });
    // A stale entry, as a write applied twice by an older version could leave, ahead of a task of another signature.
    await q.redis.zadd(pending, score!, member!);
    const [other] = await q.api.submitTasks([{ args: { b: 1 }, priority: -Number(score!.toString()) - 1 }]);
    expect(await q.api.fetchTask({ workerId: await q.api.createWorker() })).toMatchObject({ taskId: other });
    expect(await q.redis.zcard(pending)).toBe(0);
    expect(await q.api.fetchTask({ workerId: await q.api.createWorker() })).toBeNull();
    expect((await q.api.getTask(taskId!)).status).toBe("running");
  });
});

/**
 * Every labtasker v2 operation on `queue` (a queue of the broker), and v1's scripts on tasks with v2's features
 * (routes, dependencies, runs, archival), so each script runs and each key v2 derives is touched.
 */
async function exerciseV2(broker: Broker, queue: string): Promise<void> {
  const { v2 } = broker;
  const id = (n: number) => `t_exercise${String(n).padStart(4, "0")}`;
  const run = (n: number) => `r_exercise${String(n).padStart(4, "0")}`;
  await v2.putTask(queue, id(1), { args: { a: 1 }, routes: ["default", "gpu"], priority: 5 });
  await v2.putTask(queue, id(2), { args: { a: 2 }, routes: ["gpu"], dependencies: [id(1)] });
  await v2.putTask(queue, id(3), { args: { b: 1 }, routes: ["cpu"] });
  const claim = await v2.claimTask(queue, "gpu", run(1));
  expect(claim?.task.id).toBe(id(1));
  expect((await v2.claimTask(queue, "gpu", run(1)))?.task.id).toBe(id(1)); // a replay
  await v2.heartbeat(queue, id(1), run(1));
  await v2.reportProgress(queue, id(1), run(1), { done: 1 });
  await v2.completeTask(queue, id(1), run(1), { ok: true }); // releases id(2)
  expect((await v2.claimTask(queue, "gpu", run(2)))?.task.id).toBe(id(2));
  await v2.failTask(queue, id(2), run(2), { type: "E", message: "m", traceback: null });
  expect((await v2.claimTask(queue, "gpu", run(3)))?.task.id).toBe(id(2));
  await v2.unclaimTask(queue, id(2), run(3));
  await v2.updateTask(queue, id(2), { routes: ["default"], priority: 9 });
  expect(await v2.updateTasks(queue, { filter: "priority == 9" }, { priority: 100 })).toEqual({ matched: 1, updated: 1 });
  await v2.cancelTask(queue, id(3));
  await v2.updateTask(queue, id(3), { archived: true });
  await v2.requeueTask(queue, id(3));
  expect(await v2.countTasks(queue)).toBeGreaterThanOrEqual(3);
  expect((await v2.listTasks(queue, { limit: 2 })).items).toHaveLength(2);
  await v2.deleteTask(queue, id(3));
  const worker = "w_exercise0001";
  await v2.reportWorker(queue, worker, { route: "gpu", status: "busy", task_id: id(2), metadata: {} });
  await v2.reportWorkerTelemetry(queue, worker, { gpu: 0.5 });
  expect(await v2.countWorkers(queue)).toBe(1);
  await v2.deleteWorker(queue, worker);
  // A v2 run expired by the sweep, then v1's scripts on the v2 tasks.
  expect((await v2.claimTask(queue, "default", run(4)))?.task.id).toBe(id(2));
  await broker.expireAll(); // nothing due yet
  await v2.cancelTask(queue, id(2));
  await v2.putTask(queue, id(4), { args: { a: 4 }, routes: ["cpu"], dependencies: [id(9)] });
  const other = `${queue}-v2`;
  expect(await v2.ensureQueue(other)).toBe(true);
  await v2.putTask(other, id(5), { args: {} });
  await expect(v2.deleteQueue(other)).rejects.toMatchObject({ code: "queue_not_empty" });
  await v2.deleteQueue(other, { cascade: true });
}

/** One script call as MONITOR shows it: the keys it declared, then the keys of the commands it ran. */
interface ObservedCall {
  script: string;
  declared: string[];
  touched: string[];
}

function scriptHeader(script: string): string {
  const file = readdirSync(luaDir).find((name) => name.startsWith(`${script}-`))!;
  return /^--\[\[([\s\S]*?)\]\]/.exec(readFileSync(join(luaDir, file), "utf8"))?.[1] ?? "";
}

/** The header's text for KEYS[i]: its own line, or, past the fixed keys, the `KEYS[n..]` paragraph. */
function keyDeclaration(header: string, i: number): string {
  const own = new RegExp(`^\\s*KEYS\\[${i}\\]\\s.*$`, "m").exec(header)?.[0];
  return own ?? /^\s*KEYS\[\d+\.\.\][\s\S]*?(?=\n\s*\n)/m.exec(header)?.[0] ?? "";
}

describe("the keys a script touches", () => {
  it("come in its KEYS, in its header's order, or are derived from the root as its header says", async () => {
    await using q = await createTestQueue();
    // MONITOR shows each script call next to the commands it runs, with nothing in between; whether the call
    // comes before or after them depends on Redis's version, so a probe finds out.
    const seen: Array<{ args: string[]; lua: boolean }> = [];
    const probe = `${q.prefix}:probe`;
    const marker = `end-of-${q.prefix}`;
    const monitor = await q.redis.monitor();
    try {
      monitor.on("monitor", (_time: string, args: string[], source: string) => seen.push({ args, lua: source === "lua" }));
      await q.redis.eval("return redis.call('EXISTS', KEYS[1])", 1, probe);

      const otherId = await q.broker.queues.create({ queueName: `${q.queueName}-other`, password: "pw" });
      const w1 = await q.api.createWorker();
      const w2 = await q.api.createWorker();
      const ids = await q.api.submitTasks(Array.from({ length: 8 }, (_, i) => ({ args: { [i % 2 ? "a" : "b"]: i } })));
      // w1's task lapses and w2's fetch expires it: the task and its worker are found in the deadline index.
      const lapsing = await q.api.fetchTask({ workerId: w1, heartbeatTimeout: 1 });
      await q.api.refreshTaskHeartbeat(lapsing!.taskId, w1);
      await q.api.refreshTaskHeartbeat(lapsing!.taskId);
      q.clock.advance(5_000);
      const second = await q.api.fetchTask({ workerId: w2 });
      await q.api.reportTaskStatus(second!.taskId, "failed"); // no fence: the worker is the one the task names
      const third = await q.api.fetchTask({ workerId: w2, requiredFields: ["a"] });
      const fourth = await q.api.fetchTask({ workerId: w2, report: { taskId: third!.taskId, status: "success" } });
      await q.api.reportTaskStatus(fourth!.taskId, "cancelled", { workerId: w2 });
      const fifth = await q.api.fetchTask({ workerId: w2, extraFilter: () => true });
      expect(await q.api.fetchTask({ workerId: w1, extraFilter: () => false })).toBeNull();
      // A page in index order, merged over the status indexes (read only).
      expect((await q.api.lsTasks({ sort: [["priority", -1], ["last_modified", 1], ["created_at", 1]], offset: 2 })).content).toHaveLength(6);
      await q.api.updateTasks([{ taskId: ids[0]!, args: { c: 1 } }, { taskId: ids[1]!, priority: 5 }]);
      await q.api.updateTasks([{ taskId: fourth!.taskId }], { resetPending: true });
      // A batch puts w1's task back to pending (the worker's task set derived from the root); a batch delete.
      const sixth = await q.api.fetchTask({ workerId: w1 });
      await q.api.updateTasks([{ taskId: sixth!.taskId }, { taskId: second!.taskId, priority: 2 }], { resetPending: true });
      await q.api.deleteTasks([third!.taskId, "no-such-task"]);
      await q.api.fetchTask({ workerId: w1, heartbeatTimeout: 1 });
      q.clock.advance(5_000);
      expect(await q.broker.expireAll()).toBeGreaterThan(0);
      await q.api.reportWorkerStatus(w1, "suspended");
      await q.api.reportWorkerTelemetry!(w1, { gpu: { index: 0, utilization_pct: 50 } });
      expect(fifth).not.toBeNull(); // still running under w2, so the cascade rewrites it
      await q.api.deleteWorker(w2, { cascadeUpdate: true });
      // A task's log (the attempt's data key derived), then deleted with its task.
      await q.api.appendTaskLog(ids[7]!, { attempt: 0, run: "r", offset: 0, data: Buffer.from("output"), ended: true });
      await q.api.deleteTask(ids[7]!);
      await exerciseV2(q.broker, q.queueName);
      await q.api.updateQueue({ newQueueName: `${q.queueName}-2` });
      await q.api.deleteQueue({ cascadeDelete: true });
      // A queue of the earlier layout, migrated a task a call: its tasks' keys and worker are found in its data.
      const otherWorker = await q.broker.workers.create(otherId);
      const fields = { priority: "10", created_at: "5", last_modified: "5", sig: argsSignature(["a"]), args: '{"a":1}' };
      await writeLayout1Tasks(q.redis, q.broker.store.keys, otherId, [
        { id: randomUUID(), fields: { ...fields, status: "pending", seq: "1" } },
        { id: randomUUID(), fields: { ...fields, status: "running", seq: "2", worker_id: otherWorker, start_time: "5", task_timeout: "9" }, deadline: 9005 },
      ]);
      await toLayout1(q.redis, q.broker.store.keys, otherId);
      while (Number((await q.broker.store.migrateQueue(otherId, 1))[1]) > 0) {
        // a task a call
      }
      await q.redis.echo(marker);
      const ended = () => seen.some(({ args }) => args[0]!.toLowerCase() === "echo" && args[1] === marker);
      for (let i = 0; i < 100 && !ended(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(ended()).toBe(true);
    } finally {
      monitor.disconnect();
    }

    const callFirst =
      seen.findIndex(({ args, lua }) => lua && args[1] === probe) > seen.findIndex(({ args, lua }) => !lua && args.includes(probe));
    const byFunction = new Map<string, string>(Object.entries(SCRIPTS).map(([name, script]) => [script.functionName, name]));
    const calls: ObservedCall[] = [];
    let current: ObservedCall | null = null;
    // Walked so that each call comes before its commands (backwards when Redis shows the call after them).
    for (const { args, lua } of callFirst ? seen : [...seen].reverse()) {
      const command = args[0]!.toLowerCase();
      if (!lua) {
        const script = command === "fcall" ? byFunction.get(args[1]!) : undefined;
        current = script ? { script, declared: args.slice(3, 3 + Number(args[2])), touched: [] } : null;
        if (current) calls.push(current);
      } else if (current) {
        current.touched.push(...(command === "del" || command === "exists" ? args.slice(1) : [args[1]!]));
      }
    }

    const derived = DERIVED_KEYS.map((name) => QUEUE_KEY_SUFFIX[name]);
    /** A queue's key split after its root (`<prefix>:{<queue_id>}:`); a shared key has no root. */
    const split = (key: string): { root: string; rest: string } => {
      const root = /^[^{]*\{[^}]*\}:/.exec(key)?.[0] ?? "";
      return { root, rest: key.slice(root ? root.length : q.prefix.length + 1) };
    };
    /** What the header's line for a key may name: the key after the root, or up to the id for a key that takes one. */
    const shapes = (key: string): string[] => {
      const { root, rest } = split(key);
      if (root === key) return ["root"];
      const suffix = Object.values(QUEUE_KEY_SUFFIX).find((s) => s.endsWith(":") && rest.startsWith(s));
      return suffix ? [`:${rest}`, `:${suffix}<`] : [`:${rest}`];
    };
    const ours = calls.filter((call) => call.declared.some((key) => key.startsWith(`${q.prefix}:`)));
    for (const call of ours) {
      const header = scriptHeader(call.script);
      call.declared.forEach((key, i) => {
        const declaration = keyDeclaration(header, i + 1);
        expect(shapes(key).some((shape) => declaration.includes(shape)), `${call.script} KEYS[${i + 1}] = ${key}: ${declaration}`).toBe(true);
      });
      const derivedSection = header.split("Derived from KEYS[1]")[1]?.split(/\n\s*\n/)[0] ?? "";
      for (const key of call.touched.filter((touched) => !call.declared.includes(touched))) {
        const { root, rest } = split(key);
        const suffix = derived.find((s) => rest.startsWith(s));
        expect(suffix, `${call.script} touched ${key}, neither declared nor derived`).toBeDefined();
        expect(call.declared[0], `${call.script} derives ${key} from a root it was given`).toBe(root);
        // A key that takes an id is listed as `<suffix><id>`; a key of fixed name by its name.
        expect(derivedSection, `${call.script}'s header lists what it derives`).toContain(suffix!.endsWith(":") ? `${suffix}<` : suffix);
      }
    }
    expect([...new Set(ours.map((call) => call.script))].sort()).toEqual(Object.keys(SCRIPTS).sort());
  });
});
