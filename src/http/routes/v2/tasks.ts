/**
 * v2's task routes: create by id, get, list, count, update (one or by filter), cancel, requeue, delete. Each checks
 * the request as v2 does (body, then query, then names and ids), calls the broker's v2 view, and writes v2's
 * documents (src/wire/v2).
 */
import type { Request, Router } from "express";
import type { LabtaskerV2, V2TaskCreate, V2TaskUpdate } from "../../../core/v2/api.js";
import { V2Error } from "../../../core/v2/errors.js";
import { isLosslessNumber, type JsonObject, type JsonValue } from "../../../json.js";
import { groupedCountToV2Wire, pageToV2Wire, taskToV2Wire } from "../../../wire/v2/index.js";
import { validateV2Body } from "./body.js";
import { answering, param, type V2Operation } from "./respond.js";
import { checkQueueName, checkTaskId } from "./ids.js";
import { checkFilterText } from "./limits.js";
import * as M from "./models.js";
import { writeEmpty, sendV2 } from "./respond.js";
import { readGrouping, readTaskCountQuery, readTaskListQuery, TASK_GROUP_FIELDS } from "./selection.js";

/** A body's integer (checked: ./schema.ts) as a number; int64 values beyond 2^53 are rounded (docs/compat.md). */
function integer(value: JsonValue | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  return isLosslessNumber(value) ? Number(value.value) : (value as number);
}

function taskCreate(body: JsonObject): Required<V2TaskCreate> {
  return {
    name: (body.name ?? null) as string | null,
    args: (body.args ?? {}) as JsonObject,
    metadata: (body.metadata ?? {}) as JsonObject,
    priority: integer(body.priority, 0),
    max_attempts: integer(body.max_attempts, 3),
    routes: [...((body.routes ?? ["default"]) as string[])].sort(),
    dependencies: (body.dependencies ?? []) as string[],
  };
}

/** Only the fields present: each replaces the stored one whole. */
export function taskUpdate(body: JsonObject): V2TaskUpdate {
  const update: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    if (field === "priority" || field === "max_attempts") update[field] = integer(value, 0);
    else if (field === "routes") update[field] = [...(value as string[])].sort();
    else update[field] = value;
  }
  return update as V2TaskUpdate;
}

function pathIds(req: Request): { queue: string; taskId: string } {
  return { queue: checkQueueName(param(req, "queue")), taskId: checkTaskId(param(req, "taskId")) };
}

/** PUT /queues/{queue}/tasks/{task_id}: 201 with the new task, 200 with the task a same creation made before. */
export const createTaskById: V2Operation = async (v2, params, body) => {
  const checked = validateV2Body(M.TaskCreate, body, "invalid_task");
  const queue = checkQueueName(String(params.queue));
  const taskId = checkTaskId(String(params.taskId));
  // The stored data's size (task_data_too_large) is the broker's check, made with the creation's fingerprint.
  const { task, created } = await v2.putTask(queue, taskId, taskCreate(checked));
  return { status: created ? 201 : 200, body: taskToV2Wire(task) };
};

export function v2TaskRoutes(router: Router, v2: LabtaskerV2): void {
  router.put("/queues/:queue/tasks/:taskId", answering(v2, createTaskById));

  router.get("/queues/:queue/tasks", async (req, res) => {
    const { selection, orderBy, descending, limit, cursor } = readTaskListQuery(req);
    const queue = checkQueueName(param(req, "queue"));
    checkFilterText(selection.filter ?? null);
    const page = await v2.listTasks(queue, { ...selection, orderBy, descending, limit, cursor });
    sendV2(res, 200, pageToV2Wire(page, taskToV2Wire));
  });

  router.get("/queues/:queue/tasks/count", async (req, res) => {
    const { selection, limit, cursor, reader } = readTaskCountQuery(req);
    const queue = checkQueueName(param(req, "queue"));
    const { groupBy, page } = readGrouping(reader, TASK_GROUP_FIELDS, limit, cursor);
    checkFilterText(selection.filter ?? null);
    if (groupBy === null) sendV2(res, 200, { count: await v2.countTasks(queue, selection) });
    else sendV2(res, 200, groupedCountToV2Wire(await v2.countTaskGroups(queue, selection, groupBy, page)));
  });

  router.get("/queues/:queue/tasks/:taskId", async (req, res) => {
    const { queue, taskId } = pathIds(req);
    sendV2(res, 200, taskToV2Wire(await v2.getTask(queue, taskId)));
  });

  router.patch("/queues/:queue/tasks/:taskId", async (req, res) => {
    const body = validateV2Body(M.TaskUpdate, req.body as JsonValue | undefined, "invalid_update");
    const { queue, taskId } = pathIds(req);
    sendV2(res, 200, taskToV2Wire(await v2.updateTask(queue, taskId, taskUpdate(body))));
  });

  router.patch("/queues/:queue/tasks", async (req, res) => {
    const body = validateV2Body(M.BulkUpdateRequest, req.body as JsonValue | undefined, "invalid_update", { filterField: true });
    const queue = checkQueueName(param(req, "queue"));
    const filter = body.filter as string;
    if (filter.trim() === "") throw new V2Error("invalid_filter", "Batch update filter must not be empty.", {});
    checkFilterText(filter);
    const selection = { filter, includeArchived: body.include_archived === true };
    sendV2(res, 200, await v2.updateTasks(queue, selection, taskUpdate(body.changes as JsonObject)));
  });

  router.post("/queues/:queue/tasks/:taskId/cancel", async (req, res) => {
    const { queue, taskId } = pathIds(req);
    sendV2(res, 200, taskToV2Wire(await v2.cancelTask(queue, taskId)));
  });

  router.post("/queues/:queue/tasks/:taskId/requeue", async (req, res) => {
    const { queue, taskId } = pathIds(req);
    sendV2(res, 200, taskToV2Wire(await v2.requeueTask(queue, taskId)));
  });

  router.delete("/queues/:queue/tasks/:taskId", async (req, res) => {
    const { queue, taskId } = pathIds(req);
    await v2.deleteTask(queue, taskId);
    writeEmpty(res);
  });
}
