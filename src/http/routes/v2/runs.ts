/**
 * v2's run routes: claim (the task, or 204 when none is eligible), then the reports of the run, each fenced by its
 * run id in the broker (`stale_run`, `run_finalized`): heartbeat (renews the lease), progress, complete, fail and
 * unclaim (204 each).
 */
import type { Router } from "express";
import type { LabtaskerV2, V2FailureReport } from "../../../core/v2/api.js";
import type { JsonObject, JsonValue } from "../../../json.js";
import { claimToV2Wire, formatV2Time } from "../../../wire/v2/index.js";
import { validateV2Body } from "./body.js";
import { answering, type V2Operation, type V2PathParams } from "./respond.js";
import { checkQueueName, checkTaskId } from "./ids.js";
import * as M from "./models.js";
import type { Model } from "./schema.js";

/** The body (checked first, as v2 does), then the queue and task of the path. */
function runRequest(params: V2PathParams, rawBody: JsonValue | undefined, model: Model): { body: JsonObject; queue: string; taskId: string; runId: string } {
  const body = validateV2Body(model, rawBody, "invalid_request");
  return { body, queue: checkQueueName(String(params.queue)), taskId: checkTaskId(String(params.taskId)), runId: body.run_id as string };
}

/** POST /queues/{queue}/tasks/claim: the claim, or 204 when no task is eligible. */
export const claimTask: V2Operation = async (v2, params, rawBody) => {
  const body = validateV2Body(M.ClaimRequest, rawBody, "invalid_request");
  const queue = checkQueueName(String(params.queue));
  const claim = await v2.claimTask(queue, body.route as string, body.run_id as string);
  return claim === null ? { status: 204 } : { status: 200, body: claimToV2Wire(claim) };
};

/** POST /queues/{queue}/tasks/{task_id}/heartbeat: the renewed lease. */
export const heartbeat: V2Operation = async (v2, params, rawBody) => {
  const { queue, taskId, runId } = runRequest(params, rawBody, M.RunRequest);
  return { status: 200, body: { lease_expires_at: formatV2Time(await v2.heartbeat(queue, taskId, runId)) } };
};

/** POST /queues/{queue}/tasks/{task_id}/complete: 204. */
export const completeTask: V2Operation = async (v2, params, rawBody) => {
  const { body, queue, taskId, runId } = runRequest(params, rawBody, M.CompleteRequest);
  await v2.completeTask(queue, taskId, runId, body.result as JsonObject);
  return { status: 204 };
};

/** POST /queues/{queue}/tasks/{task_id}/progress: 204. */
export const reportProgress: V2Operation = async (v2, params, rawBody) => {
  const { body, queue, taskId, runId } = runRequest(params, rawBody, M.ProgressRequest);
  await v2.reportProgress(queue, taskId, runId, body.progress as JsonObject);
  return { status: 204 };
};

/** POST /queues/{queue}/tasks/{task_id}/fail: 204. */
export const failTask: V2Operation = async (v2, params, rawBody) => {
  const { body, queue, taskId, runId } = runRequest(params, rawBody, M.FailRequest);
  const error = body.error as JsonObject;
  const report: V2FailureReport = { type: error.type as string, message: error.message as string, traceback: (error.traceback ?? null) as string | null };
  await v2.failTask(queue, taskId, runId, report);
  return { status: 204 };
};

/** POST /queues/{queue}/tasks/{task_id}/unclaim: 204. */
export const unclaimTask: V2Operation = async (v2, params, rawBody) => {
  const { queue, taskId, runId } = runRequest(params, rawBody, M.RunRequest);
  await v2.unclaimTask(queue, taskId, runId);
  return { status: 204 };
};

/** A run's reports after its task's id in the path (POST /queues/{queue}/tasks/{task_id}/<report>). */
export const RUN_REPORTS: Readonly<Record<string, V2Operation>> = {
  heartbeat,
  progress: reportProgress,
  complete: completeTask,
  fail: failTask,
  unclaim: unclaimTask,
};

export function v2RunRoutes(router: Router, v2: LabtaskerV2): void {
  router.post("/queues/:queue/tasks/claim", answering(v2, claimTask));
  for (const [report, operation] of Object.entries(RUN_REPORTS)) router.post(`/queues/:queue/tasks/:taskId/${report}`, answering(v2, operation));
}
