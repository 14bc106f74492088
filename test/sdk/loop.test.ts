/**
 * `loop()` over both transports: the args schema (conversions, nested schemas as dotted required fields, `"*"`,
 * resolvers and parsers, refusals), failures reported with v1's summary and retried, the worker's crash budget,
 * the handler's own reports (finish, running, cancelled), heartbeats, stopping by signal (in a child process, as a
 * user's script gets them), options it refuses, and `taskInfo()` / `finish()` / `reportTaskStatus()` from a process
 * started by `labtasker loop`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ArgsError,
  FilterError,
  LoopOptionsError,
  WorkerNotFoundError,
  WorkerSuspendedError,
  finish,
  loop,
  parseJson,
  reportTaskStatus,
  taskInfo,
  type JsonObject,
  type JsonValue,
  type LoopContext,
} from "../../src/index.js";
import { loopHarness } from "../runner/support.js";
import { DIST_ROOT, TRANSPORTS, envFor, sdkQueue, startNode, testLoopOptions, waitFor, type SdkQueue } from "./support.js";

/** The `labtasker_exception` of a task's summary. */
async function exceptionOf(q: SdkQueue, taskId: string): Promise<Record<string, string>> {
  return (await q.setup.getTask(taskId)).summary.labtasker_exception as Record<string, string>;
}

describe.each(TRANSPORTS)("loop() over %s", (transport) => {
  it("parses args by the schema, and fetches only tasks with exactly the schema's fields (nested ones dotted)", async () => {
    await using q = await sdkQueue(transport);
    const [fits] = await q.setup.submitTasks([
      { args: parseJson('{"lr": "0.5", "epochs": 3.0, "model": 18, "flag": "true", "optimizer": {"name": "sgd", "momentum": 0.9}}') as JsonObject },
      { args: { lr: 1, epochs: 1, model: "m", flag: true, optimizer: { name: "sgd" } } }, // no less: momentum missing
      { args: { lr: 1, epochs: 1, model: "m", flag: true, optimizer: { name: "sgd", momentum: 0.9, nesterov: true } } }, // no more, one level down
    ]);
    const got: unknown[] = [];

    const result = await loop(
      { args: { lr: Number, epochs: Number, model: String, flag: Boolean, optimizer: { name: String, momentum: Number } }, ...testLoopOptions(q) },
      (args) => void got.push(args),
    );

    expect(result).toMatchObject({ reason: "done", succeeded: 1 });
    expect(got).toEqual([{ lr: 0.5, epochs: 3, model: "18", flag: true, optimizer: { name: "sgd", momentum: 0.9 } }]);
    expect((await q.tasks()).map((task) => task.status)).toEqual(["success", "pending", "pending"]);
    expect((await q.setup.getTask(fits!)).status).toBe("success");
  });

  it('passes extra args through with "*": true, and runs async resolvers and parse() objects (a zod-like schema)', async () => {
    await using q = await sdkQueue(transport);
    await q.setup.submitTasks([{ args: { prompt: "an astronaut riding a horse", guidance_scale: 7.5, date: "2025-07-01" } }, { args: { guidance_scale: 1 } }]);
    class DateSchema {
      parse(value: unknown): Date {
        if (typeof value !== "string") throw new TypeError("expected a date string");
        return new Date(`${value}T00:00:00Z`);
      }
    }
    const got: unknown[] = [];

    await loop(
      { args: { prompt: async (value: JsonValue) => String(value).toUpperCase(), date: new DateSchema(), "*": true }, ...testLoopOptions(q) },
      (args) => void got.push(args),
    );

    expect(got).toEqual([{ prompt: "AN ASTRONAUT RIDING A HORSE", guidance_scale: 7.5, date: new Date("2025-07-01T00:00:00Z") }]);
  });

  it("fails a run whose args do not fit the schema with an ArgsError in v1's labtasker_exception summary", async () => {
    await using q = await sdkQueue(transport);
    const [taskId] = await q.setup.submitTasks([{ args: { lr: "fast" }, maxRetries: 1 }]);
    let ran = false;

    const result = await loop({ args: { lr: Number }, ...testLoopOptions(q) }, () => {
      ran = true;
    });

    expect(ran).toBe(false);
    expect(result).toMatchObject({ failed: 1, succeeded: 0 });
    const exception = await exceptionOf(q, taskId!);
    expect(exception).toMatchObject({ type: "ArgsError", message: 'args.lr: expected a number, got string "fast"' });
    expect(exception.traceback).toContain("ArgsError: args.lr: expected a number");
  });

  it("reports a thrown error with its type, message and stack, and retries the task until max_retries", async () => {
    await using q = await sdkQueue(transport);
    const [taskId] = await q.setup.submitTasks([{ args: { lr: 0.1 }, maxRetries: 2 }]);
    class DivergedError extends Error {
      override name = "DivergedError";
    }
    const attempts: number[] = [];

    const result = await loop({ args: { lr: Number }, ...testLoopOptions(q) }, function trainOnce() {
      attempts.push(taskInfo().retries);
      throw new DivergedError("loss is NaN at epoch 3");
    });

    expect(attempts).toEqual([0, 1]);
    expect(result).toMatchObject({ reason: "done", failed: 2, succeeded: 0 });
    expect(await q.setup.getTask(taskId!)).toMatchObject({ status: "failed", retries: 2 });
    const exception = await exceptionOf(q, taskId!);
    expect(exception).toMatchObject({ type: "DivergedError", message: "loss is NaN at epoch 3" });
    expect(exception.traceback).toMatch(/DivergedError: loss is NaN at epoch 3\n\s+at trainOnce/);
    expect(await q.setup.getWorker(result.workerId)).toMatchObject({ status: "active", retries: 2 });
  });

  it("stops with reason suspended when the worker's crash budget is spent, leaving the other tasks pending", async () => {
    await using q = await sdkQueue(transport);
    await q.setup.submitTasks(Array.from({ length: 4 }, (_, i) => ({ args: { i } })));
    let runs = 0;

    const result = await loop({ args: { i: Number }, createWorker: { workerName: "flaky-gpu", maxRetries: 2 }, ...testLoopOptions(q) }, () => {
      runs += 1;
      throw new Error("CUDA error: an illegal memory access was encountered");
    });

    expect(runs).toBe(2);
    expect(result.reason).toBe("suspended");
    expect(result.suspension).toBeInstanceOf(WorkerSuspendedError);
    expect(await q.setup.getWorker(result.workerId)).toMatchObject({ workerName: "flaky-gpu", status: "crashed", retries: 2 });
    expect((await q.tasks()).filter((task) => task.status === "pending")).toHaveLength(4); // the failed two are retried later
  });

  it("runs as a given worker, and gives the handler its context", async () => {
    await using q = await sdkQueue(transport);
    const workerId = await q.setup.createWorker({ workerName: "mine" });
    const [taskId] = await q.setup.submitTasks([{ args: { a: 1 }, taskName: "ctx" }]);
    const contexts: LoopContext[] = [];
    const env: Array<string | undefined> = [];

    const result = await loop({ args: { a: Number }, workerId, ...testLoopOptions(q) }, (_args, context) => {
      contexts.push(context);
      env.push(process.env.LABTASKER_TASK_ID, context.env.LABTASKER_LOG_DIR);
    });

    expect(result).toMatchObject({ workerId, workerCreated: false, succeeded: 1 });
    const [context] = contexts;
    expect(context).toMatchObject({ taskId, workerId, task: { taskId, taskName: "ctx", status: "running" } });
    expect(context!.client).toBe(q.client);
    expect(env).toEqual([taskId, context!.logDir]);
    expect(context!.signal.aborted).toBe(false);
  });

  it("takes the handler's own reports: finish, running summaries, success and cancel, none reported over or retried", async () => {
    await using q = await sdkQueue(transport);
    // One attempt each, so a failure is final rather than fetched again.
    const ids = await q.setup.submitTasks(["finish-failed", "running-then-success", "report-success", "ctx-cancel", "plain"].map((action) => ({ args: { action }, maxRetries: 1 })));
    const options = testLoopOptions(q);

    const result = await loop({ args: { action: String }, ...options }, async ({ action }, context) => {
      switch (action) {
        case "finish-failed":
          await finish("failed", { reason: "validation accuracy too low" });
          return;
        case "running-then-success":
          await context.updateSummary({ epoch: 1 });
          await reportTaskStatus(context.taskId, "running", { summary: { epoch: 2, acc: 0.7 } });
          return;
        case "report-success":
          await reportTaskStatus(context.taskId, "success", { summary: { acc: 0.9 } });
          return;
        case "ctx-cancel":
          await context.cancel({ why: "duplicate run" });
          return;
      }
    });

    expect(result).toMatchObject({ reason: "done", succeeded: 3, failed: 1, cancelled: 1 });
    const tasks = await Promise.all(ids.map((id) => q.setup.getTask(id)));
    expect(tasks.map((task) => [task.args.action, task.status, task.summary, task.retries])).toEqual([
      ["finish-failed", "failed", { reason: "validation accuracy too low" }, 1],
      ["running-then-success", "success", { epoch: 2, acc: 0.7 }, 0],
      ["report-success", "success", { acc: 0.9 }, 0],
      ["ctx-cancel", "cancelled", { why: "duplicate run" }, 0],
      ["plain", "success", {}, 0],
    ]);
    expect(options.log.lines.filter((line) => /^(warn|error) /.test(line))).toEqual([]);
  });

  it("refreshes the heartbeat while the handler runs, with the timeout set to 3 × the interval", async () => {
    await using q = await sdkQueue(transport);
    const [taskId] = await q.setup.submitTasks([{ args: { a: 1 } }]);
    const beats: number[] = [];

    await loop({ args: { a: Number }, heartbeatInterval: 0.2, ...testLoopOptions(q) }, async () => {
      for (let i = 0; i < 4; i++) {
        beats.push((await q.setup.getTask(taskId!)).lastHeartbeat!.getTime());
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });

    expect(new Set(beats).size).toBeGreaterThanOrEqual(3);
    expect((await q.setup.getTask(taskId!)).heartbeatTimeout).toBeCloseTo(0.6);
  });

  it("stops on options.signal: the handler's signal aborts, its task is reported interrupted, the created worker deleted", async () => {
    await using q = await sdkQueue(transport);
    const [first] = await q.setup.submitTasks([{ args: { i: 1 } }, { args: { i: 2 } }]);
    const controller = new AbortController();
    let reason: unknown;

    const result = await loop({ args: { i: Number }, signal: controller.signal, ...testLoopOptions(q) }, async (_args, { signal }) => {
      controller.abort("SIGINT");
      reason = signal.reason;
      signal.throwIfAborted();
    });

    expect(reason).toBe("SIGINT");
    expect(result).toMatchObject({ reason: "stopped", signal: "SIGINT", failed: 1 });
    expect(await q.setup.getTask(first!)).toMatchObject({ status: "pending", retries: 1 });
    expect((await exceptionOf(q, first!)).type).toBe("KeyboardInterrupt");
    await expect(q.setup.getWorker(result.workerId)).rejects.toBeInstanceOf(WorkerNotFoundError);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("stops cleanly on %s in a worker process: task reported, worker deleted, process ends", async (signal) => {
    await using q = await sdkQueue(transport);
    const [taskId] = await q.setup.submitTasks([{ args: { n: 1 } }, { args: { n: 2 } }]);
    const script = `
      import { setTimeout as sleep } from "node:timers/promises";
      import { loop, silentLogger } from ${JSON.stringify(DIST_ROOT)};
      const result = await loop({ args: { n: Number }, log: silentLogger }, async (_args, { signal }) => {
        process.stdout.write("started\\n");
        await sleep(30_000, undefined, { signal });
      });
      process.stdout.write(JSON.stringify(result) + "\\n");
    `;
    const child = startNode(["--input-type=module", "-e", script], { env: envFor(q) });
    await waitFor(() => child.stdout.includes("started"), "the handler to start");
    child.kill(signal);
    const exit = await child.done;

    expect({ code: exit.code, signal: exit.signal, stderr: exit.stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    const result = JSON.parse(exit.stdout.trim().split("\n").at(-1)!) as { reason: string; signal: string; failed: number; workerId: string };
    expect(result).toMatchObject({ reason: "stopped", signal, failed: 1 });
    expect(await q.setup.getTask(taskId!)).toMatchObject({ status: "pending", retries: 1, workerId: null });
    expect((await exceptionOf(q, taskId!)).type).toBe(signal === "SIGINT" ? "KeyboardInterrupt" : "Interrupted");
    expect((await q.tasks())[1]!.status).toBe("pending"); // the second task was never started
    await expect(q.setup.getWorker(result.workerId)).rejects.toBeInstanceOf(WorkerNotFoundError);
  });
});

describe("loop() options it refuses, before touching the queue", () => {
  it("throws LoopOptionsError for a bad schema or options, and FilterError for a bad filter", async () => {
    await using q = await sdkQueue("direct");
    await q.setup.submitTask({ args: { a: 1 } });
    const options = testLoopOptions(q);
    const refused = async (run: () => Promise<unknown>) => run().catch((error: unknown) => error);
    const bad: Array<[() => Promise<unknown>, RegExp]> = [
      [() => loop({ args: { "not a key": Number }, ...options }, () => undefined), /is not an arg path/],
      [() => loop({ args: { a: { "*": true } }, ...options }, () => undefined), /only valid at the top level/],
      [() => loop({ args: { a: {} }, ...options }, () => undefined), /empty nested schema/],
      [() => loop({ args: { a: 5 as unknown as typeof Number }, ...options }, () => undefined), /must be Number, String, Boolean/],
      [() => loop({ requiredFields: "a" as unknown as string[], ...options }, () => undefined), /requiredFields must be a list/],
      [() => loop({ heartbeatInterval: 0, ...options }, () => undefined), /heartbeatInterval must be a positive number/],
      [() => loop({ etaMax: "soon", ...options }, () => undefined), /etaMax must be a duration/],
      [() => loop({ ...options } as never, undefined as never), /needs a handler function/],
    ];
    for (const [run, message] of bad) {
      const error = await refused(run);
      expect(error).toBeInstanceOf(LoopOptionsError);
      expect((error as Error).message).toMatch(message);
    }
    expect(await refused(() => loop({ extraFilter: "args.a >> 1", ...options }, () => undefined))).toBeInstanceOf(FilterError);

    // One loop at a time: the second is refused while the first runs.
    let second: unknown;
    await loop({ ...options }, async () => {
      second = await refused(() => loop({ ...options }, () => undefined));
    });
    expect(second).toBeInstanceOf(LoopOptionsError);
    expect((await q.setup.lsWorkers()).content).toHaveLength(1); // only the loop that ran created a worker
  });

  it("a schema value error is an ArgsError naming the path", () => {
    const error = new ArgsError("optimizer.lr", "expected a number, got null");
    expect(error.message).toBe("args.optimizer.lr: expected a number, got null");
    expect([error.name, error.path]).toEqual(["ArgsError", "optimizer.lr"]);
  });
});

describe.each(["server", "direct"] as const)("the SDK in a command run by `labtasker loop` (%s)", (mode) => {
  it("reads taskInfo(), and reports with finish() and reportTaskStatus(); the loop does not report over it", async () => {
    await using h = await loopHarness({ mode });
    const child = join(h.dir, "child.mjs");
    writeFileSync(
      child,
      `
      import { currentWorkerId, finish, reportTaskStatus, taskInfo } from ${JSON.stringify(DIST_ROOT)};
      const task = taskInfo();
      const action = process.argv[2];
      if (task.args.action !== action) throw new Error("taskInfo() is not this command's task");
      if (action === "finish") await finish("success", { from: "child", worker: currentWorkerId() });
      if (action === "finish-then-fail") {
        await finish("failed", { reason: "reported before exiting 3" });
        process.exit(3);
      }
      if (action === "cancel") await reportTaskStatus(task.taskId, "cancelled", { summary: { why: "nan" } });
      if (action === "running") await reportTaskStatus(task.taskId, "running", { summary: { epoch: 1 } });
      `,
    );
    const ids = await h.api.submitTasks(["finish", "finish-then-fail", "cancel", "running"].map((action) => ({ args: { action }, maxRetries: 1 })));

    const run = await h.run(["loop", "--", process.execPath, child, "%(action)"]);

    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/refused|Error in task loop|Traceback/);
    const tasks = await Promise.all(ids.map((id) => h.api.getTask(id)));
    const workerId = tasks[0]!.summary.worker;
    expect(typeof workerId).toBe("string");
    expect(tasks.map((task) => [task.args.action, task.status, task.summary])).toEqual([
      ["finish", "success", { from: "child", worker: workerId }],
      ["finish-then-fail", "failed", { reason: "reported before exiting 3" }],
      ["cancel", "cancelled", { why: "nan" }],
      ["running", "success", { epoch: 1 }],
    ]);
    // Each run directory says how its run ended; the cancelled one too.
    const statuses = h.runDirs().map((dir) => JSON.parse(readFileSync(join(dir, "status.json"), "utf8")) as { status: string });
    expect(statuses.map((s) => s.status).sort()).toEqual(["cancelled", "failed", "success", "success"]);
    expect(h.runDirs().every((dir) => !existsSync(join(dir, "heartbeat.lock")))).toBe(true);
  });
});
