/**
 * The SDK's client over both transports: connecting (explicitly, from client.toml, from the environment), typed
 * errors, listings (sort orders, limits above a page, iterators that survive changes made while iterating), bulk
 * submit and update, workers, events with replay and reconnection, the module-level functions and their scoping,
 * and a client never keeping a finished script alive.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { saveClientConfig } from "../../src/config/clientConfig.js";
import {
  AuthError,
  ConfigError,
  FilterError,
  LabtaskerClient,
  LabtaskerError,
  QueueExistsError,
  TaskNotFoundError,
  UpdateFailedError,
  WorkerNotFoundError,
  WorkerSuspendedError,
  configure,
  connect,
  createWorker,
  deleteWorker,
  getWorker,
  health,
  iterTasks,
  iterWorkers,
  lsTasks,
  lsWorkers,
  parseJson,
  reportWorkerStatus,
  submitTask,
  withClient,
  type EventsOptions,
  type JsonObject,
  type Labtasker,
  type QueueEvent,
  type TaskUpdate,
} from "../../src/index.js";
import { redisUrl } from "../support/redis.js";
import { DIST_ROOT, TRANSPORTS, envFor, sdkQueue, startNode, waitFor } from "./support.js";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "labtasker-sdk-config-"));
  scratch.push(dir);
  return dir;
}

/** Collects events until `count` have arrived (or fails after 15 s). */
async function collect(events: AsyncIterable<QueueEvent>, count: number, seen: QueueEvent[] = []): Promise<QueueEvent[]> {
  const deadline = setTimeout(() => undefined, 15_000);
  try {
    for await (const event of events) {
      seen.push(event);
      if (seen.length >= count) break;
    }
  } finally {
    clearTimeout(deadline);
  }
  return seen;
}

describe.each(TRANSPORTS)("the SDK client over %s", (transport) => {
  it("answers health and the queue, and creates its own queue unless it exists (existOk)", async () => {
    await using q = await sdkQueue(transport);
    expect(await q.client.health()).toEqual({ status: "healthy", database: expect.any(String) as string });
    expect(await health()).toMatchObject({ status: "healthy" });
    const queue = await q.client.getQueue();
    expect(queue.queueName).toBe(q.queueName);
    await expect(q.client.createQueue()).rejects.toBeInstanceOf(QueueExistsError);
    expect(await q.client.createQueue({ existOk: true })).toBe(queue.queueId);
    expect(q.client.mode).toBe(transport);
  });

  it("raises typed errors: AuthError, TaskNotFoundError, WorkerSuspendedError, WorkerNotFoundError", async () => {
    await using q = await sdkQueue(transport);
    const wrong = await connect({ ...q.connectOptions, password: "wrong" });
    try {
      await expect(wrong.getQueue()).rejects.toBeInstanceOf(AuthError);
      await expect(wrong.submitTask({ args: { a: 1 } })).rejects.toBeInstanceOf(AuthError);
    } finally {
      await wrong.close();
    }
    await expect(q.client.getTask("no-such-task")).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(q.client.deleteTask("no-such-task")).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(q.client.getWorker("no-such-worker")).rejects.toBeInstanceOf(WorkerNotFoundError);
    const workerId = await q.client.createWorker();
    await q.client.reportWorkerStatus(workerId, "suspended");
    await q.client.submitTask({ args: { a: 1 } });
    const refusal = await q.client.fetchTask({ workerId }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WorkerSuspendedError);
    expect(refusal).toBeInstanceOf(LabtaskerError);
    expect((refusal as WorkerSuspendedError).workerId).toBe(workerId);
  });

  it("raises FilterError, with its position, for a filter that does not compile (both transports alike)", async () => {
    await using q = await sdkQueue(transport);
    await q.client.submitTask({ args: { lr: 0.1 } });
    for (const call of [
      () => q.client.lsTasks({ extraFilter: "args.lr >> 0.1" }),
      () => q.client.fetchTask({ extraFilter: "args.lr >> 0.1" }),
      () => q.client.iterTasks({ extraFilter: "args.lr >> 0.1" }).next(),
      () => q.client.lsWorkers({ extraFilter: { status: { $bogus: 1 } } }),
      () => q.client.lsWorkers({ extraFilter: "args.lr > 1" }), // a task field: workers have none
    ]) {
      await expect(call()).rejects.toBeInstanceOf(FilterError);
    }
    const error = (await q.client.lsTasks({ extraFilter: "arg.lr > 0.1" }).catch((e: unknown) => e)) as FilterError;
    expect(error).toBeInstanceOf(FilterError);
    expect(error.message).toContain("Maybe you meant 'args'?");
    expect([error.line, error.column]).toEqual([1, 1]);
  });

  it("lists with filters in the three languages and sorts given as v1 pairs or as the CLI writes them", async () => {
    await using q = await sdkQueue(transport);
    await q.setup.submitTasks([
      { args: { lr: 0.3, model: "vit" }, priority: 1, metadata: { tags: ["a"] } },
      { args: { lr: 0.1, model: "resnet" }, priority: 5, metadata: { tags: ["a", "b"] } },
      { args: { lr: 0.2, model: "vit" }, priority: 5, metadata: { tags: ["b"] } },
    ]);
    const lrs = async (options: Parameters<LabtaskerClient["lsTasks"]>[0]) => (await q.client.lsTasks(options)).content.map((task) => task.args.lr);
    expect(await lrs({ extraFilter: 'args.model == "vit"', sort: "args.lr:desc" })).toEqual([0.3, 0.2]);
    expect(await lrs({ extraFilter: { "metadata.tags": "b" }, sort: [["args.lr", 1]] })).toEqual([0.1, 0.2]);
    expect(await lrs({ extraFilter: "jsonata: args.lr > 0.15", sort: "args.lr" })).toEqual([0.2, 0.3]);
    expect(await lrs({ extraFilter: { $jsonata: "'a' in metadata.tags" }, sort: "args.lr:asc" })).toEqual([0.1, 0.3]);
    expect(await lrs({ sort: ["priority:desc", "args.lr:desc"] })).toEqual([0.2, 0.1, 0.3]);
    expect(await lrs({ sort: "priority:desc,args.lr" })).toEqual([0.1, 0.2, 0.3]);
    await expect(q.client.lsTasks({ sort: "priority:sideways" })).rejects.toBeInstanceOf(RangeError);
  });

  it("iterates over every match, page by page, while the tasks it yields are deleted or changed", async () => {
    await using q = await sdkQueue(transport);
    const ids = await q.setup.submitTasks(Array.from({ length: 2500 }, (_, i) => ({ args: { i, even: i % 2 === 0 } })));

    // Deleting what was yielded would make offset paging skip a page's worth each time.
    let deleted = 0;
    for await (const task of q.client.iterTasks({ extraFilter: "args.even == True" })) {
      await q.client.deleteTask(task.taskId);
      deleted += 1;
    }
    expect(deleted).toBe(1250);
    const left = (await q.client.lsTasks({ limit: 5000 })).content;
    expect(left).toHaveLength(1250);
    expect(left.every((task) => task.args.even === false)).toBe(true);

    // Changing what was yielded (here: its last_modified, the default order of listings) moves nothing either.
    const touched = new Set<string>();
    for await (const task of iterTasks({ pageSize: 300 })) {
      await q.client.updateTasks([{ taskId: task.taskId, metadata: { seen: true } }]);
      touched.add(task.taskId);
    }
    expect(touched.size).toBe(1250);
    expect(new Set(ids.filter((_, i) => i % 2 === 1))).toEqual(touched);
  });

  it("iterates with JSONata and relative-date filters, in a given sort order, and over workers", async () => {
    await using q = await sdkQueue(transport);
    q.skew.ms = -60 * 60_000;
    await q.setup.submitTasks(Array.from({ length: 30 }, (_, i) => ({ args: { i } })));
    q.skew.ms = 0;
    await q.setup.submitTasks(Array.from({ length: 12 }, (_, i) => ({ args: { i: 100 + i } })));

    const values = async (iterator: AsyncIterable<{ args: JsonObject }>) => {
      const out: number[] = [];
      for await (const task of iterator) out.push(Number(task.args.i));
      return out;
    };
    const byJsonata = await values(q.client.iterTasks({ extraFilter: "jsonata: args.i % 5 = 0", pageSize: 2 }));
    expect(byJsonata.sort((a, b) => a - b)).toEqual([0, 5, 10, 15, 20, 25, 100, 105, 110]);
    const old = await values(q.client.iterTasks({ extraFilter: 'created_at < date("30 minutes ago") and args.i >= 20', pageSize: 3 }));
    expect(old.sort((a, b) => a - b)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(await values(q.client.iterTasks({ extraFilter: "args.i > 103", sort: "args.i:desc", pageSize: 5 }))).toEqual([111, 110, 109, 108, 107, 106, 105, 104]);

    for (let n = 0; n < 7; n++) await createWorker({ workerName: `gpu${n}` });
    const names: string[] = [];
    for await (const worker of iterWorkers({ pageSize: 2, extraFilter: 'regex(worker_name, "^gpu[0-4]$")' })) names.push(worker.workerName!);
    expect(names.sort()).toEqual(["gpu0", "gpu1", "gpu2", "gpu3", "gpu4"]);
  });

  it("submits thousands of tasks in one round trip, ids in order", async () => {
    await using q = await sdkQueue(transport);
    const before = q.requests.length;
    const ids = await q.client.submitTasks(Array.from({ length: 3000 }, (_, i) => ({ taskName: `t${i}`, args: { i } })));
    expect(ids).toHaveLength(3000);
    // Over HTTP, one request; in direct mode, none at all.
    expect(q.requests.slice(before)).toEqual(transport === "http" ? ["POST /api/v1/queues/me/tasks/batch"] : []);
    const sample = await Promise.all([0, 1499, 2999].map((i) => q.setup.getTask(ids[i]!)));
    expect(sample.map((task) => [task.taskName, task.args.i])).toEqual([
      ["t0", 0],
      ["t1499", 1499],
      ["t2999", 2999],
    ]);
  });

  it("applies any number of updates, in batches of 1,000, and lists every failure across batches", async () => {
    await using q = await sdkQueue(transport);
    const ids = await q.setup.submitTasks(Array.from({ length: 1500 }, (_, i) => ({ args: { i, lr: 0.1 } })));
    const updated = await q.client.updateTasks(ids.map((taskId): TaskUpdate => ({ taskId, args: { lr: 0.5 } })));
    expect(updated.content).toHaveLength(1500);
    expect((await q.setup.getTask(ids[1234]!)).args).toEqual({ i: 1234, lr: 0.5 });

    const updates: TaskUpdate[] = ids.map((taskId) => ({ taskId, priority: 7 }));
    updates.splice(10, 0, { taskId: "missing-1", priority: 7 });
    updates.splice(1200, 0, { taskId: "missing-2", priority: 7 });
    const error = (await q.client.updateTasks(updates).catch((e: unknown) => e)) as UpdateFailedError;
    expect(error).toBeInstanceOf(UpdateFailedError);
    expect(error.failures.map(([taskId]) => taskId)).toEqual(["missing-1", "missing-2"]);
    expect(error.message).toContain("Failed to update 2/1502 tasks");
    expect((await q.setup.getTask(ids[1499]!)).priority).toBe(7);
  });

  it("serves the CLI: batched submits with progress, offset pages from a position, settled updates, deletes of many", async () => {
    await using q = await sdkQueue(transport);
    const batchSizes: number[] = [];
    const ids = await q.client.submitTasks(Array.from({ length: 25 }, (_, i) => ({ args: { i } })), {
      batchSize: 10,
      onBatch: (batch) => {
        batchSizes.push(batch.length);
      },
    });
    expect(batchSizes).toEqual([10, 10, 5]);
    expect((await q.setup.getTask(ids[24]!)).args).toEqual({ i: 24 });

    // Offset paging without a sort reads in the server's order, as lsTasks does, from the offset on; one request a page,
    // after one for the first item (a listing snapshot is made at offset 0).
    const before = q.requests.length;
    const pages: string[][] = [];
    for await (const page of q.client.iterTaskPages({ paging: "offset", offset: 5, pageSize: 8, dropRepeats: false })) pages.push(page.map((task) => task.taskId));
    expect(q.requests.slice(before)).toEqual(transport === "http" ? Array(4).fill("POST /api/v1/queues/me/tasks/search") : []);
    expect(pages.map((page) => page.length)).toEqual([8, 8, 4]);
    expect(pages.flat()).toEqual((await q.client.lsTasks({ limit: 100 })).content.slice(5).map((task) => task.taskId));
    await expect(q.client.iterTaskPages({ paging: "id", offset: 3 }).next()).rejects.toBeInstanceOf(RangeError);

    // A batch with a failure: its other updates are applied (our server and direct mode refuse the whole batch, and
    // the client sends it again without the failure), with progress after each batch.
    const updates: TaskUpdate[] = [{ taskId: ids[0]!, priority: 3 }, { taskId: "missing-1", priority: 3 }, { taskId: ids[1]!, priority: 3 }];
    const progress: number[] = [];
    const settled = await q.client.updateTasksSettled(updates, { readBackApplied: false, onBatch: (done) => progress.push(done) });
    expect(settled.failures).toEqual([["missing-1", expect.any(String)]]);
    expect(settled.content.map((task) => task.taskId)).toEqual([ids[0], ids[1]]);
    expect(progress).toEqual([3]);
    expect((await q.setup.getTask(ids[1]!)).priority).toBe(3);
    // Counted, not kept: what `task update` does over 100,000 tasks.
    expect(await q.client.updateTasksSettled(updates, { returnTasks: false })).toEqual({ content: [], updated: 2, failures: [["missing-1", expect.any(String)]] });

    const missingId = "00000000-0000-0000-0000-000000000000";
    const outcomes: string[] = [];
    const missing = await q.client.deleteTasks([ids[2]!, missingId, ids[3]!], { onEach: (id, outcome) => outcomes.push(`${id === missingId ? "missing id" : "id"} ${outcome}`) });
    expect(missing).toEqual([missingId]);
    expect(outcomes).toEqual(["id deleted", "missing id missing", "id deleted"]);
    await expect(q.setup.getTask(ids[2]!)).rejects.toBeInstanceOf(TaskNotFoundError);
    const workerId = await q.client.createWorker();
    expect(await q.client.deleteWorkers([workerId, missingId])).toEqual([missingId]);
  });

  it("manages workers through the module-level functions", async () => {
    await using q = await sdkQueue(transport);
    expect((await q.setup.lsWorkers()).content).toEqual([]);
    const workerId = await createWorker({ workerName: "gpu0", metadata: { host: "a" }, maxRetries: 5 });
    expect(await getWorker(workerId)).toMatchObject({ workerName: "gpu0", status: "active", maxRetries: 5, metadata: { host: "a" } });
    await reportWorkerStatus(workerId, "suspended");
    expect((await lsWorkers({ status: "suspended" })).content.map((worker) => worker.workerId)).toEqual([workerId]);
    await deleteWorker(workerId);
    expect((await lsWorkers()).content).toEqual([]);
  });

  it("streams events, replays after a sequence number, and resumes after a lost connection without a gap", async () => {
    await using q = await sdkQueue(transport);
    const first = await q.client.submitTask({ args: { n: 1 } });
    const controller = new AbortController();
    const seen: QueueEvent[] = [];
    // Replay from the start: the submit above is sequence 1.
    const reading = collect(q.client.events({ afterSequence: 0, signal: controller.signal }), 4, seen);
    await waitFor(() => seen.length >= 1, "the replayed event");
    expect(seen[0]).toMatchObject({ entityType: "task", entityId: first, oldState: "created", newState: "pending", sequence: 1 });
    if (transport === "http") {
      // The server goes away; what happens meanwhile must arrive after it is back.
      await q.restartServer(async () => {
        await q.setup.submitTask({ args: { n: 2 } });
        await q.setup.submitTask({ args: { n: 3 } });
      });
    } else {
      await q.setup.submitTask({ args: { n: 2 } });
      await q.setup.submitTask({ args: { n: 3 } });
    }
    await q.setup.submitTask({ args: { n: 4 } });
    await reading;
    controller.abort();
    expect(seen.map((event) => event.sequence)).toEqual([1, 2, 3, 4]);
    expect(seen.map((event) => (event.entityData.args as JsonObject).n)).toEqual([1, 2, 3, 4]);
  });

  it("binds the module-level functions to a client with withClient, and to configured options with configure", async () => {
    await using q = await sdkQueue(transport);
    await using other = await sdkQueue(transport);
    // `other` made itself the default; q's client is used inside withClient only.
    const inQ = await withClient(q.client, () => submitTask({ args: { where: "q" } }));
    const inOther = await submitTask({ args: { where: "other" } });
    expect((await q.setup.getTask(inQ)).args).toEqual({ where: "q" });
    expect((await other.setup.getTask(inOther)).args).toEqual({ where: "other" });

    configure(q.connectOptions);
    expect((await lsTasks()).content.map((task) => task.taskId)).toEqual([inQ]);
  });

  it("connects from client.toml and the environment, explicit options first", async () => {
    await using q = await sdkQueue(transport);
    await q.setup.submitTask({ args: { n: 1 } });
    const root = scratchDir();
    saveClientConfig(root, {
      apiBaseUrl: q.url ?? "http://127.0.0.1:1/",
      queueName: q.queueName,
      password: q.password,
      redisUrl: transport === "direct" ? redisUrl() : null,
      heartbeatInterval: 2,
    });
    // A top-level key, so before the file's first table.
    if (transport === "direct") writeFileSync(join(root, "client.toml"), `key_prefix = "${q.prefix}"\n${readFileSync(join(root, "client.toml"), "utf8")}`);

    const fromFile = await connect({ root, env: {} });
    expect([fromFile.mode, fromFile.queueName, fromFile.heartbeatInterval, fromFile.root]).toEqual([transport, q.queueName, 2, root]);
    expect((await fromFile.lsTasks()).content).toHaveLength(1);
    await fromFile.close();

    // The environment wins over the file: a wrong password there is used, and refused.
    const fromEnv = await connect({ root, env: { LABTASKER_PASSWORD: "wrong" } });
    await expect(fromEnv.getQueue()).rejects.toBeInstanceOf(AuthError);
    await fromEnv.close();

    // Explicit options win over both.
    const explicit = await connect({ root, env: { LABTASKER_PASSWORD: "wrong" }, password: q.password });
    expect((await explicit.getQueue()).queueName).toBe(q.queueName);
    await explicit.close();

    // A whole configuration from the environment alone (the variables `labtasker loop` passes to its commands).
    const envOnly = await connect({ root: scratchDir(), env: envFor(q) });
    expect(envOnly.mode).toBe(transport);
    expect((await envOnly.lsTasks()).content).toHaveLength(1);
    await envOnly.close();
  });

  it("a client made idle does not keep a script alive: it exits without close()", async () => {
    await using q = await sdkQueue(transport);
    const script = `
      import { submitTask, lsTasks, connect } from ${JSON.stringify(DIST_ROOT)};
      const id = await submitTask({ args: { from: "script" } });
      const own = await connect();
      const { content } = await own.lsTasks();
      process.stdout.write(JSON.stringify({ id, listed: content.length }));
    `;
    const child = startNode(["--input-type=module", "-e", script], { env: envFor(q), timeoutMs: 20_000 });
    const result = await child.done;
    expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    const { id, listed } = JSON.parse(result.stdout) as { id: string; listed: number };
    expect(listed).toBe(1);
    expect((await q.setup.getTask(id)).args).toEqual({ from: "script" });
  });
});

describe("connect() without a usable configuration", () => {
  it("raises ConfigError when no queue is configured, when both URLs are given, and for a broken client.toml", async () => {
    const root = scratchDir();
    await expect(connect({ root, env: {} })).rejects.toBeInstanceOf(ConfigError);
    await expect(connect({ useConfig: false, serverUrl: "http://127.0.0.1:1" })).rejects.toThrow(/No queue configured/);
    await expect(connect({ serverUrl: "http://x", redisUrl: "redis://x", queueName: "q", password: "p" })).rejects.toBeInstanceOf(ConfigError);
    writeFileSync(join(root, "client.toml"), "[queue\nqueue_name = 1\n");
    await expect(connect({ root, env: {} })).rejects.toThrow(/Cannot read the client configuration/);
  });

  it("an explicit serverUrl wins over a configured redis_url", async () => {
    const root = scratchDir();
    saveClientConfig(root, { apiBaseUrl: "http://127.0.0.1:1/", queueName: "q", password: "p", redisUrl: "redis://127.0.0.1:1" });
    const client = await connect({ root, env: {}, serverUrl: "http://127.0.0.1:2" });
    expect(client.mode).toBe("http");
    await client.close();
  });
});

describe("events() reconnection", () => {
  /** A transport whose event stream fails once with `error` after two events, then resumes where asked. */
  function flakyEvents(error: unknown): { api: Labtasker; calls: Array<number | undefined> } {
    const calls: Array<number | undefined> = [];
    const event = (sequence: number): QueueEvent => ({ sequence, queueId: "q", timestamp: new Date(), entityType: "task", entityId: `t${sequence}`, oldState: "pending", newState: "running", entityData: {} });
    const api = {
      async *events(options: EventsOptions = {}) {
        calls.push(options.afterSequence);
        const start = (options.afterSequence ?? 0) + 1;
        if (calls.length === 1) {
          yield event(start);
          yield event(start + 1);
          throw error;
        }
        for (let sequence = start; sequence < start + 2; sequence++) yield event(sequence);
        await new Promise((resolve) => options.signal?.addEventListener("abort", resolve));
      },
      close: async () => undefined,
    } as unknown as Labtasker;
    return { api, calls };
  }

  it("subscribes again after a lost connection (network, 5xx, ioredis) from the last event seen", async () => {
    for (const error of [new LabtaskerError(0, "Cannot reach the labtasker server"), new LabtaskerError(503, "unavailable"), Object.assign(new Error("Reached the max retries per request limit"), { name: "MaxRetriesPerRequestError" })]) {
      const { api, calls } = flakyEvents(error);
      const controller = new AbortController();
      const seen = await collect(new LabtaskerClient(api).events({ afterSequence: 10, signal: controller.signal }), 4);
      controller.abort();
      expect(seen.map((event) => event.sequence)).toEqual([11, 12, 13, 14]);
      expect(calls).toEqual([10, 12]);
    }
  });

  it("ends with the error for a refusal, or when reconnect is off", async () => {
    const refused = flakyEvents(new AuthError());
    await expect(collect(new LabtaskerClient(refused.api).events(), 5)).rejects.toBeInstanceOf(AuthError);
    expect(refused.calls).toHaveLength(1);
    const lost = flakyEvents(new LabtaskerError(0, "gone"));
    await expect(collect(new LabtaskerClient(lost.api).events({ reconnect: false }), 5)).rejects.toThrow("gone");
  });
});

describe("numbers keep their form through the SDK", () => {
  it.each(TRANSPORTS)("a Python float 3.0 stays a float over %s", async (transport) => {
    await using q = await sdkQueue(transport);
    const taskId = await q.client.submitTask({ args: parseJson('{"lr": 3.0}') as JsonObject });
    expect(String((await q.client.getTask(taskId)).args.lr)).toBe("3.0");
  });
});
