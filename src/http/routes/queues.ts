import type { Router } from "express";
import type { Broker } from "../../broker/broker.js";
import type { JsonObject } from "../../json.js";
import { queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";
import { QueueCreateRequest, QueueUpdateRequest } from "../schemas.js";
import { queryBool, validateBody } from "../validate.js";
import { queueToWire, responseModel } from "../../wire/v1/index.js";

/** POST /api/v1/queues (open, as in v1). */
export function openQueueRoutes(router: Router, broker: Broker): void {
  router.post("/api/v1/queues", async (req, res) => {
    const body = validateBody(QueueCreateRequest, req.body);
    const queueId = await broker.queues.create({
      queueName: body.queue_name,
      password: body.password,
      metadata: (body.metadata ?? null) as JsonObject | null,
    });
    sendJson(res, 201, responseModel({ queue_id: queueId }));
  });
}

/** /api/v1/queues/me: the authenticated queue. */
export function queueRoutes(router: Router, broker: Broker): void {
  router.get("/api/v1/queues/me", async (_req, res) => {
    sendJson(res, 200, responseModel(queueToWire(await broker.queues.get(queueIdOf(res)))));
  });

  router.put("/api/v1/queues/me", async (req, res) => {
    const body = validateBody(QueueUpdateRequest, req.body);
    const queue = await broker.queues.update(queueIdOf(res), {
      newQueueName: body.new_queue_name ?? null,
      newPassword: body.new_password ?? null,
      metadataUpdate: (body.metadata_update ?? null) as JsonObject | null,
    });
    sendJson(res, 200, responseModel(queueToWire(queue)));
  });

  router.delete("/api/v1/queues/me", async (req, res) => {
    // v1's server defaults to keeping the tasks; its Python client always asks for cascade explicitly.
    await broker.queues.delete(queueIdOf(res), queryBool(req.query.cascade_delete, "cascade_delete", false));
    res.status(204).end();
  });
}
