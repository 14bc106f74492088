/**
 * Task logs in Redis, over both transports: bytes kept as written (binary, colours, CRLF), per attempt, the task's
 * and the queue's caps with the point where kept bytes start, long polling, and removal with the task and the queue.
 */
import { describe, expect, it } from "vitest";
import { LogService } from "../../src/broker/logs.js";
import type { Labtasker } from "../../src/core/api.js";
import { TaskNotFoundError } from "../../src/core/errors.js";
import { createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

type LogApi = Required<Pick<Labtasker, "appendTaskLog" | "readTaskLog">> & Labtasker;

const bytes = (text: string) => Buffer.from(text, "utf8");

describe.each(TRANSPORTS)("task logs over %s", (transport) => {
  it("keeps every byte as written: binary, ANSI colour, CRLF, in order, per attempt", async () => {
    await using q = await queueOver(transport);
    const api = q.api as LogApi;
    const taskId = await api.submitTask({ args: { x: 1 } });
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const colour = bytes("\u001b[31mred\u001b[0m\r\nnext\r\n");
    const first = await api.appendTaskLog(taskId, { attempt: 0, run: "run1", offset: 0, data: binary });
    expect(first).toBe(1);
    await api.appendTaskLog(taskId, { attempt: 1, run: "run1", offset: 256, data: colour, ended: true });
    const second = await api.appendTaskLog(taskId, { attempt: 0, run: "run2", offset: 0, data: bytes("second run\n"), ended: true });
    expect(second).toBe(2);

    const one = await api.readTaskLog(taskId, { attempt: 1 });
    expect(Buffer.from(one.data)).toEqual(Buffer.concat([binary, colour]));
    expect(one).toMatchObject({ attempt: 1, attempts: 2, offset: 0, next: 256 + colour.length, ended: true });
    const last = await api.readTaskLog(taskId);
    expect(last).toMatchObject({ attempt: 2, attempts: 2, ended: true });
    expect(Buffer.from(last.data).toString()).toBe("second run\n");
    // From an offset: only what follows it.
    expect(Buffer.from((await api.readTaskLog(taskId, { attempt: 1, offset: 256 })).data).toString()).toBe("\u001b[31mred\u001b[0m\r\nnext\r\n");
  });

  it("skips bytes already kept when a chunk is sent again, and opens one attempt per run", async () => {
    await using q = await queueOver(transport);
    const api = q.api as LogApi;
    const taskId = await api.submitTask({ args: { x: 1 } });
    expect(await api.appendTaskLog(taskId, { attempt: 0, run: "r", offset: 0, data: bytes("abc") })).toBe(1);
    expect(await api.appendTaskLog(taskId, { attempt: 0, run: "r", offset: 0, data: bytes("abc") })).toBe(1);
    await api.appendTaskLog(taskId, { attempt: 1, run: "r", offset: 1, data: bytes("bcdef") });
    expect(Buffer.from((await api.readTaskLog(taskId)).data).toString()).toBe("abcdef");
  });

  it("takes an empty chunk after a gap in an empty attempt, and refuses positions Redis could not count", async () => {
    await using q = await queueOver(transport);
    const api = q.api as LogApi;
    const taskId = await api.submitTask({ args: { x: 1 } });
    // The gap resets an empty attempt's kept bytes by 0 (once written as -0, which Redis refused: a 500).
    expect(await api.appendTaskLog(taskId, { attempt: 0, run: "r", offset: 0, data: bytes("") })).toBe(1);
    expect(await api.appendTaskLog(taskId, { attempt: 0, run: "r", offset: 1, data: bytes("") })).toBe(1);
    expect(await api.readTaskLog(taskId)).toMatchObject({ attempt: 1, offset: 1, next: 1 });
    await expect(api.appendTaskLog(taskId, { attempt: 1, run: "r", offset: 2 ** 47, data: bytes("x") })).rejects.toThrow(/offset must be a whole number/);
  });

  it("refuses a log for a missing task and bad chunks with a clear error", async () => {
    await using q = await queueOver(transport);
    const api = q.api as LogApi;
    await expect(api.appendTaskLog("nope", { attempt: 0, run: "r", offset: 0, data: bytes("x") })).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(api.readTaskLog("nope")).rejects.toBeInstanceOf(TaskNotFoundError);
    const taskId = await api.submitTask({ args: { x: 1 } });
    await expect(api.appendTaskLog(taskId, { attempt: -1, run: "r", offset: 0, data: bytes("x") })).rejects.toThrow(/attempt must be a whole number/);
    await expect(api.appendTaskLog(taskId, { attempt: 0, run: "no spaces", offset: 0, data: bytes("x") })).rejects.toThrow(/run must be/);
    const none = await api.readTaskLog(taskId);
    expect(none).toMatchObject({ attempt: 0, attempts: 0 });
    expect(none.data.length).toBe(0);
    await expect(api.readTaskLog(taskId, { attempt: 3 })).rejects.toThrow(/has no log/);
  });

  it("appends several runs' chunks in one batch, each as a single append would, refusing a bad one alone", async () => {
    await using q = await queueOver(transport);
    const api = q.api as Required<Pick<Labtasker, "appendTaskLogs">> & LogApi;
    const [a, b] = await api.submitTasks([{ args: { x: 1 } }, { args: { x: 2 } }]);
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    const results = await api.appendTaskLogs([
      { taskId: a!, chunk: { attempt: 0, run: "a1", offset: 0, data: bytes("first run\r\n"), ended: true } },
      { taskId: "t_AAAAAAAAAAAA", chunk: { attempt: 0, run: "x", offset: 0, data: bytes("gone") } },
      { taskId: b!, chunk: { attempt: 0, run: "b1", offset: 0, data: binary } },
      { taskId: a!, chunk: { attempt: 0, run: "a2", offset: 0, data: bytes(""), ended: true } }, // a second run: attempt 2
      { taskId: b!, chunk: { attempt: 0, run: "bad token!", offset: 0, data: bytes("x") } },
    ]);
    expect(results.map((r) => ("attempt" in r ? r.attempt : r.error.constructor.name))).toEqual([1, "TaskNotFoundError", 1, 2, "BadRequestError"]);
    expect((results[4] as { error: Error }).error.message).toMatch(/run must be/);
    // Sent again (a retried request): nothing changes; then the run goes on with its attempt.
    await api.appendTaskLogs([{ taskId: b!, chunk: { attempt: 0, run: "b1", offset: 0, data: binary } }]);
    expect(await api.appendTaskLogs([{ taskId: b!, chunk: { attempt: 1, run: "b1", offset: 256, data: bytes("end"), ended: true } }])).toEqual([{ attempt: 1 }]);
    expect(Buffer.from((await api.readTaskLog(b!)).data)).toEqual(Buffer.concat([binary, bytes("end")]));
    expect(await api.readTaskLog(b!)).toMatchObject({ attempt: 1, attempts: 1, ended: true });
    expect(Buffer.from((await api.readTaskLog(a!, { attempt: 1 })).data).toString()).toBe("first run\r\n");
    expect(await api.readTaskLog(a!)).toMatchObject({ attempt: 2, attempts: 2, ended: true });
    expect(await api.appendTaskLogs([])).toEqual([]);
  });

  it("long-polls: a read with wait returns when output arrives", async () => {
    await using q = await queueOver(transport);
    const api = q.api as LogApi;
    const taskId = await api.submitTask({ args: { x: 1 } });
    await api.appendTaskLog(taskId, { attempt: 0, run: "r", offset: 0, data: bytes("a") });
    const started = Date.now();
    const waiting = api.readTaskLog(taskId, { offset: 1, waitMs: 5000 });
    setTimeout(() => void api.appendTaskLog(taskId, { attempt: 1, run: "r", offset: 1, data: bytes("b"), ended: true }), 300);
    const chunk = await waiting;
    expect(Buffer.from(chunk.data).toString()).toBe("b");
    expect(chunk).toMatchObject({ offset: 1, next: 2 });
    expect(Date.now() - started).toBeLessThan(3000);
    // Nothing new and the run ended: no wait at all.
    expect(await api.readTaskLog(taskId, { offset: 2, waitMs: 5000 })).toMatchObject({ ended: true, next: 2 });
  });

  it("removes the log with its task, and with its queue", async () => {
    await using q = await queueOver(transport);
    const api = q.api as LogApi;
    const [a, b] = await api.submitTasks([{ args: { x: 1 } }, { args: { x: 2 } }]);
    for (const taskId of [a!, b!]) await api.appendTaskLog(taskId, { attempt: 0, run: "r", offset: 0, data: bytes("out"), ended: true });
    await api.deleteTask(a!);
    await expect(api.readTaskLog(a!)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(Buffer.from((await api.readTaskLog(b!)).data).toString()).toBe("out");
  });
});

describe("task log caps and removal in Redis", () => {
  it("keeps a task's last bytes over its attempts and says where they start", async () => {
    await using q = await createTestQueue();
    const logs = new LogService({ store: q.broker.store, now: Date.now }, { taskBytes: 1000 });
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    await logs.append(q.queueId, taskId, { attempt: 0, run: "a", offset: 0, data: Buffer.alloc(600, "a"), ended: true });
    // 600 + 700 > 1250: the first attempt loses its first 300 bytes.
    await logs.append(q.queueId, taskId, { attempt: 0, run: "b", offset: 0, data: Buffer.alloc(700, "b") });
    const first = await logs.read(q.queueId, taskId, { attempt: 1 });
    expect(first).toMatchObject({ offset: 300, next: 600 });
    // A chatty run: it keeps its last 1000 bytes, whatever was sent.
    for (let offset = 700; offset < 50_000; offset += 500) {
      await logs.append(q.queueId, taskId, { attempt: 2, run: "b", offset, data: Buffer.from(String(((offset - 700) / 500) % 10).repeat(500)) });
    }
    const second = await logs.read(q.queueId, taskId);
    expect(second).toMatchObject({ attempt: 2, offset: 49_200, next: 50_200 });
    expect(Buffer.from(second.data).toString()).toBe("7".repeat(500) + "8".repeat(500));
    const { store } = q.broker;
    const { redis } = q;
    expect(Number(await redis.get(store.keys.taskLogBytes(q.queueId)))).toBeLessThanOrEqual(1250);
    expect(await redis.strlen(store.keys.taskLogData(q.queueId, taskId, 1))).toBe(0);
  });

  it("marks a gap the writer dropped, and evicts the stalest tasks' logs beyond the queue's cap", async () => {
    await using q = await createTestQueue();
    const logs = new LogService({ store: q.broker.store, now: Date.now }, { taskBytes: 1000, queueBytes: 2500 });
    const tasks = await q.api.submitTasks([1, 2, 3, 4].map((x) => ({ args: { x } })));
    await logs.append(q.queueId, tasks[0]!, { attempt: 0, run: "r", offset: 0, data: Buffer.alloc(10, "x") });
    await logs.append(q.queueId, tasks[0]!, { attempt: 1, run: "r", offset: 500, data: Buffer.alloc(10, "y") });
    expect(await logs.read(q.queueId, tasks[0]!)).toMatchObject({ offset: 500, next: 510 });
    for (const taskId of tasks) {
      await logs.append(q.queueId, taskId, { attempt: 0, run: `r${taskId.slice(0, 4)}`, offset: 0, data: Buffer.alloc(900, "z"), ended: true });
      await new Promise((r) => setTimeout(r, 5));
    }
    const { store } = q.broker;
    const { redis } = q;
    expect(Number(await redis.get(store.keys.taskLogBytes(q.queueId)))).toBeLessThanOrEqual(2500);
    expect(await logs.read(q.queueId, tasks[0]!)).toMatchObject({ attempts: 0 });
    expect(Buffer.from((await logs.read(q.queueId, tasks[3]!)).data).length).toBe(900);
  });

  it("leaves no log key behind after a task delete, a bulk delete and a queue delete", async () => {
    await using q = await createTestQueue();
    const { store } = q.broker;
    const { redis } = q;
    const tasks = await q.api.submitTasks([1, 2, 3, 4].map((x) => ({ args: { x } })));
    for (const taskId of tasks) await q.api.appendTaskLog(taskId, { attempt: 0, run: "r", offset: 0, data: bytes("hello"), ended: true });
    await q.api.deleteTask(tasks[0]!);
    await q.broker.tasks.deleteMany(q.queueId, [tasks[1]!]);
    const logKeys = () => redis.keys(`${store.keys.root(q.queueId)}task-log*`);
    expect((await logKeys()).filter((key) => key.includes(tasks[0]!) || key.includes(tasks[1]!))).toEqual([]);
    expect(Number(await redis.get(store.keys.taskLogBytes(q.queueId)))).toBe(10);
    await q.api.deleteQueue({ cascadeDelete: true });
    expect(await logKeys()).toEqual([]);
  });
});
