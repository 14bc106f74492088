/**
 * The loop's options, from input to resolved in one place: {@link LoopSettings} (shared with the SDK's `loop()`,
 * which declares only the defaults it changes), {@link LoopOptions} (the runtime's own), and their checks and defaults.
 */
import type { CreateWorkerOptions, DocumentPredicate, FilterInput, Labtasker } from "../core/api.js";
import type { Task, TaskCommand } from "../core/model.js";
import { parseTimeInterval } from "../core/validation.js";
import { CONFIG_DEFAULTS, labtaskerRoot } from "../config/clientConfig.js";
import { backoffMs, sleep } from "../sleep.js";
import { DEFAULT_GRACE_SECONDS } from "./deadline.js";
import type { LoopJob } from "./job.js";
import { stderrLogger, type LoopLogger } from "./logger.js";
import { processPrompter, type Prompter } from "./prompt.js";

/** Options the loop cannot work with; the message says which and why. */
export class LoopOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Decides what happens after the n-th internal error in a row: wait (resolve) or give up (throw). */
export type InternalErrorHandler = (error: unknown, failures: number, signal: AbortSignal) => Promise<void>;

/** The settings of a loop, the same for `labtasker loop`'s runtime and the SDK's `loop()`; all optional. */
export interface LoopSettings {
  /**
   * Only run tasks that also match this: a Python-style expression, a Python dict literal, a MongoDB query document
   * or JSONata (see docs/filter.md); compiled once, at the start.
   */
  extraFilter?: FilterInput | null;
  /** Run as this worker. @defaultValue LABTASKER_WORKER_ID, else a worker created for this loop */
  workerId?: string | null;
  /** How to create the worker when none is named (v1's `create_worker_kwargs`). @defaultValue `{}` */
  createWorker?: CreateWorkerOptions;
  /** Time limit of each run, e.g. "1h30m" (overrides the task's own `taskTimeout`). @defaultValue none */
  etaMax?: string | null;
  /**
   * Seconds before a run's deadline (its start plus the task's timeout or `etaMax`) that the job's `signal` is
   * aborted with SIGTERM (a command gets SIGTERM; at once when less remains); at the deadline its `forceSignal` (a
   * command is killed). A run that ends after that SIGTERM is reported as timed out (docs/loop.md, "Deadlines").
   * @defaultValue 30
   */
  grace?: number;
  /** Seconds between heartbeats. @defaultValue 10 (v1's config template) */
  heartbeatInterval?: number;
  /** Seconds without a heartbeat before the server fails the run, set on each fetch. @defaultValue 3 × heartbeatInterval */
  heartbeatTimeout?: number | null;
  /** The command recorded on each fetched task. @defaultValue this process's argv (script and arguments) */
  cmd?: TaskCommand;
  /** Where `logs/run/` goes. @defaultValue `$LABTASKER_ROOT`, else `./.labtasker` */
  root?: string;
  /**
   * After a failure, ask Report/Ignore and Continue/Exit for 10 s each (v1's `set_prompt_on_task_failure`). Without a
   * terminal the defaults (Report, Continue) are taken at once. @defaultValue true
   */
  promptOnFailure?: boolean;
  /** How to ask. @defaultValue a terminal prompt when stdin and stderr are terminals, else the defaults */
  prompter?: Prompter;
  /**
   * Handle SIGINT, SIGTERM and SIGHUP while the loop runs: the first one aborts the job's (the handler's) `signal` and
   * ends the loop once it returns (its task is reported: success if it returns, failed as interrupted if it throws)
   * and deletes a worker the loop created; a second one exits the process at once, without a report. While the loop
   * runs its handlers are the only ones; the process's other listeners for these signals are put back when it
   * returns. @defaultValue true
   */
  handleSignals?: boolean;
  /** Stops the loop as a SIGTERM would. */
  signal?: AbortSignal;
  /**
   * What to do after an internal error (network, server).
   * @defaultValue {@link backoffOnInternalError}: back off min(60, 2^(n-1)) s, give up after 10
   */
  onInternalError?: InternalErrorHandler;
  /** Where the loop's own lines go. @defaultValue v1-style lines on stderr (`silentLogger` drops them) */
  log?: LoopLogger;
  /**
   * Send each run's output to the server as it is written (`labtasker task logs`), besides `run.log`. Servers
   * without task logs (labtasker v1) are detected and skipped. @defaultValue true
   */
  uploadLogs?: boolean;
}

/** Told when each task starts and ends (after its report, or when it was not reported): for a process watching loops. */
export interface LoopObserver {
  /** A task is about to run: its run directory is made, its heartbeat started, its job not yet called. */
  taskStarted(task: Task): void;
  taskEnded(task: Task): void;
}

/** The options of `runLoop`. */
export interface LoopOptions extends LoopSettings {
  client: Labtasker;
  job: LoopJob;
  observer?: LoopObserver;
  /** Arg paths the job uses ("no more, no less"); `"*"` allows extra keys. @defaultValue [] (any pending task) */
  requiredFields?: string[] | null;
}

/** {@link LoopOptions} checked, with every default applied. */
export interface ResolvedLoopOptions {
  client: Labtasker;
  job: LoopJob;
  log: LoopLogger;
  requiredFields: string[];
  heartbeatInterval: number;
  heartbeatTimeout: number;
  etaMax: string | null;
  /** `etaMax` in seconds, null for none. */
  etaMaxSeconds: number | null;
  grace: number;
  /** The filter as given, for messages. */
  extraFilterSource: FilterInput | null | undefined;
  extraFilter: Record<string, unknown> | DocumentPredicate | null;
  root: string;
  cmd: TaskCommand;
  createWorker: CreateWorkerOptions;
  promptOnFailure: boolean;
  prompter: Prompter;
  onInternalError: InternalErrorHandler;
  uploadLogs: boolean;
  observer: LoopObserver | null;
}

/** Seconds to wait after the n-th internal error in a row (v1: min(60, 2^(n-1))), or null to give up (after 10). */
export function internalErrorDelay(failures: number): number | null {
  return failures > 10 ? null : backoffMs(failures, 1000, 60_000) / 1000;
}

/** v1's default handler: wait {@link internalErrorDelay} seconds (cut short by a stop), or rethrow after 10. */
export function backoffOnInternalError(log: LoopLogger): InternalErrorHandler {
  return async (error, failures, signal) => {
    const delay = internalErrorDelay(failures);
    if (delay === null) {
      log.error(`Internal error occurred ${failures} times. Quitting the loop...`);
      throw error;
    }
    log.warn(`Retrying in ${delay} s (internal error ${failures} of 10 in a row).`);
    await sleep(delay * 1000, signal);
  };
}

/** Checks `options` and applies the defaults; throws {@link LoopOptionsError} (or a FilterError) before any request. */
export async function resolveLoopOptions(options: LoopOptions): Promise<ResolvedLoopOptions> {
  const log = options.log ?? stderrLogger();
  const requiredFields = options.requiredFields ?? [];
  if (!Array.isArray(requiredFields) || !requiredFields.every((field) => typeof field === "string")) {
    throw new LoopOptionsError(`requiredFields must be a list of dotted arg paths (got ${JSON.stringify(requiredFields)})`);
  }
  const heartbeatInterval = options.heartbeatInterval ?? CONFIG_DEFAULTS.heartbeatInterval;
  if (!(heartbeatInterval > 0)) throw new LoopOptionsError(`heartbeatInterval must be a positive number of seconds (got ${heartbeatInterval})`);
  const heartbeatTimeout = options.heartbeatTimeout ?? heartbeatInterval * 3;
  if (!(heartbeatTimeout > 0)) throw new LoopOptionsError(`heartbeatTimeout must be a positive number of seconds (got ${heartbeatTimeout})`);
  let etaMaxSeconds: number | null = null;
  if (options.etaMax != null) {
    try {
      etaMaxSeconds = parseTimeInterval(options.etaMax);
    } catch {
      throw new LoopOptionsError(`etaMax must be a duration such as '1h', '1h30m' or '50s' (got ${JSON.stringify(options.etaMax)})`);
    }
  }
  const grace = options.grace ?? DEFAULT_GRACE_SECONDS;
  if (!(typeof grace === "number" && grace >= 0 && Number.isFinite(grace))) {
    throw new LoopOptionsError(`grace must be a number of seconds >= 0 (got ${JSON.stringify(options.grace)})`);
  }
  // Compiled once, as v1 transpiles once: a date("...") in the filter is fixed at the start of the loop. The filter
  // language (JSONata, chrono-node: some 300 files) loads only when there is a filter to compile: a loop without one
  // (every slot of a GPU pool, usually) starts with 240 ms less CPU, 171 instead of 411 (docs/benchmarks.md).
  const extraFilter =
    options.extraFilter == null
      ? null
      : typeof options.extraFilter === "function"
        ? options.extraFilter
        : (await import("../filter/index.js")).toWireFilter(options.extraFilter);
  return {
    client: options.client,
    job: options.job,
    log,
    requiredFields,
    heartbeatInterval,
    heartbeatTimeout,
    etaMax: options.etaMax ?? null,
    etaMaxSeconds,
    grace,
    extraFilterSource: options.extraFilter,
    extraFilter,
    root: options.root ?? labtaskerRoot(),
    cmd: options.cmd === undefined ? process.argv.slice(1) : options.cmd,
    createWorker: options.createWorker ?? {},
    promptOnFailure: options.promptOnFailure ?? true,
    prompter: options.prompter ?? processPrompter(),
    onInternalError: options.onInternalError ?? backoffOnInternalError(log),
    uploadLogs: options.uploadLogs ?? true,
    observer: options.observer ?? null,
  };
}
