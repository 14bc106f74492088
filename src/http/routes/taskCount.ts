/**
 * Extension: `POST /api/v1/queues/me/tasks/count`, tasks per status, selected as a listing selects them. Without a
 * filter each count is a ZCARD of the status indexes; a filter costs one evaluation (cached like a listing's).
 * labtasker v1's server has no such route (it answers 404 or 405), so the HTTP client counts by paging there.
 */
import type { Router } from "express";
import type { Broker } from "../../broker/broker.js";
import type { JsonObject } from "../../json.js";
import type { TaskStatus } from "../../core/model.js";
import { queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";
import { TaskCountRequest } from "../schemas.js";
import { validateBody } from "../validate.js";
import { responseModel } from "../../wire/v1/index.js";

export function taskCountRoute(router: Router, broker: Broker): void {
  router.post("/api/v1/queues/me/tasks/count", async (req, res) => {
    const body = validateBody(TaskCountRequest, req.body);
    const counts = await broker.listing.counts(queueIdOf(res), {
      taskId: body.task_id || null,
      taskName: body.task_name || null,
      status: (body.status || null) as TaskStatus | null,
      extraFilter: (body.extra_filter ?? null) as JsonObject | null,
    });
    sendJson(res, 200, responseModel({ counts }));
  });
}
