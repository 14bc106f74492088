/**
 * The loop's fetch step: the next task, or why there is none (all done, the worker suspended), with the fetch's
 * errors handled (a vanished worker registered again, internal errors backed off, refusals rethrown). The fetch
 * carries the last run's success report (./report.ts).
 */
import { BadRequestError, ValidationError, WorkerNotFoundError, WorkerSuspendedError } from "../core/errors.js";
import type { Task } from "../core/model.js";
import { pythonRepr, pythonStrRepr, shellQuote } from "../core/python.js";
import type { JsonObject } from "../json.js";
import { RUNNER_ENV } from "./context.js";
import type { ResolvedLoopOptions } from "./options.js";
import { reportSettled, reportToCarry, sendPendingReport, settleAfterFailedFetch } from "./report.js";
import type { LoopState } from "./state.js";

/** Fetch errors that repeating cannot fix: the request itself is refused, or the worker is gone. */
function isPermanentFetchError(error: unknown): boolean {
  return error instanceof BadRequestError || error instanceof ValidationError || error instanceof WorkerNotFoundError;
}

/**
 * The statuses other than pending that a filter requires of `status` (top level or inside `$and`), e.g. `["failed"]`
 * for `status == "failed"`. Only pending tasks are ever fetched, so such a loop can never run anything.
 */
export function nonPendingStatuses(filter: Record<string, unknown> | null | undefined): string[] {
  const found: string[] = [];
  const visit = (query: unknown) => {
    if (query === null || typeof query !== "object" || Array.isArray(query)) return;
    for (const [key, value] of Object.entries(query)) {
      if (key === "$and" && Array.isArray(value)) value.forEach(visit);
      if (key !== "status") continue;
      let allowed: unknown[] | null = null;
      if (typeof value === "string") allowed = [value];
      else if (value !== null && typeof value === "object") {
        const ops = value as Record<string, unknown>;
        if (typeof ops.$eq === "string") allowed = [ops.$eq];
        else if (Array.isArray(ops.$in)) allowed = ops.$in;
      }
      if (allowed !== null && !allowed.includes("pending")) found.push(...allowed.map(String));
    }
  };
  visit(filter);
  return [...new Set(found)];
}

/**
 * The next task for the loop's worker; `"again"` to fetch again (the worker was registered again, or an internal
 * error was backed off); null when the loop ends (no matching task is left, or the worker is suspended).
 */
export async function fetchNext(state: LoopState): Promise<Task | "again" | null> {
  try {
    return await fetchAndCarry(state);
  } finally {
    state.runDeferred(); // whatever happened to the request
  }
}

async function fetchAndCarry(state: LoopState): Promise<Task | "again" | null> {
  const { client, etaMax, heartbeatTimeout, requiredFields, extraFilter, cmd } = state.settings;
  let task: Task | null;
  try {
    // A success recorded for a worker the loop no longer runs as (it registered again) goes on its own.
    if (state.pendingReport !== null && reportToCarry(state) === undefined) {
      state.runDeferred();
      await sendPendingReport(state);
    }
  } catch (error) {
    return fetchFailed(state, error);
  }
  const report = reportToCarry(state);
  try {
    const fetching = client.fetchTask({ workerId: state.workerId, etaMax, heartbeatTimeout, startHeartbeat: true, requiredFields, extraFilter, cmd, report });
    // The request leaves within this turn of the event loop (the HTTP client writes it from a microtask or a
    // nextTick, direct mode's Redis client at once); the last run's deferred end (./state.ts) runs in the next turn,
    // while the server answers, rather than in the idle gap before the request.
    setImmediate(() => state.runDeferred());
    task = await fetching;
    state.runDeferred(); // if the answer came first
  } catch (error) {
    state.runDeferred(); // before any line about the failure: the last run's own lines come first
    if (report === undefined) return fetchFailed(state, error);
    let settled: "refused" | "sent";
    try {
      settled = await settleAfterFailedFetch(state, error);
    } catch (reportError) {
      return fetchFailed(state, reportError);
    }
    return settled === "refused" ? "again" : fetchFailed(state, error);
  }
  if (report !== undefined) reportSettled(state);
  if (task === null) reportAllDone(state.settings);
  return task;
}

/** Handles a fetch error: null for a suspended worker, `"again"` after recovering or backing off; else throws. */
async function fetchFailed(state: LoopState, error: unknown): Promise<"again" | null> {
  const { client, log, createWorker } = state.settings;
  if (error instanceof WorkerSuspendedError) {
    state.result.reason = "suspended";
    state.result.suspension = error;
    log.error(`Worker suspended. ${error.message}. Reactivate it with \`labtasker worker report ${state.workerId} active\`.`);
    return null;
  }
  let failure = error;
  if (error instanceof WorkerNotFoundError && state.result.workerCreated) {
    // The worker this loop registered is gone: deleted, or the server's Redis lost its data (a flush, a restart
    // without persistence). A loop that owns its worker registers a new one and goes on, as it began; if even
    // that fails (the queue is gone too, the server unreachable), it backs off like any internal error.
    try {
      const lostId = state.workerId;
      const workerId = await client.createWorker(createWorker);
      process.env[RUNNER_ENV.workerId] = workerId;
      state.result.workerId = workerId;
      log.warn(`Worker ${lostId} no longer exists on the server (deleted, or the server's Redis lost data): registered again as worker ${workerId}.`);
      return "again";
    } catch (createError) {
      failure = createError;
    }
  } else if (isPermanentFetchError(error)) {
    throw error;
  }
  await state.internalError(failure);
  return "again";
}

/** v1's "are all done" line, and how to re-queue tasks when the filter asks for a status that is never fetched. */
function reportAllDone({ log, requiredFields, extraFilter, extraFilterSource }: ResolvedLoopOptions): void {
  const filterText = extraFilter === null ? "None" : typeof extraFilter === "function" ? "<function>" : pythonRepr(extraFilter as JsonObject);
  log.info(`Tasks with required fields [${requiredFields.map(pythonStrRepr).join(", ")}] and extra filter ${filterText} are all done.`);
  const statuses = typeof extraFilter === "function" ? [] : nonPendingStatuses(extraFilter);
  if (statuses.length > 0) {
    const asText = typeof extraFilterSource === "string" ? extraFilterSource : JSON.stringify(extraFilter);
    log.warn(
      `Only pending tasks are fetched, and the extra filter asks for status ${statuses.join(" or ")}. ` +
        `To run those tasks again, re-queue them first: labtasker task update -f ${shellQuote(asText)} --reset-pending ` +
        `(then run the loop without the status condition).`,
    );
  }
}
