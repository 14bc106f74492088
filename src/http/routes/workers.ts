import type { Router } from "express";
import type { Broker } from "../../broker/broker.js";
import type { JsonObject } from "../../json.js";
import type { WorkerStatus } from "../../core/model.js";
import { queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";
import { WorkerCreateRequest, WorkerLsRequest, WorkerStatusUpdateRequest } from "../schemas.js";
import { queryBool, validateBody } from "../validate.js";
import { responseModel, workerToWire } from "../../wire/v1/index.js";

export function workerRoutes(router: Router, broker: Broker): void {
  router.post("/api/v1/queues/me/workers", async (req, res) => {
    const body = validateBody(WorkerCreateRequest, req.body);
    const workerId = await broker.workers.create(queueIdOf(res), {
      workerName: body.worker_name ?? null,
      metadata: (body.metadata ?? null) as JsonObject | null,
      maxRetries: body.max_retries === undefined ? 3 : (body.max_retries as number),
    });
    sendJson(res, 201, responseModel({ worker_id: workerId }));
  });

  router.post("/api/v1/queues/me/workers/search", async (req, res) => {
    const body = validateBody(WorkerLsRequest, req.body);
    const result = await broker.listing.workers(queueIdOf(res), {
      workerId: body.worker_id || null,
      workerName: body.worker_name || null,
      status: (body.status || null) as WorkerStatus | null,
      extraFilter: (body.extra_filter ?? null) as JsonObject | null,
      limit: body.limit ?? 100,
      offset: body.offset ?? 0,
      sort: (body.sort ?? null) as Array<[string, 1 | -1]> | null,
    });
    sendJson(res, 200, responseModel({ found: result.found, content: result.content.map((w) => workerToWire(w)) }));
  });

  router.post("/api/v1/queues/me/workers/:workerId/status", async (req, res) => {
    const body = validateBody(WorkerStatusUpdateRequest, req.body);
    await broker.workers.report(queueIdOf(res), req.params.workerId, body.status as WorkerStatus);
    sendJson(res, 200, null);
  });

  router.delete("/api/v1/queues/me/workers/:workerId", async (req, res) => {
    await broker.workers.delete(queueIdOf(res), req.params.workerId, queryBool(req.query.cascade_update, "cascade_update", true));
    res.status(204).end();
  });

  // v1 serializes this one worker by alias: its id comes back as "_id", and without "notification".
  router.get("/api/v1/queues/me/workers/:workerId", async (req, res) => {
    sendJson(res, 200, workerToWire(await broker.workers.get(queueIdOf(res), req.params.workerId), { idName: "_id" }));
  });
}
