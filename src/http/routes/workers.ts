import type { Request, Router } from "express";
import type { Broker } from "../../broker/broker.js";
import type { JsonObject } from "../../json.js";
import type { Worker, WorkerStatus } from "../../core/model.js";
import { queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";
import { WorkerCreateRequest, WorkerLsRequest, WorkerStatusUpdateRequest, WorkerTelemetryRequest } from "../schemas.js";
import { queryBool, validateBody } from "../validate.js";
import { responseModel, workerToWire, type EncodeOptions } from "../../wire/v1/index.js";

/**
 * Worker documents carry the telemetry extension's key only for a client that asks with `?include=telemetry` (ours
 * does): labtasker v1's client accepts the key but warns about it on every listing ("Unknown fields provided to
 * Worker"), so it never gets it.
 */
function wireOf(req: Request, worker: Worker, options: EncodeOptions = {}): JsonObject {
  return workerToWire(worker, { ...options, telemetry: req.query.include === "telemetry" });
}

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
    sendJson(res, 200, responseModel({ found: result.found, content: result.content.map((w) => wireOf(req, w)) }));
  });

  router.post("/api/v1/queues/me/workers/:workerId/status", async (req, res) => {
    const body = validateBody(WorkerStatusUpdateRequest, req.body);
    await broker.workers.report(queueIdOf(res), req.params.workerId, body.status as WorkerStatus);
    sendJson(res, 200, null);
  });

  // An extension: the worker's latest telemetry sample (a GPU pool's GPU use), replaced whole.
  router.put("/api/v1/queues/me/workers/:workerId/telemetry", async (req, res) => {
    const body = validateBody(WorkerTelemetryRequest, req.body);
    await broker.workers.setTelemetry(queueIdOf(res), req.params.workerId, body.data as JsonObject);
    res.status(204).end();
  });

  router.delete("/api/v1/queues/me/workers/:workerId", async (req, res) => {
    await broker.workers.delete(queueIdOf(res), req.params.workerId, queryBool(req.query.cascade_update, "cascade_update", true));
    res.status(204).end();
  });

  // v1 serializes this one worker by alias: its id comes back as "_id", and without "notification".
  router.get("/api/v1/queues/me/workers/:workerId", async (req, res) => {
    sendJson(res, 200, wireOf(req, await broker.workers.get(queueIdOf(res), req.params.workerId), { idName: "_id" }));
  });
}
