/**
 * The loop runtime in-process (the SDK's view): worker creation and reuse, the run directory and environment of each
 * task, success and failure reports with v1's summary shape, the Report/Ignore and Continue/Exit choices, `finish()`
 * from inside a job, heartbeats, internal-error backoff, a suspended worker, stopping, and the failed-status hint.
 * Signals are left to the CLI tests (they would hit the test runner itself): here `handleSignals` is off and stops
 * come through `options.signal`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Labtasker } from "../../src/core/api.js";
import { LabtaskerError, WorkerNotFoundError, WorkerSuspendedError } from "../../src/core/errors.js";
import type { Task } from "../../src/core/model.js";
import {
  JobFailedError,
  LoopOptionsError,
  NoTaskError,
  currentTaskId,
  currentWorkerId,
  finish,
  internalErrorDelay,
  nonPendingStatuses,
  runLoop,
  taskInfo,
  type LoopJobContext,
  type LoopLogger,
  type LoopOptions,
  type Prompter,
} from "../../src/runner/index.js";
import { createTestQueue } from "../support/redis.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A LABTASKER_ROOT of its own for each loop. */
function scratchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "runner-test-"));
  roots.push(root);
  return root;
}

/** A logger that keeps the lines, so tests read what the loop said. */
function memoryLogger(): LoopLogger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { lines, debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
}

/** The API with some calls recorded or replaced, everything else passed through. */
function instrument(api: Labtasker, overrides: Partial<Record<keyof Labtasker, (...args: never[]) => unknown>>, calls: string[] = []): Labtasker {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        const override = overrides[property as keyof Labtasker] as ((...a: unknown[]) => unknown) | undefined;
        return override ? override(...args) : (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function queue() {
  // The real clock: heartbeats and the run directory's timestamps are about real time.
  return createTestQueue({ now: () => Date.now() });
}

function baseOptions(api: Labtasker, job: LoopOptions["job"], extra: Partial<LoopOptions> = {}): LoopOptions {
  return { client: api, job, root: scratchRoot(), handleSignals: false, log: memoryLogger(), promptOnFailure: false, ...extra };
}

describe("runLoop", () => {
  it("creates a worker, gives each task its context, directory and environment, and reports success", async () => {
    await using q = await queue();
    const first = await q.api.submitTask({ args: { lr: 0.1 }, taskName: "first", priority: 20 });
    const second = await q.api.submitTask({ args: { lr: 0.2 } });
    const seen: Array<{ task: Task; context: LoopJobContext; env: Record<string, string | undefined>; info: Task; current: string | null; worker: string | null }> = [];
    const root = scratchRoot();
    const result = await runLoop(
      baseOptions(
        q.api,
        async (task, context) => {
          seen.push({
            task,
            context,
            env: { task: process.env.LABTASKER_TASK_ID, worker: process.env.LABTASKER_WORKER_ID, logDir: process.env.LABTASKER_LOG_DIR, root: process.env.LABTASKER_ROOT },
            info: taskInfo(),
            current: currentTaskId(),
            worker: currentWorkerId(),
          });
          process.stdout.write(`\u001b[1mworking on ${String(task.args.lr)}\u001b[0m\n`);
        },
        { root },
      ),
    );

    expect(result).toMatchObject({ reason: "done", succeeded: 2, failed: 0, ignored: 0, workerCreated: true, signal: null });
    expect(seen.map((s) => s.task.taskId)).toEqual([first, second]); // priority order
    for (const { task, context, env, info, current, worker } of seen) {
      expect(context.workerId).toBe(result.workerId);
      expect(env).toEqual({ task: task.taskId, worker: result.workerId, logDir: context.logDir, root });
      expect(context.env.LABTASKER_TASK_ID).toBe(task.taskId);
      expect(info.taskId).toBe(task.taskId);
      expect([current, worker]).toEqual([task.taskId, result.workerId]);
      expect(context.logDir.startsWith(join(root, "logs", "run", "run_t"))).toBe(true);
      expect(basename(context.logDir)).toMatch(new RegExp(`^run_t\\d{4}(-\\d{2}){5}_n${task.taskName ?? "None"}_id${task.taskId}_rd[0-9a-f]{8}$`));
      const written = JSON.parse(readFileSync(join(context.logDir, "task_info.json"), "utf8")) as Record<string, unknown>;
      expect(written).toMatchObject({ task_id: task.taskId, status: "running", worker_id: result.workerId, args: task.args, summary: {} });
      expect(Object.keys(written)).toEqual(["task_id", "queue_id", "status", "task_name", "created_at", "start_time", "last_heartbeat", "last_modified", "heartbeat_timeout", "task_timeout", "max_retries", "retries", "priority", "metadata", "args", "cmd", "summary", "worker_id"]);
      expect(readFileSync(join(context.logDir, "task_info.json"), "utf8")).toContain('"heartbeat_timeout": 30.0'); // a float, as v1's model
      expect(JSON.parse(readFileSync(join(context.logDir, "summary.json"), "utf8"))).toEqual({});
      expect(JSON.parse(readFileSync(join(context.logDir, "status.json"), "utf8"))).toEqual({ status: "success" });
      expect(readFileSync(join(context.logDir, "run.log"), "utf8")).toBe(`working on ${String(task.args.lr)}\n`);
      expect(existsSync(join(context.logDir, "heartbeat.lock"))).toBe(false);
    }
    expect((await q.api.lsTasks({ status: "success" })).content).toHaveLength(2);
    // The worker stays when the queue runs dry (as v1); the loop's variables are gone again.
    expect((await q.api.getWorker(result.workerId)).status).toBe("active");
    expect([process.env.LABTASKER_TASK_ID, process.env.LABTASKER_WORKER_ID, process.env.LABTASKER_LOG_DIR]).toEqual([undefined, undefined, undefined]);
    expect(currentTaskId()).toBeNull();
    expect(() => taskInfo()).toThrow(NoTaskError);
  });

  it("runs as the worker named by workerId, else LABTASKER_WORKER_ID, and creates none", async () => {
    await using q = await queue();
    const fromEnv = await q.api.createWorker();
    const fromOption = await q.api.createWorker();
    await q.api.submitTask({ args: { a: 1 } });
    await q.api.submitTask({ args: { a: 2 } });
    process.env.LABTASKER_WORKER_ID = fromEnv;
    try {
      const byEnv = await runLoop(baseOptions(q.api, async () => undefined, { handleSignals: false, signal: undefined, requiredFields: ["a"], extraFilter: "args.a == 1" }));
      expect(byEnv).toMatchObject({ workerId: fromEnv, workerCreated: false, succeeded: 1 });
      const byOption = await runLoop(baseOptions(q.api, async () => undefined, { workerId: fromOption }));
      expect(byOption).toMatchObject({ workerId: fromOption, workerCreated: false, succeeded: 1 });
      expect(process.env.LABTASKER_WORKER_ID).toBe(fromEnv); // restored
    } finally {
      delete process.env.LABTASKER_WORKER_ID;
    }
    expect((await q.api.lsWorkers()).content).toHaveLength(2);
  });

  it("fetches only tasks whose args have exactly the required fields", async () => {
    await using q = await queue();
    const exact = await q.api.submitTask({ args: { a: { b: 1 } } });
    await q.api.submitTask({ args: { a: { b: 2, c: 3 } } });
    await q.api.submitTask({ args: { a: { b: 4 }, extra: 0 } });
    const ran: string[] = [];
    await runLoop(baseOptions(q.api, async (task) => void ran.push(task.taskId), { requiredFields: ["a.b"] }));
    expect(ran).toEqual([exact]);
  });

  it("reports a failure with v1's labtasker_exception summary; retries are counted as v1 (task and worker)", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 }, maxRetries: 2 });
    let attempts = 0;
    const result = await runLoop(
      baseOptions(q.api, async () => {
        attempts += 1;
        throw new JobFailedError("Error running command: Job process finished with non-zero exit code: 3", "line 1\nTraceback: boom");
      }),
    );
    expect(attempts).toBe(2);
    expect(result).toMatchObject({ reason: "done", failed: 2, succeeded: 0 });
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({ status: "failed", retries: 2, workerId: null });
    expect(task.summary).toEqual({
      labtasker_exception: {
        type: "_LabtaskerJobFailed",
        message: "Error running command: Job process finished with non-zero exit code: 3",
        traceback: "line 1\nTraceback: boom",
      },
    });
    expect(await q.api.getWorker(result.workerId)).toMatchObject({ status: "active", retries: 2 });
  });

  it("names a JavaScript exception by its class and keeps its stack as the traceback", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 }, maxRetries: 1 });
    await runLoop(baseOptions(q.api, async () => {
      throw new TypeError("bad input");
    }));
    const exception = (await q.api.getTask(taskId)).summary.labtasker_exception as Record<string, string>;
    expect(exception.type).toBe("TypeError");
    expect(exception.message).toBe("bad input");
    expect(exception.traceback).toContain("TypeError: bad input\n    at ");
  });

  it("Ignore puts the task back with the retries it had; Exit ends the loop and deletes the worker it created", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    await q.api.fetchTask();
    await q.api.reportTaskStatus(taskId, "failed"); // one earlier failure: retries 1
    const asked: string[] = [];
    const prompter: Prompter = async (request) => {
      asked.push(request.question);
      return request.choices[request.interruptIndex]!.value; // Ctrl+C: Ignore, then Exit
    };
    const result = await runLoop(baseOptions(q.api, async () => {
      throw new Error("boom");
    }, { promptOnFailure: true, prompter }));
    expect(asked).toEqual([
      "Task interrupted or failed with the above info. You have 10 seconds to make a choice:",
      "Do you want to continue processing other tasks or exit the program? (10 seconds to decide):",
    ]);
    expect(result).toMatchObject({ reason: "exit", ignored: 1, failed: 0 });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 1, workerId: null });
    await expect(q.api.getWorker(result.workerId)).rejects.toBeInstanceOf(WorkerNotFoundError);
  });

  it("Report and Continue (the defaults) report the failure and go on to the next task", async () => {
    await using q = await queue();
    const failing = await q.api.submitTask({ args: { x: 1 }, maxRetries: 1, priority: 20 });
    const passing = await q.api.submitTask({ args: { x: 2 } });
    const prompter: Prompter = async (request) => request.choices[request.defaultIndex]!.value;
    const result = await runLoop(baseOptions(q.api, async (task) => {
      if (task.taskId === failing) throw new Error("boom");
    }, { promptOnFailure: true, prompter }));
    expect(result).toMatchObject({ reason: "done", failed: 1, succeeded: 1 });
    expect((await q.api.getTask(failing)).status).toBe("failed");
    expect((await q.api.getTask(passing)).status).toBe("success");
  });

  it("lets finish() inside the job report first; the loop's own report is then skipped", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    await runLoop(baseOptions(q.api, async () => {
      await finish("success", { acc: 0.93 });
      await finish("failed"); // a second call changes nothing
      throw new Error("after finishing");
    }));
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "success", summary: { acc: 0.93 } });
  });

  it("refreshes the heartbeat every interval after the fetch, stops before the report, and stops when heartbeat.lock goes", async () => {
    await using q = await queue();
    await q.api.submitTask({ args: { x: 1 } });
    await q.api.submitTask({ args: { x: 2 } });
    const calls: string[] = [];
    const api = instrument(q.api, {}, calls);
    await runLoop(baseOptions(api, async (task, context) => {
      if (task.args.x === 2) unlinkSync(join(context.logDir, "heartbeat.lock"));
      await new Promise((r) => setTimeout(r, 400));
    }, { heartbeatInterval: 0.05, requiredFields: ["x"] }));
    const perTask = calls.join(" ").split("fetchTask").slice(1, 3);
    const beats = perTask.map((part) => part.split(" ").filter((call) => call === "refreshTaskHeartbeat").length);
    expect(beats[0]).toBeGreaterThanOrEqual(3); // about every 50 ms of the 400 ms run (8 when idle)
    expect(beats[1]).toBe(0); // the lock was deleted before the first one was due
    // No refresh between the end of a run and the fetch that carries its report: the heartbeat stops first.
    expect(calls.filter((call) => call === "reportTaskStatus")).toEqual([]);
  });

  it("writes a success's status.json and last line once the fetch carrying its report is on its way, and run.log once the job started", async () => {
    await using q = await queue();
    const first = await q.api.submitTask({ args: { x: 1 }, priority: 2 });
    const second = await q.api.submitTask({ args: { x: 2 }, priority: 1 });
    const log = memoryLogger();
    const dirs = new Map<string, string>();
    const atFetch: Array<{ summary: boolean; status: boolean; ended: boolean }> = [];
    const beforeSecond: Array<{ status: boolean; ended: boolean }> = [];
    const runLogAtStart: boolean[] = [];
    const api = instrument(q.api, {
      fetchTask: ((...args: Parameters<Labtasker["fetchTask"]>) => {
        const carried = args[0]?.report?.taskId;
        if (carried !== undefined) {
          const dir = dirs.get(carried)!;
          atFetch.push({
            summary: existsSync(join(dir, "summary.json")),
            status: existsSync(join(dir, "status.json")),
            ended: log.lines.includes(`info Task ${carried} ended.`),
          });
        }
        return q.api.fetchTask(...args);
      }) as never,
    });
    const result = await runLoop(baseOptions(api, async (task, context) => {
      dirs.set(task.taskId, context.logDir);
      runLogAtStart.push(existsSync(join(context.logDir, "run.log")));
      process.stderr.write(`before the first await ${task.taskId}\n`);
      if (task.taskId === second) {
        beforeSecond.push({ status: existsSync(join(dirs.get(first)!, "status.json")), ended: log.lines.includes(`info Task ${first} ended.`) });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }, { log, requiredFields: ["x"] }));
    expect(result).toMatchObject({ reason: "done", succeeded: 2 });
    // When the fetch carrying the first run's report was made, only summary.json (the guard) was there...
    expect(atFetch).toEqual([{ summary: true, status: false, ended: false }, { summary: true, status: false, ended: false }]);
    // ...and the rest followed before the next run started.
    expect(beforeSecond).toEqual([{ status: true, ended: true }]);
    // run.log is created once the job has started, with what was written before.
    expect(runLogAtStart).toEqual([false, false]);
    for (const taskId of [first, second]) {
      const dir = dirs.get(taskId)!;
      expect(JSON.parse(readFileSync(join(dir, "status.json"), "utf8"))).toEqual({ status: "success" });
      expect(readFileSync(join(dir, "run.log"), "utf8")).toContain(`before the first await ${taskId}\n`);
      expect(existsSync(join(dir, "heartbeat.lock"))).toBe(false);
    }
    const ended = log.lines.filter((line) => line.endsWith(" ended."));
    expect(ended).toEqual([`info Task ${first} ended.`, `info Task ${second} ended.`]);
  });

  it("sends a success with the next fetch, and on its own when the loop ends first; the observer hears of it once sent", async () => {
    await using q = await queue();
    const first = await q.api.submitTask({ args: { x: 1 }, priority: 2 });
    const second = await q.api.submitTask({ args: { x: 2 }, priority: 1 });
    const fetches: Array<string | undefined> = [];
    const heard: string[] = [];
    const api = instrument(q.api, {
      fetchTask: (async (...args: Parameters<Labtasker["fetchTask"]>) => {
        fetches.push(args[0]?.report?.taskId);
        heard.push("fetch");
        return q.api.fetchTask(...args);
      }) as never,
    });
    const stop = new AbortController();
    const statusWhileSecondRan: string[] = [];
    const result = await runLoop(baseOptions(api, async (task) => {
      if (task.taskId !== second) return;
      statusWhileSecondRan.push((await q.api.getTask(first)).status);
      stop.abort("SIGTERM"); // the loop ends after this run, before any further fetch
    }, {
      signal: stop.signal,
      observer: { taskStarted: (task) => heard.push(`start ${task.taskId}`), taskEnded: (task) => heard.push(`end ${task.taskId}`) },
    }));
    expect(result).toMatchObject({ reason: "stopped", succeeded: 2 });
    expect(fetches).toEqual([undefined, first]); // the first run's report rode on the second fetch
    expect(statusWhileSecondRan).toEqual(["success"]);
    expect((await q.api.getTask(second)).status).toBe("success"); // sent on its own as the loop ended
    expect(heard).toEqual(["fetch", `start ${first}`, "fetch", `end ${first}`, `start ${second}`, `end ${second}`]);
  });

  it("a fetch carrying a report that fails on the network sends the report on its own, then fetches again", async () => {
    await using q = await queue();
    const first = await q.api.submitTask({ args: { x: 1 }, priority: 2 });
    const second = await q.api.submitTask({ args: { x: 2 }, priority: 1 });
    let failNext = false;
    const calls: string[] = [];
    const api = instrument(q.api, {
      fetchTask: ((...args: Parameters<Labtasker["fetchTask"]>) => {
        if (failNext && args[0]?.report) {
          failNext = false;
          return Promise.reject(new LabtaskerError(0, "Cannot reach the labtasker server"));
        }
        return q.api.fetchTask(...args);
      }) as never,
    }, calls);
    const result = await runLoop(baseOptions(api, async () => {
      failNext = true;
    }, { onInternalError: async () => undefined }));
    expect(result).toMatchObject({ reason: "done", succeeded: 2 });
    for (const taskId of [first, second]) expect((await q.api.getTask(taskId)).status).toBe("success");
    // Each run's report failed to ride on the fetch after it, went on its own, and the fetch was made again.
    expect(calls.filter((call) => call === "fetchTask" || call === "reportTaskStatus")).toEqual([
      "fetchTask", "fetchTask", "reportTaskStatus", "fetchTask", "fetchTask", "reportTaskStatus", "fetchTask",
    ]);
  });

  it("a report that rides on a fetch and is refused (the task was reset meanwhile) is a warning; the fetch is made again", async () => {
    await using q = await queue();
    const first = await q.api.submitTask({ args: { x: 1 }, priority: 2, maxRetries: 5 });
    await q.api.submitTask({ args: { x: 2 }, priority: 1 });
    const log = memoryLogger();
    const ran: string[] = [];
    const result = await runLoop(baseOptions(q.api, async (task) => {
      ran.push(task.taskId);
      if (task.taskId === first && ran.length === 1) await q.api.updateTasks([{ taskId: first }], { resetPending: true });
    }, { log }));
    expect(result).toMatchObject({ reason: "done" });
    expect(ran[0]).toBe(first);
    expect(ran.filter((id) => id === first)).toHaveLength(2); // pending again after the reset: it ran once more
    expect(log.lines.some((line) => line.startsWith("warn") && line.includes(`Task ${first} was changed while it ran`))).toBe(true);
    expect((await q.api.getTask(first)).status).toBe("success");
  });

  it("backs off after internal errors, counts them in a row, and gives up when the handler rethrows", async () => {
    await using q = await queue();
    await q.api.submitTask({ args: { x: 1 } });
    let failuresLeft = 3;
    const api = instrument(q.api, {
      fetchTask: ((...args: unknown[]) => {
        if (failuresLeft-- > 0) return Promise.reject(new LabtaskerError(0, "Cannot reach the labtasker server"));
        return q.api.fetchTask(...(args as Parameters<Labtasker["fetchTask"]>));
      }) as never,
    });
    const counts: number[] = [];
    const result = await runLoop(baseOptions(api, async () => undefined, { onInternalError: async (_error, failures) => void counts.push(failures) }));
    expect(counts).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ reason: "done", succeeded: 1 });

    const down = instrument(q.api, { fetchTask: (() => Promise.reject(new LabtaskerError(500, "Operation failed: down"))) as never });
    await expect(
      runLoop(baseOptions(down, async () => undefined, {
        onInternalError: async (error, failures) => {
          if (internalErrorDelay(failures) === null) throw error;
        },
      })),
    ).rejects.toThrow("Operation failed: down");
  });

  // Found by the fault suite (test/faults/redis-restart.test.ts): summary.json, written before the report, made the
  // loop believe a job whose own finish() had failed had reported; the task stayed running and ran again later.
  it("a job's finish() whose report fails leaves the run unfinished: the loop reports it, and the task runs again", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    let reportsLeftToFail = 1;
    const api = instrument(q.api, {
      reportTaskStatus: ((...args: unknown[]) => {
        if (reportsLeftToFail-- > 0) return Promise.reject(new Error("Connection is closed."));
        return q.api.reportTaskStatus(...(args as Parameters<Labtasker["reportTaskStatus"]>));
      }) as never,
    });
    let logDir = "";
    const result = await runLoop(baseOptions(api, async (_task, context) => {
      logDir = context.logDir;
      await context.finish("success");
    }));
    // Reported failed (one retry), fetched again, and this time reported by the job itself.
    expect(result).toMatchObject({ failed: 1, succeeded: 1 });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "success", retries: 1 });
    expect(JSON.parse(readFileSync(join(logDir, "status.json"), "utf8"))).toEqual({ status: "success" });
  });

  it("waits min(60, 2^(n-1)) seconds after the n-th internal error and gives up after 10", () => {
    expect(Array.from({ length: 11 }, (_, i) => internalErrorDelay(i + 1))).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60, 60, null]);
  });

  it("when Redis lost the data under it: a vanished task is one line and the next task runs; a vanished worker is registered again", async () => {
    await using q = await queue();
    const first = await q.api.submitTask({ args: { x: 1 }, priority: 2 });
    const second = await q.api.submitTask({ args: { x: 2 }, priority: 1 });
    const log = memoryLogger();
    const ran: string[] = [];
    const result = await runLoop(baseOptions(q.api, async (task, context) => {
      ran.push(task.taskId);
      if (task.taskId === first) {
        // What a FLUSHALL does to this run: the task and the worker are gone from Redis.
        await q.api.deleteTask(first);
        await q.api.deleteWorker(context.workerId);
      }
    }, { log }));
    expect(ran).toEqual([first, second]);
    expect(result.succeeded).toBe(2); // the first run finished; only its report was dropped
    expect((await q.api.getTask(second)).status).toBe("success");
    const text = log.lines.join("\n");
    expect(log.lines.filter((line) => line.includes(`Task ${first} no longer exists on the server`))).toHaveLength(1);
    expect(text).toMatch(/Worker \S+ no longer exists on the server .*registered again as worker/);
    expect((await q.api.getWorker(result.workerId)).status).toBe("active");
  });

  it("a worker named by the user that vanished ends the loop with the error, as v1", async () => {
    await using q = await queue();
    const workerId = await q.api.createWorker();
    await q.api.deleteWorker(workerId);
    await q.api.submitTask({ args: { x: 1 } });
    await expect(runLoop(baseOptions(q.api, async () => undefined, { workerId }))).rejects.toBeInstanceOf(WorkerNotFoundError);
  });

  it("ends with reason suspended when the worker is suspended, without running anything", async () => {
    await using q = await queue();
    const workerId = await q.api.createWorker();
    await q.api.reportWorkerStatus(workerId, "suspended");
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    const log = memoryLogger();
    let ran = false;
    const result = await runLoop(baseOptions(q.api, async () => void (ran = true), { workerId, log }));
    expect(result.reason).toBe("suspended");
    expect(result.suspension).toBeInstanceOf(WorkerSuspendedError);
    expect(ran).toBe(false);
    expect((await q.api.getTask(taskId)).status).toBe("pending");
    expect(log.lines.join("\n")).toContain(`Worker suspended. Worker '${workerId}' is suspended in queue`);
  });

  it("stops on request: the job's signal carries the signal, the task is reported, the created worker deleted", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    await q.api.submitTask({ args: { x: 2 } });
    const stop = new AbortController();
    let reason: unknown;
    const result = await runLoop(baseOptions(q.api, async (_task, context) => {
      setTimeout(() => stop.abort("SIGINT"), 20);
      await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve(), { once: true }));
      reason = context.signal.reason;
      throw new JobFailedError("Error running command: Job process finished with non-zero exit code: 130");
    }, { signal: stop.signal, promptOnFailure: true, prompter: async (r) => r.choices[r.defaultIndex]!.value }));
    expect(reason).toBe("SIGINT");
    expect(result).toMatchObject({ reason: "stopped", signal: "SIGINT", failed: 1, succeeded: 0 });
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({ status: "pending", retries: 1 });
    expect((task.summary.labtasker_exception as Record<string, string>).type).toBe("KeyboardInterrupt");
    await expect(q.api.getWorker(result.workerId)).rejects.toBeInstanceOf(WorkerNotFoundError);
    expect((await q.api.lsTasks({ status: "pending" })).content).toHaveLength(2); // the second never started
  });

  it("gives back untouched a task claimed while a stop arrived", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    const stop = new AbortController();
    const api = instrument(q.api, {
      fetchTask: (async (...args: Parameters<Labtasker["fetchTask"]>) => {
        const task = await q.api.fetchTask(...args);
        stop.abort("SIGTERM");
        return task;
      }) as never,
    });
    let ran = false;
    const result = await runLoop(baseOptions(api, async () => void (ran = true), { signal: stop.signal }));
    expect(result).toMatchObject({ reason: "stopped", signal: "SIGTERM" });
    expect(ran).toBe(false);
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 0, workerId: null });
  });

  it("tells a loop over failed tasks to re-queue them, since only pending tasks are fetched", async () => {
    await using q = await queue();
    const taskId = await q.api.submitTask({ args: { x: 1 }, maxRetries: 1 });
    await q.api.fetchTask();
    await q.api.reportTaskStatus(taskId, "failed");
    const log = memoryLogger();
    const result = await runLoop(baseOptions(q.api, async () => undefined, { extraFilter: 'status == "failed"', log }));
    expect(result.reason).toBe("done");
    const text = log.lines.join("\n");
    expect(text).toContain("Tasks with required fields [] and extra filter {'status': 'failed'} are all done.");
    expect(text).toContain(`labtasker task update -f 'status == "failed"' --reset-pending`);
  });

  it("rejects options it cannot work with before touching the queue", async () => {
    await using q = await queue();
    const calls: string[] = [];
    const api = instrument(q.api, {}, calls);
    await expect(runLoop(baseOptions(api, async () => undefined, { etaMax: "soon" }))).rejects.toThrow(LoopOptionsError);
    await expect(runLoop(baseOptions(api, async () => undefined, { heartbeatTimeout: -1 }))).rejects.toThrow("heartbeatTimeout must be a positive number");
    await expect(runLoop(baseOptions(api, async () => undefined, { requiredFields: "a" as never }))).rejects.toThrow(LoopOptionsError);
    expect(calls).toEqual([]);
  });
});

describe("nonPendingStatuses", () => {
  it("finds statuses other than pending required at the top level or in $and", () => {
    expect(nonPendingStatuses({ status: "failed" })).toEqual(["failed"]);
    expect(nonPendingStatuses({ $and: [{ "args.x": 1 }, { status: { $in: ["failed", "cancelled"] } }] })).toEqual(["failed", "cancelled"]);
    expect(nonPendingStatuses({ status: { $in: ["failed", "pending"] } })).toEqual([]);
    expect(nonPendingStatuses({ status: "pending" })).toEqual([]);
    expect(nonPendingStatuses({ $or: [{ status: "failed" }, { "args.x": 1 }] })).toEqual([]);
    expect(nonPendingStatuses(null)).toEqual([]);
  });
});

describe("context helpers outside a loop", () => {
  it("have no task, and finish() is a no-op unless asked to insist", async () => {
    expect(currentTaskId()).toBeNull();
    expect(currentWorkerId()).toBeNull();
    expect(() => taskInfo()).toThrow(NoTaskError);
    await expect(finish("success")).resolves.toBeUndefined();
    await expect(finish("success", null, { skipIfNoLabtasker: false })).rejects.toThrow(NoTaskError);
    await expect(finish("done" as never)).rejects.toThrow(RangeError);
  });
});
