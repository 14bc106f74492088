/**
 * v2's routes (2.8.0: 24 operations under /api/v2, plus /health), with what the OpenAPI document says of each. The
 * app routes exactly these (src/http/app.ts answers 404/405 for others) and src/http/openapi.ts publishes them: the
 * web UI checks the path templates `{queue}` and `{task_id}` and the lower-case methods of six of them.
 */
import type { JsonObject } from "../../../json.js";
import { V2_TASK_ORDER_FIELDS } from "../../../core/v2/api.js";
import { V2_TASK_STATUSES } from "../../../core/v2/model.js";
import * as M from "./models.js";
import { modelSchema, type Model } from "./schema.js";

export interface V2RouteDoc {
  method: "get" | "put" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  status: number;
  /** Another success status (201 for a created queue or task; 204 for a claim that found nothing). */
  alsoStatus?: number;
  query?: Record<string, JsonObject>;
  body?: Model;
  response?: JsonObject;
}

const nullable = (schema: JsonObject): JsonObject => ({ anyOf: [schema, { type: "null" }] });
const time: JsonObject = { type: "string", format: "date-time" };
const object: JsonObject = { type: "object", additionalProperties: {} };
const strings: JsonObject = { type: "array", items: { type: "string" } };

function strictObject(title: string, properties: Record<string, JsonObject>): JsonObject {
  return { title, type: "object", properties, required: Object.keys(properties), additionalProperties: false };
}

export const TaskSchema = strictObject("Task", {
  id: { type: "string" },
  queue: { type: "string" },
  status: { type: "string", enum: [...V2_TASK_STATUSES] },
  archived: { type: "boolean" },
  name: nullable({ type: "string" }),
  args: object,
  metadata: object,
  priority: { type: "integer" },
  attempt: { type: "integer" },
  max_attempts: { type: "integer" },
  routes: strings,
  dependencies: strings,
  result: object,
  progress: nullable(object),
  progress_updated_at: nullable(time),
  progress_attempt: nullable({ type: "integer" }),
  last_error: nullable(
    strictObject("LastError", {
      type: { type: "string" },
      message: { type: "string" },
      traceback: nullable({ type: "string" }),
      occurred_at: time,
      attempt: { type: "integer" },
      run_id: { type: "string" },
    }),
  ),
  last_route: nullable({ type: "string" }),
  created_at: time,
  updated_at: time,
  started_at: nullable(time),
  finished_at: nullable(time),
});

const WorkerSchema = strictObject("WorkerObservation", {
  id: { type: "string" },
  queue: { type: "string" },
  route: { type: "string" },
  status: { type: "string", enum: ["idle", "busy"] },
  task_id: nullable({ type: "string" }),
  metadata: object,
  telemetry: nullable(object),
  telemetry_updated_at: nullable(time),
  last_seen_at: time,
  expires_at: time,
});

const page = (title: string, item: JsonObject) => strictObject(title, { items: { type: "array", items: item }, next_cursor: nullable({ type: "string" }) });
const count: JsonObject = {
  anyOf: [
    strictObject("CountResponse", { count: { type: "integer" } }),
    strictObject("GroupCountPage", {
      group_by: strings,
      count: { type: "integer" },
      items: { type: "array", items: strictObject("CountGroup", { key: { type: "object", additionalProperties: { type: "string" } }, count: { type: "integer" } }) },
      next_cursor: nullable({ type: "string" }),
    }),
  ],
};
const queueSchema = strictObject("Queue", { name: { type: "string" } });
export const ErrorEnvelopeSchema = strictObject("ErrorEnvelope", {
  error: strictObject("ErrorBody", { code: { type: "string" }, message: { type: "string" }, details: object }),
});
export const HealthSchema: JsonObject = {
  title: "HealthResponse",
  type: "object",
  description: "v2's three fields, and v1's `connection`: one body for both protocols' clients (each ignores the other's keys)",
  properties: {
    connection: { type: "string", const: "ok" },
    status: { type: "string", enum: ["ok", "error"] },
    api_version: { type: "string", const: "2" },
    database: { type: "string", enum: ["ok", "error"] },
  },
  required: ["connection", "status", "api_version", "database"],
};

const selection: Record<string, JsonObject> = {
  include_archived: { type: "boolean", default: false },
  status: nullable({ type: "string", enum: [...V2_TASK_STATUSES] }),
  name: nullable({ type: "string" }),
  name_fuzzy: nullable({ type: "string", description: "case-insensitive subsequence match per whitespace-separated word" }),
  filter: nullable({ type: "string", maxLength: 8192, description: "v2's filter language" }),
};
const limit = (fallback: number | null): JsonObject => (fallback === null ? nullable({ type: "integer", minimum: 1, maximum: 1000 }) : { type: "integer", minimum: 1, maximum: 1000, default: fallback });
const cursor = nullable({ type: "string" });

const Q = "/api/v2/queues/{queue}";
const T = `${Q}/tasks/{task_id}`;
const W = `${Q}/workers/{id}`;

export const V2_ROUTES: V2RouteDoc[] = [
  { method: "put", path: Q, summary: "Create Queue (201; 200 when it exists)", status: 200, alsoStatus: 201, response: queueSchema },
  { method: "get", path: "/api/v2/queues", summary: "List Queues", status: 200, response: { type: "array", items: queueSchema } },
  { method: "delete", path: Q, summary: "Delete Queue", status: 204, query: { cascade: { type: "boolean", default: false } } },
  { method: "put", path: T, summary: "Create Task by ID (201; 200 for the same definition again)", status: 200, alsoStatus: 201, body: M.TaskCreate, response: TaskSchema },
  {
    method: "get",
    path: `${Q}/tasks`,
    summary: "List Tasks",
    status: 200,
    query: { ...selection, order_by: { type: "string", enum: [...V2_TASK_ORDER_FIELDS], default: "created_at" }, descending: { type: "boolean", default: true }, limit: limit(100), cursor },
    response: page("TaskPage", TaskSchema),
  },
  { method: "get", path: `${Q}/tasks/count`, summary: "Count Tasks", status: 200, query: { ...selection, group_by: nullable({ type: "string", description: "routes, status or both, comma-separated" }), limit: limit(null), cursor }, response: count },
  { method: "get", path: `${Q}/workers`, summary: "List Workers", status: 200, query: { filter: selection.filter!, limit: limit(100), cursor }, response: page("WorkerPage", WorkerSchema) },
  { method: "get", path: `${Q}/workers/count`, summary: "Count Workers", status: 200, query: { filter: selection.filter!, group_by: nullable({ type: "string", description: "route, status or both, comma-separated" }), limit: limit(null), cursor }, response: count },
  { method: "put", path: W, summary: "Report Worker", status: 204, body: M.WorkerReport },
  { method: "post", path: `${W}/telemetry`, summary: "Report Worker Telemetry", status: 204, body: M.WorkerTelemetryReport },
  { method: "delete", path: W, summary: "Withdraw Worker", status: 204 },
  { method: "get", path: T, summary: "Get Task", status: 200, response: TaskSchema },
  { method: "patch", path: T, summary: "Update Task", status: 200, body: M.TaskUpdate, response: TaskSchema },
  { method: "patch", path: `${Q}/tasks`, summary: "Update Tasks", status: 200, body: M.BulkUpdateRequest, response: strictObject("BulkUpdateResult", { matched: { type: "integer" }, updated: { type: "integer" } }) },
  {
    method: "post",
    path: `${Q}/tasks/claim`,
    summary: "Claim Task (204 when none is eligible)",
    status: 200,
    alsoStatus: 204,
    body: M.ClaimRequest,
    response: strictObject("ClaimResponse", { task: TaskSchema, run_id: { type: "string" }, lease_expires_at: time }),
  },
  { method: "post", path: `${T}/heartbeat`, summary: "Heartbeat", status: 200, body: M.RunRequest, response: strictObject("HeartbeatResponse", { lease_expires_at: time }) },
  { method: "post", path: `${T}/progress`, summary: "Report Progress", status: 204, body: M.ProgressRequest },
  { method: "post", path: `${T}/complete`, summary: "Complete", status: 204, body: M.CompleteRequest },
  { method: "post", path: `${T}/fail`, summary: "Fail", status: 204, body: M.FailRequest },
  { method: "post", path: `${T}/unclaim`, summary: "Unclaim", status: 204, body: M.RunRequest },
  { method: "post", path: `${T}/cancel`, summary: "Cancel Task", status: 200, response: TaskSchema },
  { method: "post", path: `${T}/requeue`, summary: "Requeue Task", status: 200, response: TaskSchema },
  { method: "delete", path: T, summary: "Delete Task", status: 204 },
];

/** The request body's schema, for the OpenAPI document. */
export function bodySchema(route: V2RouteDoc): JsonObject | undefined {
  return route.body ? modelSchema(route.body) : undefined;
}
