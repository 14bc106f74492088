/**
 * The dashboard's own JSON routes, for what the v1 API does not answer in one request: a filter's text compiled (or
 * its error, with the column), a page with the listing's total, values of a few fields over thousands of tasks for
 * the plots, an action on every task a filter matches, a task's events, the overview, and tasks finished per minute.
 * Each is authenticated by the session (src/http/dashboard/session.ts) and validated like the v1 routes.
 */
import { randomUUID } from "node:crypto";
import type { Request, Router } from "express";
import type { Broker } from "../../broker/broker.js";
import type { TaskUpdate } from "../../core/api.js";
import { BadRequestError, UpdateFailedError, ValidationError } from "../../core/errors.js";
import { DEFAULT_TASK_ORDER } from "../../core/defaults.js";
import { TASK_STATUSES, type Task, type TaskStatus, type WorkerStatus } from "../../core/model.js";
import { FilterError, compileFilter } from "../../filter/index.js";
import { isLosslessNumber, type JsonObject } from "../../json.js";
import { eventToWire, taskToWire } from "../../wire/v1/index.js";
import { queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";
import { validateBody } from "../validate.js";
import { BulkRequest, FilterRequest, POINTS_MAX, TaskPageRequest, TaskPointsRequest } from "./schemas.js";
import type { ThroughputCounter } from "./throughput.js";

/** Tasks read per request to the broker when walking a whole selection. */
const WALK_PAGE = 1000;
/**
 * Candidates a filtered page in the queue's order reads from the top of the indexes before it evaluates the whole
 * listing instead: 10,000 cost about what a tenth of a 100,000-task evaluation does.
 */
const SCAN_LIMIT = 10_000;
/** Events of one task shown, and stream entries read back to find them. */
const TASK_EVENTS = 100;
const TASK_EVENTS_SCAN = 20_000;

interface Selection {
  status: TaskStatus | null;
  extraFilter: JsonObject | null;
}

function selectionOf(body: { status?: string | null; extra_filter?: unknown }): Selection {
  return { status: (body.status || null) as TaskStatus | null, extraFilter: (body.extra_filter ?? null) as JsonObject | null };
}

/** Every task of a selection, page by page from one listing snapshot (so tasks changing meanwhile are not skipped). */
async function* walk(broker: Broker, queueId: string, selection: Selection): AsyncGenerator<{ tasks: Task[]; total: number }> {
  const snapshot = randomUUID();
  for (let offset = 0; ; offset += WALK_PAGE) {
    const page = await broker.listing.tasksPage(queueId, { ...selection, limit: WALK_PAGE, offset, snapshot, sort: [["created_at", 1]] });
    yield { tasks: page.content, total: page.total };
    if (page.content.length < WALK_PAGE) return;
  }
}

/** The value at a dotted path of a v1 task document, as plotted: numbers as numbers, other objects as JSON text. */
function valueAt(document: Record<string, unknown>, path: string): unknown {
  let value: unknown = document;
  for (const segment of path.split(".")) {
    if (value === null || typeof value !== "object") return null;
    value = (value as Record<string, unknown>)[segment];
  }
  if (value === undefined) return null;
  if (isLosslessNumber(value)) return Number(value.toString());
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return value;
}

/** A query parameter as an integer in [min, max], or `fallback` when absent. */
function queryInt(req: Request, name: string, min: number, max: number, fallback: number): number {
  const raw = req.query[name];
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "string" && /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ValidationError([{ type: "int_parsing", loc: ["query", name], msg: `Input should be an integer from ${min} to ${max}`, input: raw }]);
  }
  return value;
}

/** Applies one action to tasks, 1,000 a request; failed updates are reported, and their batch's others still applied. */
async function applyAction(broker: Broker, queueId: string, action: (typeof BulkRequest)["static"]["action"], ids: string[], priority: number | undefined) {
  let done = 0;
  const failures: Array<[string, string]> = [];
  for (let start = 0; start < ids.length; start += WALK_PAGE) {
    let batch = ids.slice(start, start + WALK_PAGE);
    if (action === "delete") {
      const missing = new Set(await broker.tasks.deleteMany(queueId, batch));
      done += batch.length - missing.size;
      for (const id of missing) failures.push([id, "Task not found"]);
      continue;
    }
    const update = (taskId: string): TaskUpdate =>
      action === "cancel" ? { taskId, status: "cancelled" } : action === "priority" ? { taskId, priority: priority! } : { taskId };
    for (;;) {
      try {
        const result = await broker.tasks.update(queueId, batch.map(update), { resetPending: action === "requeue" });
        done += result.content.length;
        break;
      } catch (error) {
        // Our broker writes a batch whole or not at all: send it again without the updates that failed.
        if (!(error instanceof UpdateFailedError)) throw error;
        failures.push(...error.failures);
        const failed = new Set(error.failures.map(([taskId]) => taskId));
        batch = batch.filter((taskId) => !failed.has(taskId));
        if (batch.length === 0) break;
      }
    }
  }
  return { done, failures };
}

export function dashboardRoutes(router: Router, broker: Broker, throughput: ThroughputCounter): void {
  // The CLI's filter language, compiled here (one compiler, the server's): the Mongo document the v1 routes take.
  router.post("/api/filter", (req, res) => {
    const { filter } = validateBody(FilterRequest, req.body);
    if (filter.trim() === "") return sendJson(res, 200, { extra_filter: null });
    try {
      sendJson(res, 200, { extra_filter: compileFilter(filter).mongo });
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      // Columns count from the stripped text (as v1 reports them); the box shows the text as typed.
      const leading = filter.length - filter.trimStart().length;
      const offset = error.offset === undefined ? null : error.offset + leading;
      const line = error.line ?? null;
      const lineStart = offset === null ? 0 : filter.lastIndexOf("\n", offset - 1) + 1;
      sendJson(res, 400, {
        detail: `Invalid filter: ${error.message}`,
        filter_error: { message: error.message, line, column: offset === null ? null : offset - lineStart + 1, offset, path: error.path ?? null },
      });
    }
  });

  router.post("/api/tasks/page", async (req, res) => {
    const body = validateBody(TaskPageRequest, req.body);
    const options = {
      ...selectionOf(body),
      // Without a sort, the queue's own order: read from its indexes, at O(page) without a filter.
      sort: (body.sort ?? DEFAULT_TASK_ORDER) as Array<[string, 1 | -1]>,
      offset: body.offset ?? 0,
      limit: body.limit ?? 50,
      snapshot: body.snapshot ?? null,
    };
    if (body.scan === true && body.sort == null && !body.snapshot) {
      const scanned = await broker.listing.scanPage(queueIdOf(res), options, SCAN_LIMIT);
      if (scanned !== undefined) return sendJson(res, 200, { total: scanned.total, content: scanned.content.map((task) => taskToWire(task)) });
    }
    const page = await broker.listing.tasksPage(queueIdOf(res), options);
    sendJson(res, 200, { total: page.total, content: page.content.map((task) => taskToWire(task)) });
  });

  router.post("/api/tasks/points", async (req, res) => {
    const body = validateBody(TaskPointsRequest, req.body);
    const limit = Math.min(body.limit ?? 10_000, POINTS_MAX);
    const points: unknown[][] = [];
    let total = 0;
    for await (const page of walk(broker, queueIdOf(res), selectionOf(body))) {
      total = page.total;
      for (const task of page.tasks) {
        if (points.length >= limit) break;
        const document = taskToWire(task) as Record<string, unknown>;
        points.push([task.taskId, task.status, ...body.fields.map((field) => valueAt(document, field))]);
      }
      if (points.length >= limit) break;
    }
    sendJson(res, 200, { total, fields: body.fields, points, truncated: total > points.length });
  });

  router.post("/api/tasks/bulk", async (req, res) => {
    const body = validateBody(BulkRequest, req.body);
    if (body.action === "priority" && body.priority === undefined) throw new BadRequestError("priority is required for the priority action");
    const queueId = queueIdOf(res);
    let ids = body.task_ids;
    if (ids === undefined) {
      // Every match first, then the actions: acting while walking would move tasks out of a selection being read.
      ids = [];
      for await (const page of walk(broker, queueId, selectionOf(body))) ids.push(...page.tasks.map((task) => task.taskId));
    }
    const { done, failures } = await applyAction(broker, queueId, body.action, ids, body.priority);
    sendJson(res, 200, { matched: ids.length, done, failures });
  });

  router.get("/api/tasks/:task_id/events", async (req, res) => {
    const queueId = queueIdOf(res);
    await broker.tasks.get(queueId, String(req.params.task_id)); // 404 for a task that does not exist
    const events = await broker.events.ofEntity(queueId, String(req.params.task_id), { limit: TASK_EVENTS, scan: TASK_EVENTS_SCAN });
    sendJson(res, 200, { events: events.map(eventToWire), scanned: TASK_EVENTS_SCAN });
  });

  router.get("/api/overview", async (_req, res) => {
    const queueId = queueIdOf(res);
    const [counts, sequence] = await Promise.all([broker.listing.counts(queueId), broker.store.lastEventSequence(queueId)]);
    const workers: Record<"busy" | "idle" | WorkerStatus, number> = { busy: 0, idle: 0, active: 0, suspended: 0, crashed: 0 };
    const holding = new Set<string>();
    for (let offset = 0; ; offset += WALK_PAGE) {
      const running = await broker.listing.tasks(queueId, { status: "running", limit: WALK_PAGE, offset, sort: DEFAULT_TASK_ORDER as Array<[string, 1 | -1]> });
      for (const task of running.content) if (task.workerId !== null) holding.add(task.workerId);
      if (running.content.length < WALK_PAGE) break;
    }
    for (let offset = 0; ; offset += WALK_PAGE) {
      const page = await broker.listing.workers(queueId, { limit: WALK_PAGE, offset });
      for (const worker of page.content) {
        if (worker.status === "active") workers[holding.has(worker.workerId) ? "busy" : "idle"] += 1;
        else workers[worker.status] += 1;
      }
      if (page.content.length < WALK_PAGE) break;
    }
    sendJson(res, 200, {
      counts: Object.fromEntries(TASK_STATUSES.map((status) => [status, counts[status]])),
      workers: { busy: workers.busy, idle: workers.idle, suspended: workers.suspended, crashed: workers.crashed },
      event_sequence: sequence,
    });
  });

  router.get("/api/throughput", async (req, res) => {
    const minutes = queryInt(req, "minutes", 1, 24 * 60, 60);
    const answer = await throughput.minutes(queueIdOf(res), minutes);
    sendJson(res, 200, { minutes: answer.minutes, covers_from: answer.coversFrom });
  });
}
