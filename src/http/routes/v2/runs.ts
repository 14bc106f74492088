/**
 * v2's run routes: claim (the task, or 204 when none is eligible), then the reports of the run, each fenced by its
 * run id in the broker (`stale_run`, `run_finalized`): heartbeat (renews the lease), progress, complete, fail and
 * unclaim (204 each).
 */
import type { Request, Router } from "express";
import type { LabtaskerV2, V2FailureReport } from "../../../core/v2/api.js";
import type { JsonObject, JsonValue } from "../../../json.js";
import { claimToV2Wire, formatV2Time } from "../../../wire/v2/index.js";
import { validateV2Body } from "./body.js";
import { param } from "./respond.js";
import { checkQueueName, checkTaskId } from "./ids.js";
import * as M from "./models.js";
import type { Model } from "./schema.js";
import { sendEmpty, sendV2 } from "./respond.js";

/** The body (checked first, as v2 does), then the queue and task of the path. */
function runRequest(req: Request, model: Model): { body: JsonObject; queue: string; taskId: string; runId: string } {
  const body = validateV2Body(model, req.body as JsonValue | undefined, "invalid_request");
  return { body, queue: checkQueueName(param(req, "queue")), taskId: checkTaskId(param(req, "taskId")), runId: body.run_id as string };
}

export function v2RunRoutes(router: Router, v2: LabtaskerV2): void {
  router.post("/queues/:queue/tasks/claim", async (req, res) => {
    const body = validateV2Body(M.ClaimRequest, req.body as JsonValue | undefined, "invalid_request");
    const queue = checkQueueName(param(req, "queue"));
    const claim = await v2.claimTask(queue, body.route as string, body.run_id as string);
    if (claim === null) sendEmpty(res);
    else sendV2(res, 200, claimToV2Wire(claim));
  });

  router.post("/queues/:queue/tasks/:taskId/heartbeat", async (req, res) => {
    const { queue, taskId, runId } = runRequest(req, M.RunRequest);
    sendV2(res, 200, { lease_expires_at: formatV2Time(await v2.heartbeat(queue, taskId, runId)) });
  });

  router.post("/queues/:queue/tasks/:taskId/progress", async (req, res) => {
    const { body, queue, taskId, runId } = runRequest(req, M.ProgressRequest);
    await v2.reportProgress(queue, taskId, runId, body.progress as JsonObject);
    sendEmpty(res);
  });

  router.post("/queues/:queue/tasks/:taskId/complete", async (req, res) => {
    const { body, queue, taskId, runId } = runRequest(req, M.CompleteRequest);
    await v2.completeTask(queue, taskId, runId, body.result as JsonObject);
    sendEmpty(res);
  });

  router.post("/queues/:queue/tasks/:taskId/fail", async (req, res) => {
    const { body, queue, taskId, runId } = runRequest(req, M.FailRequest);
    const error = body.error as JsonObject;
    const report: V2FailureReport = { type: error.type as string, message: error.message as string, traceback: (error.traceback ?? null) as string | null };
    await v2.failTask(queue, taskId, runId, report);
    sendEmpty(res);
  });

  router.post("/queues/:queue/tasks/:taskId/unclaim", async (req, res) => {
    const { queue, taskId, runId } = runRequest(req, M.RunRequest);
    await v2.unclaimTask(queue, taskId, runId);
    sendEmpty(res);
  });
}
