/**
 * `loop()`: labtasker v1's `@labtasker.loop()` for TypeScript, on the loop runtime that `labtasker loop` uses
 * (src/runner, see docs/loop.md): worker creation or reuse, fetch with the required fields and the extra filter,
 * a run directory per task with `run.log`, heartbeats, v1's failure summary and prompts, internal-error backoff,
 * and signals. What this module adds is the handler's side: the args schema (./schema.ts), the context, reports of
 * the handler about its own task (./current.ts), and the module-level functions bound to the loop's client.
 */
import type { CreateWorkerOptions, Labtasker } from "../core/api.js";
import type { JsonObject } from "../json.js";
import type { Task } from "../core/model.js";
import type { FinishStatus } from "../runner/context.js";
import type { LoopJob, LoopLogger, LoopResult as RuntimeLoopResult, LoopSettings } from "../runner/index.js";
import { asClient, type LabtaskerClient } from "./client.js";
import { noteOutcome, reportStatus, trackRun, type OwnOutcome } from "./current.js";
import { LoopOptionsError } from "./errors.js";
import { compileSchema, type ArgsSchema, type ParsedArgs } from "./schema.js";
import { defaultClient, withClient } from "./scope.js";

/**
 * Options of {@link loop}; all optional. Besides the args, the runtime's {@link LoopSettings} (see docs/loop.md), with
 * the SDK's own defaults for the worker, the heartbeat interval and the root.
 */
export interface LoopOptions<S extends ArgsSchema = ArgsSchema, P extends boolean = boolean> extends LoopSettings {
  /**
   * The args the handler needs (see {@link ArgsSchema}): they are the fetch's required fields, so only tasks whose
   * args have exactly these keys ("no more, no less") are run, and they are parsed into the handler's typed args.
   * @defaultValue none: any pending task is run (v1's `@loop()` without `Required()` parameters)
   */
  args?: S;
  /** More required fields (dotted paths; `"*"` allows extra keys), as v1's `required_fields`. @defaultValue [] */
  requiredFields?: readonly string[];
  /**
   * Give the handler the task's whole `args` object instead of the parsed schema values (v1's `pass_args_dict`);
   * the schema still decides which tasks are fetched and is still checked. @defaultValue false
   */
  passArgsDict?: P;
  /** The queue to work on. @defaultValue the module-level default client (see `configure()`) */
  client?: Labtasker;
  /**
   * The worker created when none is named (v1's `create_worker_kwargs`). Its `maxRetries` is the crash budget: after
   * that many failed runs in all, the worker is crashed and the loop ends with reason `suspended`.
   * @defaultValue `{ maxRetries: 3 }`
   */
  createWorker?: CreateWorkerOptions;
  /** Seconds between heartbeats. @defaultValue the client's (client.toml's `[task] heartbeat_interval`), else 10 */
  heartbeatInterval?: number;
  /** Where `logs/run/` goes. @defaultValue the client's root, else `$LABTASKER_ROOT`, else `./.labtasker` */
  root?: string;
}

/** What a handler gets besides its args. */
export interface LoopContext {
  /** The task as fetched (also `taskInfo()`). */
  readonly task: Task;
  /** The task's id (`task.taskId`). */
  readonly taskId: string;
  /** The loop's worker. */
  readonly workerId: string;
  /** The run directory (`$LABTASKER_LOG_DIR`): `run.log`, `task_info.json`, ... */
  readonly logDir: string;
  /** This process's environment, the run's LABTASKER_* variables and the task's `env`, for the handler's children. */
  readonly env: NodeJS.ProcessEnv;
  /**
   * Aborted when the loop is told to stop (Ctrl+C, SIGTERM), or `grace` seconds before the run's deadline (the run
   * then times out: docs/loop.md, "Deadlines"); a long handler should watch it and end early.
   */
  readonly signal: AbortSignal;
  /** Aborted on a second stop request (the process exits right after) or at the deadline: kill what it started. */
  readonly forceSignal: AbortSignal;
  readonly log: LoopLogger;
  /** The loop's client. */
  readonly client: LabtaskerClient;
  /** Reports the task now (`success` or `failed`, with a summary); the loop does not report it again. */
  finish(status: FinishStatus, summary?: JsonObject | null): Promise<void>;
  /** Merges `summary` into the task while it runs (status `running`); the loop still reports success at the end. */
  updateSummary(summary: JsonObject): Promise<void>;
  /** Cancels the task: it is not retried, and the loop does not report over it. Return right after. */
  cancel(summary?: JsonObject | null): Promise<void>;
}

/**
 * The handler's args: the parsed schema values (none without a schema), or with `passArgsDict` the task's whole
 * args.
 */
export type HandlerArgs<S extends ArgsSchema, P extends boolean> = P extends true ? JsonObject : string extends keyof S ? Record<string, never> : ParsedArgs<S>;

/**
 * The work for one task. A handler that returns (or resolves) succeeds; one that throws (or rejects) fails, and the
 * failure is reported with `{labtasker_exception: {type, message, traceback}}` (the error's name, message, stack).
 */
export type LoopHandler<A> = (args: A, context: LoopContext) => unknown;

/** How a loop ended, and what it ran: the runtime's result, with the handler's own reports counted. */
export interface LoopResult extends RuntimeLoopResult {
  /** Runs reported success (by a return, or by the handler itself). */
  succeeded: number;
  /** Runs reported failed (by a throw, or by the handler itself). */
  failed: number;
  /** Runs the handler cancelled. */
  cancelled: number;
}

/** Whether a loop runs in this process: the runtime keeps the running task in process-wide state. */
let active = false;

/**
 * Runs `handler` for each matching pending task until none is left (or the worker is suspended, or a signal stops
 * it), then resolves with how it ended. The TypeScript form of v1's `@labtasker.loop()`:
 *
 * ```ts
 * const result = await loop({ args: { lr: Number, model: String } }, async ({ lr, model }, { task }) => {
 *   const { acc } = await train(lr, model);
 *   await reportTaskStatus(task.taskId, "running", { summary: { acc } });
 * });
 * ```
 *
 * One loop runs at a time in a process. Inside the handler, `taskInfo()`, `finish()` and the module-level functions
 * (`reportTaskStatus`, `updateTasks`, ...) work on the loop's task and client.
 * @throws LoopOptionsError for options it cannot work with, before the queue is touched.
 * @throws AuthError for wrong credentials or a missing queue; FilterError for an `extraFilter` that does not compile.
 */
// No default for S: a default would be used to type the resolvers' parameters before S is inferred.
export function loop<const S extends ArgsSchema, P extends boolean = false>(options: LoopOptions<S, P>, handler: LoopHandler<HandlerArgs<S, P>>): Promise<LoopResult>;
/** Runs `handler` for every pending task, whatever its args (v1's `@labtasker.loop()` without `Required()`). */
export function loop(handler: LoopHandler<Record<string, never>>): Promise<LoopResult>;
export async function loop(first: LoopOptions | LoopHandler<never>, second?: LoopHandler<never>): Promise<LoopResult> {
  const [options, handler] = typeof first === "function" ? [{} as LoopOptions, first] : [first ?? {}, second];
  if (typeof handler !== "function") throw new LoopOptionsError("loop() needs a handler function: loop(options, async (args, context) => { ... })");
  const schema = compileSchema(options.args);
  const extra = options.requiredFields ?? [];
  if (!Array.isArray(extra) || !extra.every((field) => typeof field === "string")) {
    throw new LoopOptionsError(`requiredFields must be a list of dotted arg paths (got ${JSON.stringify(extra)})`);
  }
  const requiredFields = [...new Set([...schema.requiredFields, ...extra])];
  if (active) throw new LoopOptionsError("A loop is already running in this process; run loops one after the other, or in separate processes.");
  active = true;
  try {
    const client = options.client ? asClient(options.client) : await defaultClient();
    const runner = await import("../runner/loop.js");
    // Everything but the handler's side and what this function resolves goes to the runtime as it is.
    const { args: _args, passArgsDict: _passArgsDict, client: _client, requiredFields: _requiredFields, ...settings } = options;
    const counts = { succeededToOther: 0, failed: 0, cancelled: 0, success: 0 };
    const job: LoopJob = async (task, run) => {
      trackRun(task.taskId);
      let returned = false;
      let outcome: OwnOutcome | null = null;
      try {
        const args = options.passArgsDict ? task.args : await schema.parse(task.args);
        const context: LoopContext = {
          task,
          taskId: task.taskId,
          workerId: run.workerId,
          logDir: run.logDir,
          env: run.env,
          signal: run.signal,
          forceSignal: run.forceSignal,
          log: run.log,
          client,
          finish: async (status, summary) => {
            noteOutcome(task.taskId, status);
            await run.finish(status, summary);
          },
          updateSummary: (summary) => client.hold(() => reportStatus(client.transport, task.taskId, "running", { summary })),
          cancel: (summary) => client.hold(() => reportStatus(client.transport, task.taskId, "cancelled", { summary: summary ?? null })),
        };
        await withClient(client, () => (handler as LoopHandler<unknown>)(args, context));
        returned = true;
      } finally {
        outcome = trackRun(null);
        // The runtime counts a run that returned as a success and one that reported itself before throwing as
        // nothing; what the handler reported is what counts.
        if (outcome !== null) {
          if (returned) counts.succeededToOther += 1;
          counts[outcome] += 1;
        }
      }
    };
    const result = await client
      .hold(() =>
        runner.runLoop({
          ...settings,
          client: client.transport,
          job,
          requiredFields,
          heartbeatInterval: options.heartbeatInterval ?? client.heartbeatInterval ?? undefined,
          root: options.root ?? client.root ?? undefined,
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof runner.LoopOptionsError) throw new LoopOptionsError(error.message, { cause: error });
        throw error;
      });
    return {
      ...result,
      succeeded: result.succeeded - counts.succeededToOther + counts.success,
      failed: result.failed + counts.failed,
      cancelled: counts.cancelled,
    };
  } finally {
    active = false;
  }
}
