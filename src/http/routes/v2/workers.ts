/** v2's worker observations: list, count (plain or grouped), report (204), telemetry (204), withdraw (204). */
import type { Router } from "express";
import type { LabtaskerV2, V2WorkerReport } from "../../../core/v2/api.js";
import type { JsonObject, JsonValue } from "../../../json.js";
import { groupedCountToV2Wire, pageToV2Wire, workerToV2Wire } from "../../../wire/v2/index.js";
import { validateV2Body } from "./body.js";
import { param } from "./respond.js";
import { checkQueueName, checkWorkerId } from "./ids.js";
import { checkFilterText } from "./limits.js";
import * as M from "./models.js";
import { writeEmpty, sendV2 } from "./respond.js";
import { readGrouping, readWorkerQuery, WORKER_GROUP_FIELDS } from "./selection.js";

export function v2WorkerRoutes(router: Router, v2: LabtaskerV2): void {
  router.get("/queues/:queue/workers", async (req, res) => {
    const { filter, limit, cursor } = readWorkerQuery(req);
    const queue = checkQueueName(param(req, "queue"));
    checkFilterText(filter);
    const page = await v2.listWorkers(queue, { filter, limit: limit ?? 100, cursor });
    sendV2(res, 200, pageToV2Wire(page, workerToV2Wire));
  });

  router.get("/queues/:queue/workers/count", async (req, res) => {
    const { filter, limit, cursor, reader } = readWorkerQuery(req);
    const queue = checkQueueName(param(req, "queue"));
    const { groupBy, page } = readGrouping(reader, WORKER_GROUP_FIELDS, limit, cursor);
    checkFilterText(filter);
    if (groupBy === null) sendV2(res, 200, { count: await v2.countWorkers(queue, filter) });
    else sendV2(res, 200, groupedCountToV2Wire(await v2.countWorkerGroups(queue, filter, groupBy, page)));
  });

  router.put("/queues/:queue/workers/:workerId", async (req, res) => {
    const body = validateV2Body(M.WorkerReport, req.body as JsonValue | undefined, "invalid_request");
    const queue = checkQueueName(param(req, "queue"));
    const workerId = checkWorkerId(param(req, "workerId"));
    const report: V2WorkerReport = {
      route: body.route as string,
      status: body.status as "idle" | "busy",
      task_id: (body.task_id ?? null) as string | null,
      metadata: (body.metadata ?? {}) as JsonObject,
    };
    await v2.reportWorker(queue, workerId, report);
    writeEmpty(res);
  });

  router.post("/queues/:queue/workers/:workerId/telemetry", async (req, res) => {
    const body = validateV2Body(M.WorkerTelemetryReport, req.body as JsonValue | undefined, "invalid_request");
    const queue = checkQueueName(param(req, "queue"));
    await v2.reportWorkerTelemetry(queue, checkWorkerId(param(req, "workerId")), body.telemetry as JsonObject);
    writeEmpty(res);
  });

  router.delete("/queues/:queue/workers/:workerId", async (req, res) => {
    const queue = checkQueueName(param(req, "queue"));
    await v2.deleteWorker(queue, checkWorkerId(param(req, "workerId")));
    writeEmpty(res);
  });
}
