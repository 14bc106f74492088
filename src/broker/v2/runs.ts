/**
 * v2's runs: claim on a route, then the run's reports (heartbeat, progress, complete, fail, unclaim), each fenced by
 * the run's id (lua/includes/runs.lua says how). The lease is the broker's `v2LeaseSeconds` (300 s, as 2.8.0's).
 */
import { stringifyJson, type JsonObject } from "../../json.js";
import { V2Error } from "../../core/v2/errors.js";
import type { V2FailureReport } from "../../core/v2/api.js";
import type { V2Claim } from "../../core/v2/model.js";
import { isStorableTaskId } from "../../store/taskIds.js";
import type { Hash } from "../../store/codecs.js";
import type { ScriptReply } from "../../store/scripts.js";
import { ScriptCode } from "../../store/scriptCodes.js";
import type { V2Context } from "./context.js";
import { expectOk, taskNotFound } from "./errors.js";
import { assertTaskDataSize, MAX_TASK_DATA_BYTES } from "./size.js";
import { v2TaskView } from "./view.js";

/** The best claimable task on the route, or null; the same run id again returns the same claim. */
export async function claimTask(v2: V2Context, queue: string, route: string, runId: string): Promise<V2Claim | null> {
  const { reply, hash, taskId } = await v2.withQueue(queue, (queueId) =>
    v2.scripts.claimTask(queueId, v2.now(), route, runId, v2.leaseMs, v2.ctx.limits.expireBatch),
  );
  expectOk(reply, { queue, runId });
  if (hash === null || taskId === null) return null;
  return { task: v2TaskView(queue, taskId, hash), run_id: runId, lease_expires_at: new Date(Number(hash.lease)) };
}

/** Runs a report of the run `runId` on the task, through the queue; its refusal becomes v2's error. */
async function report(v2: V2Context, queue: string, taskId: string, runId: string, run: (queueId: string) => Promise<ScriptReply>): Promise<ScriptReply> {
  if (!isStorableTaskId(taskId)) throw taskNotFound(queue, taskId);
  const reply = await v2.withQueue(queue, run);
  return expectOk(reply, { queue, taskId, runId });
}

export async function heartbeat(v2: V2Context, queue: string, taskId: string, runId: string): Promise<Date> {
  const reply = await report(v2, queue, taskId, runId, (queueId) => v2.scripts.heartbeat(queueId, v2.now(), taskId, runId, v2.leaseMs));
  return new Date(Number(reply[1]));
}

/**
 * task_data_too_large when the report would make the task's stored data exceed 1 MiB, checked as 2.8.0 checks it:
 * only for a report the run's script would accept (the task running this run, its lease not passed), so a stale,
 * finalized or expired run still gets its own answer. Read before the script runs: a PATCH in between cannot change a
 * running task, so the read holds what the script writes over.
 */
async function assertReportSize(v2: V2Context, queue: string, taskId: string, runId: string, report: { result?: JsonObject; progress?: JsonObject }): Promise<void> {
  if (!isStorableTaskId(taskId)) return;
  // The task is read beside the queue's check (a complete took three round trips to Redis; it takes two).
  let found: { read: () => Hash | null };
  try {
    found = await v2.queueIdWith(queue, (queueId) => v2.store.readTask(queueId, taskId));
  } catch {
    return; // the script answers for a missing queue
  }
  const hash = found.read();
  if (hash === null || hash.status !== "running" || hash.run_id !== runId || Number(hash.lease) <= v2.now()) return;
  assertTaskDataSize({ ...v2TaskView(queue, taskId, hash), ...report });
}

export async function reportProgress(v2: V2Context, queue: string, taskId: string, runId: string, progress: JsonObject): Promise<void> {
  await assertReportSize(v2, queue, taskId, runId, { progress });
  await report(v2, queue, taskId, runId, (queueId) => v2.scripts.reportProgress(queueId, v2.now(), taskId, runId, stringifyJson(progress)));
}

/**
 * The script bounds the task's stored data from its stored texts' lengths, and completes at once when the bound is
 * within 1 MiB (one round trip to Redis, where a read of the task before it made three commands in two). Only for a
 * task that might pass the limit does it refuse (CONFLICT, nothing written): the task is then measured exactly, as
 * before, and the script runs again without the bound.
 */
export async function completeTask(v2: V2Context, queue: string, taskId: string, runId: string, result: JsonObject): Promise<void> {
  const resultJson = stringifyJson(result);
  if (!isStorableTaskId(taskId)) throw taskNotFound(queue, taskId);
  const bounded = await v2.withQueue(queue, (queueId) => v2.scripts.complete(queueId, v2.now(), taskId, runId, resultJson, MAX_TASK_DATA_BYTES));
  if (bounded[0] !== ScriptCode.CONFLICT) {
    expectOk(bounded, { queue, taskId, runId });
    return;
  }
  await assertReportSize(v2, queue, taskId, runId, { result });
  await report(v2, queue, taskId, runId, (queueId) => v2.scripts.complete(queueId, v2.now(), taskId, runId, resultJson, null));
}

export async function failTask(v2: V2Context, queue: string, taskId: string, runId: string, error: V2FailureReport): Promise<void> {
  if (typeof error.type !== "string" || typeof error.message !== "string") {
    throw new V2Error("invalid_request", "A failure report has a type and a message.", {});
  }
  const failure = { type: error.type, message: error.message, traceback: error.traceback ?? null };
  await report(v2, queue, taskId, runId, (queueId) => v2.scripts.fail(queueId, v2.now(), taskId, runId, failure));
}

export async function unclaimTask(v2: V2Context, queue: string, taskId: string, runId: string): Promise<void> {
  await report(v2, queue, taskId, runId, (queueId) => v2.scripts.unclaim(queueId, v2.now(), taskId, runId));
}
