import type { Request, Router } from "express";
import { TASK_UPDATE_FIELDS, type ReportStatus, type SubmitTaskOptions, type TaskUpdate } from "../../core/api.js";
import type { Broker } from "../../broker/broker.js";
import { ValidationError } from "../../core/errors.js";
import type { JsonObject, JsonValue } from "../../json.js";
import type { TaskStatus } from "../../core/model.js";
import { queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";
import { taskCountRoute } from "./taskCount.js";
import {
  TaskBatchDeleteRequest,
  TaskBatchSubmitRequest,
  TaskFetchRequest,
  TaskLsRequest,
  TaskStatusUpdateRequest,
  TaskSubmitRequest,
  TaskUpdateRequestList,
  type TaskSubmitBody,
  type TaskUpdateBody,
} from "../schemas.js";
import { queryBool, validateBody } from "../validate.js";
import { responseModel, taskToWire, wantsTaskFields, TASK_EXTENSIONS_HEADER, type TaskEncodeOptions } from "../../wire/v1/index.js";

function submitOptions(body: TaskSubmitBody): SubmitTaskOptions {
  return {
    taskName: body.task_name ?? null,
    args: (body.args ?? null) as JsonObject | null,
    metadata: (body.metadata ?? null) as JsonObject | null,
    cmd: body.cmd ?? null,
    heartbeatTimeout: body.heartbeat_timeout ?? null,
    taskTimeout: body.task_timeout ?? null,
    maxRetries: body.max_retries ?? 3,
    priority: body.priority ?? 10,
    // The task model's extensions (docs/tasks.md), only those sent.
    ...(body.depends_on != null ? { dependsOn: body.depends_on } : {}),
    ...(body.ref != null ? { ref: body.ref } : {}),
    ...(body.env != null ? { env: body.env } : {}),
    ...(body.max_timeouts != null ? { maxTimeouts: body.max_timeouts } : {}),
    ...(body.dedup != null ? { dedup: body.dedup } : {}),
    ...(body.task_id != null ? { taskId: body.task_id } : {}),
  };
}

/**
 * How task documents are written for this request: with the extension fields that are set when the client asks for
 * them (`Labtasker-Extensions: task-fields`, which our client always sends); labtasker v1.0.1's client warns about
 * keys its model lacks, so it gets v1's document alone.
 */
function documentOptions(req: Request): TaskEncodeOptions {
  return wantsTaskFields(req.headers[TASK_EXTENSIONS_HEADER]) ? { extensions: true } : {};
}

/** Only keys present in the JSON are set (pydantic's exclude_unset), so a missing key and null differ. */
function taskUpdate(body: TaskUpdateBody, index: number): TaskUpdate {
  const taskId = body.task_id ?? body._id;
  if (taskId === undefined) {
    throw new ValidationError([{ type: "missing", loc: ["body", index, "_id"], msg: "Field required", input: body }]);
  }
  const update: Record<string, unknown> = { taskId, replaceFields: body.replace_fields ?? [] };
  for (const [field, wire] of Object.entries(TASK_UPDATE_FIELDS)) {
    if (Object.hasOwn(body, wire)) update[field] = (body as Record<string, JsonValue>)[wire];
  }
  return update as unknown as TaskUpdate;
}

export function taskRoutes(router: Router, broker: Broker): void {
  router.post("/api/v1/queues/me/tasks", async (req, res) => {
    const body = validateBody(TaskSubmitRequest, req.body);
    const [task] = await broker.tasks.submitDetailed(queueIdOf(res), [submitOptions(body)]);
    // `created` only for a task that was there already, and only to a client that asked for the extension fields.
    const found = !task!.created && documentOptions(req).extensions === true;
    sendJson(res, 201, responseModel({ task_id: task!.taskId, ...(found ? { created: false } : {}) }));
  });

  // Extension: submit many tasks in one request; ids come back in order.
  router.post("/api/v1/queues/me/tasks/batch", async (req, res) => {
    const body = validateBody(TaskBatchSubmitRequest, req.body);
    const tasks = await broker.tasks.submitDetailed(queueIdOf(res), body.tasks.map(submitOptions));
    // `created` (one boolean a task) only when some task was there already (dedup, a client id).
    const found = tasks.some((task) => !task.created);
    sendJson(res, 201, responseModel({ task_ids: tasks.map((task) => task.taskId), ...(found ? { created: tasks.map((task) => task.created) } : {}) }));
  });

  router.post("/api/v1/queues/me/tasks/search", async (req, res) => {
    const body = validateBody(TaskLsRequest, req.body);
    const result = await broker.listing.tasks(queueIdOf(res), {
      taskId: body.task_id || null,
      taskName: body.task_name || null,
      status: (body.status || null) as TaskStatus | null,
      extraFilter: (body.extra_filter ?? null) as JsonObject | null,
      limit: body.limit ?? 100,
      offset: body.offset ?? 0,
      sort: (body.sort ?? null) as Array<[string, 1 | -1]> | null,
      snapshot: body.snapshot ?? null,
    });
    sendJson(res, 200, responseModel({ found: result.found, content: result.content.map((task) => taskToWire(task, documentOptions(req))) }));
  });

  taskCountRoute(router, broker);

  router.post("/api/v1/queues/me/tasks/next", async (req, res) => {
    const body = validateBody(TaskFetchRequest, req.body);
    const task = await broker.tasks.fetch(queueIdOf(res), {
      workerId: body.worker_id || null,
      etaMax: body.eta_max ?? null,
      heartbeatTimeout: body.heartbeat_timeout ?? null,
      startHeartbeat: body.start_heartbeat ?? true,
      requiredFields: body.required_fields ?? null,
      extraFilter: (body.extra_filter ?? null) as JsonObject | null,
      cmd: body.cmd ?? null,
      report: body.report
        ? { taskId: body.report.task_id, status: body.report.status as ReportStatus, summary: (body.report.summary ?? null) as JsonObject | null }
        : undefined,
    });
    sendJson(res, 200, responseModel({ found: task !== null, task: task === null ? null : taskToWire(task, documentOptions(req)) }));
  });

  router.post("/api/v1/queues/me/tasks/:taskId/status", async (req, res) => {
    const body = validateBody(TaskStatusUpdateRequest, req.body);
    await broker.tasks.report(queueIdOf(res), req.params.taskId, body.status as "success", {
      summary: (body.summary ?? null) as JsonObject | null,
      workerId: body.worker_id ?? null,
      timedOut: body.timed_out ?? false,
    });
    sendJson(res, 200, null);
  });

  router.post("/api/v1/queues/me/tasks/:taskId/heartbeat", async (req, res) => {
    const workerId = typeof req.query.worker_id === "string" && req.query.worker_id !== "" ? req.query.worker_id : null;
    await broker.tasks.heartbeat(queueIdOf(res), req.params.taskId, workerId);
    res.status(204).end();
  });

  router.get("/api/v1/queues/me/tasks/:taskId", async (req, res) => {
    sendJson(res, 200, taskToWire(await broker.tasks.get(queueIdOf(res), req.params.taskId), documentOptions(req)));
  });

  router.put("/api/v1/queues/me/tasks", async (req, res) => {
    const body = validateBody(TaskUpdateRequestList, req.body);
    // v1's server re-queues by default; its Python client and CLI always send reset_pending explicitly.
    const resetPending = queryBool(req.query.reset_pending, "reset_pending", true);
    const result = await broker.tasks.update(queueIdOf(res), body.map(taskUpdate), { resetPending });
    sendJson(res, 200, responseModel({ found: result.found, content: result.content.map((task) => taskToWire(task, documentOptions(req))) }));
  });

  // Extension: delete many tasks at once; the reply says which ids were deleted and which named no task.
  router.post("/api/v1/queues/me/tasks/delete", async (req, res) => {
    const body = validateBody(TaskBatchDeleteRequest, req.body);
    const missing = await broker.tasks.deleteMany(queueIdOf(res), body.task_ids);
    const gone = new Set(missing);
    sendJson(res, 200, responseModel({ deleted: [...new Set(body.task_ids)].filter((taskId) => !gone.has(taskId)), missing }));
  });

  router.delete("/api/v1/queues/me/tasks/:taskId", async (req, res) => {
    await broker.tasks.delete(queueIdOf(res), req.params.taskId);
    res.status(204).end();
  });
}
