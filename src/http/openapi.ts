/**
 * The OpenAPI document of the server, built from the same schemas that validate requests (src/http/schemas.ts).
 * A test checks that every route the app serves is described here and nothing else.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import * as S from "./schemas.js";
import { NOTIFY_ROUTES } from "./routes/notify.js";
import { DASHBOARD_ROUTES } from "./dashboard/paths.js";
import { ErrorEnvelopeSchema, HealthSchema, V2_ROUTES, bodySchema } from "./routes/v2/table.js";

interface RouteDoc {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  auth: boolean;
  body?: TSchema;
  query?: Record<string, { schema: TSchema; description: string }>;
  status: number;
  response?: TSchema;
  contentType?: string;
  /** Authenticated by the dashboard's session cookie rather than Basic auth. */
  session?: true;
  /** The body of a 400, where it says more than `detail`. */
  badRequest?: TSchema;
  /** The route also takes the bytes themselves as an application/octet-stream body: what they are. */
  rawBody?: string;
}

const taskId = "{task_id}";

/** Worker documents carry the telemetry extension's key only when asked (src/http/routes/workers.ts). */
const INCLUDE_TELEMETRY = {
  include: { schema: Type.String({ enum: ["telemetry"] }), description: "telemetry: add each worker's latest telemetry sample (extension), when it has one" },
};

/** Where a raw log chunk (an application/octet-stream body) goes: the fields of the JSON form, in the query. */
const LOG_APPEND_QUERY = {
  attempt: { schema: Type.Integer({ minimum: 0, maximum: 2 ** 40, default: 0 }), description: "with a raw body: the attempt's number; 0 opens the run's attempt" },
  run: { schema: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }), description: "with a raw body: the run's token" },
  offset: { schema: Type.Integer({ minimum: 0, maximum: 2 ** 40, default: 0 }), description: "with a raw body: where the bytes start in the run's output" },
  ended: { schema: Type.Boolean({ default: false }), description: "with a raw body: the run's last chunk" },
};
const workerId = "{worker_id}";

export const ROUTES: RouteDoc[] = [
  { method: "get", path: "/", summary: "Welcome, and the protocol extensions offered", auth: false, status: 200, response: Type.Object({ message: Type.String(), versions: Type.Array(Type.String()), docs: Type.String(), extensions: Type.Array(Type.String()) }) },
  { method: "get", path: "/health", summary: "Health of the server and its Redis, for both protocols' clients (503 when Redis does not answer)", auth: false, status: 200, response: HealthSchema as unknown as TSchema },
  { method: "get", path: "/health/full", summary: "Health including Redis", auth: false, status: 200, response: S.HealthFullResponse, query: { details: { schema: Type.Boolean({ default: false }), description: "add the timeout sweep's last run and the server's warnings (an extension; v1's client warns about fields it does not know)" } } },
  { method: "get", path: "/health/sweep", summary: "When the timeout sweep last ran: 200, or 503 when no replica has swept for 3 intervals (an extension)", auth: false, status: 200, response: S.SweepReport },
  { method: "get", path: "/api/v1/polling", summary: "Timeout sweep timing", auth: false, status: 200, response: Type.Object({ prev_polling: Type.Number(), next_eta: Type.Number(), polling_interval: Type.Number() }) },
  { method: "post", path: "/api/v1/queues", summary: "Create a queue", auth: false, body: S.QueueCreateRequest, status: 201, response: S.IdResponse("queue_id") },
  { method: "get", path: "/api/v1/queues/me", summary: "Get the queue", auth: true, status: 200, response: S.QueueGetResponse },
  { method: "put", path: "/api/v1/queues/me", summary: "Rename, change password, merge metadata", auth: true, body: S.QueueUpdateRequest, status: 200, response: S.QueueGetResponse },
  { method: "delete", path: "/api/v1/queues/me", summary: "Delete the queue", auth: true, status: 204, query: { cascade_delete: { schema: Type.Boolean({ default: false }), description: "also delete its tasks and workers" } } },
  { method: "post", path: "/api/v1/queues/me/tasks", summary: "Submit a task", auth: true, body: S.TaskSubmitRequest, status: 201, response: S.IdResponse("task_id") },
  { method: "post", path: "/api/v1/queues/me/tasks/batch", summary: "Submit many tasks (extension)", auth: true, body: S.TaskBatchSubmitRequest, status: 201, response: Type.Object({ notification: Type.Null(), task_ids: Type.Array(Type.String()) }) },
  { method: "post", path: "/api/v1/queues/me/tasks/search", summary: "List tasks", auth: true, body: S.TaskLsRequest, status: 200, response: S.TaskLsResponse },
  { method: "post", path: "/api/v1/queues/me/tasks/count", summary: "Count tasks per status (extension)", auth: true, body: S.TaskCountRequest, status: 200, response: S.TaskCountResponse },
  { method: "post", path: "/api/v1/queues/me/tasks/next", summary: "Fetch (claim) the next task", auth: true, body: S.TaskFetchRequest, status: 200, response: S.TaskFetchResponse },
  { method: "post", path: `/api/v1/queues/me/tasks/${taskId}/status`, summary: "Report a task's status", auth: true, body: S.TaskStatusUpdateRequest, status: 200, response: Type.Null() },
  { method: "post", path: `/api/v1/queues/me/tasks/${taskId}/heartbeat`, summary: "Refresh a task's heartbeat", auth: true, status: 204, query: { worker_id: { schema: Type.String(), description: "the worker holding the task" } } },
  { method: "get", path: `/api/v1/queues/me/tasks/${taskId}`, summary: "Get a task", auth: true, status: 200, response: S.Task },
  { method: "put", path: "/api/v1/queues/me/tasks", summary: "Update tasks", auth: true, body: S.TaskUpdateRequestList, status: 200, response: S.TaskLsResponse, query: { reset_pending: { schema: Type.Boolean({ default: true }), description: "re-queue each task (status pending, retries 0)" } } },
  { method: "delete", path: `/api/v1/queues/me/tasks/${taskId}`, summary: "Delete a task", auth: true, status: 204 },
  { method: "post", path: "/api/v1/queues/me/tasks/delete", summary: "Delete up to 1,000 tasks at once (extension)", auth: true, body: S.TaskBatchDeleteRequest, status: 200, response: S.TaskBatchDeleteResponse },
  { method: "post", path: "/api/v1/queues/me/workers", summary: "Create a worker", auth: true, body: S.WorkerCreateRequest, status: 201, response: S.IdResponse("worker_id") },
  { method: "post", path: "/api/v1/queues/me/workers/search", summary: "List workers", auth: true, body: S.WorkerLsRequest, status: 200, response: S.WorkerLsResponse, query: INCLUDE_TELEMETRY },
  { method: "post", path: `/api/v1/queues/me/workers/${workerId}/status`, summary: "Activate or suspend a worker", auth: true, body: S.WorkerStatusUpdateRequest, status: 200, response: Type.Null() },
  { method: "delete", path: `/api/v1/queues/me/workers/${workerId}`, summary: "Delete a worker", auth: true, status: 204, query: { cascade_update: { schema: Type.Boolean({ default: true }), description: "clear the worker from its tasks" } } },
  { method: "get", path: `/api/v1/queues/me/workers/${workerId}`, summary: "Get a worker (id under _id, as v1)", auth: true, status: 200, response: S.Worker, query: INCLUDE_TELEMETRY },
  { method: "put", path: `/api/v1/queues/me/workers/${workerId}/telemetry`, summary: "Replace the worker's telemetry sample, shown under `telemetry` in worker documents (extension; docs/wire-v1.md)", auth: true, body: S.WorkerTelemetryRequest, status: 204 },
  { method: "post", path: `/api/v1/queues/me/tasks/${taskId}/logs`, summary: "Append a chunk of a run's output to the task's log: the bytes as an application/octet-stream body with the chunk's place in the query, or (the first form) JSON with the bytes in base64 (extension; docs/wire-v1.md)", auth: true, status: 200, rawBody: "the chunk's bytes as written; attempt, run, offset and ended in the query", query: LOG_APPEND_QUERY, body: Type.Object({ attempt: Type.Integer({ minimum: 0, maximum: 2 ** 40, description: "0 opens the run's attempt" }), run: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }), offset: Type.Integer({ minimum: 0, maximum: 2 ** 40 }), data: Type.String({ contentEncoding: "base64" }), ended: Type.Optional(Type.Boolean()) }), response: Type.Object({ attempt: Type.Integer() }) },
  { method: "post", path: "/api/v1/queues/me/logs", summary: "Append chunks of several runs' output in one request, each kept or refused as a single append would be (extension task-logs-batch; docs/wire-v1.md)", auth: true, status: 200, rawBody: 'a line of JSON, {"chunks": [{"task_id", "attempt", "run", "offset", "length", "ended"}, ...]}, a newline, then the chunks\' bytes one after the other', response: Type.Object({ results: Type.Array(Type.Union([Type.Object({ attempt: Type.Integer() }), Type.Object({ status: Type.Integer(), detail: Type.Unknown() })])) }) },
  { method: "get", path: `/api/v1/queues/me/tasks/${taskId}/logs`, summary: "Read a task's log; wait > 0 long-polls for more (extension; docs/wire-v1.md)", auth: true, status: 200, query: { attempt: { schema: Type.Integer({ minimum: 1, maximum: 2 ** 40 }), description: "the attempt (default: the last)" }, offset: { schema: Type.Integer({ minimum: 0, maximum: 2 ** 40, default: 0 }), description: "bytes of the attempt already read" }, wait: { schema: Type.Integer({ minimum: 0, default: 0 }), description: "ms to wait for output past offset or the run's end (at most 10,000)" } }, response: Type.Object({ attempt: Type.Integer(), attempts: Type.Integer(), offset: Type.Integer(), next: Type.Integer(), ended: Type.Boolean(), data: Type.String({ contentEncoding: "base64" }) }) },
  { method: "get", path: "/api/v1/queues/me/events", summary: "State transition events (SSE)", auth: true, status: 200, contentType: "text/event-stream" },
];

/** Strips TypeBox's symbol keys so the schema is plain JSON. */
function plain(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema)) as unknown;
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const routes: readonly RouteDoc[] = [...ROUTES, ...NOTIFY_ROUTES, ...DASHBOARD_ROUTES];
  for (const route of routes) {
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const queryParams = Object.entries(route.query ?? {}).map(([name, q]) => ({ name, in: "query", required: false, description: q.description, schema: plain(q.schema) }));
    const errorResponse = { description: "error", content: { "application/json": { schema: plain(S.ErrorResponse) } } };
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      summary: route.summary,
      ...(route.auth ? { security: [route.session ? { session: [] } : { basic: [] }] } : {}),
      parameters: [...pathParams, ...queryParams],
      ...(route.body || route.rawBody
        ? {
            requestBody: {
              required: true,
              content: {
                ...(route.rawBody ? { "application/octet-stream": { schema: { type: "string", format: "binary", description: route.rawBody } } } : {}),
                ...(route.body ? { "application/json": { schema: plain(route.body) } } : {}),
              },
            },
          }
        : {}),
      responses: {
        [route.status]: {
          description: "success",
          ...(route.response ? { content: { "application/json": { schema: plain(route.response) } } } : {}),
          ...(route.contentType ? { content: { [route.contentType]: { schema: { type: "string" } } } } : {}),
        },
        ...(route.auth ? { 401: errorResponse } : {}),
        400: route.badRequest ? { description: "error", content: { "application/json": { schema: plain(route.badRequest) } } } : errorResponse,
        404: errorResponse,
        422: errorResponse,
      },
    };
  }
  addV2Paths(paths);
  return {
    openapi: "3.1.0",
    info: { title: "labtasker-redis", version, description: "labtasker v1's REST protocol (/api/v1) and v2's (/api/v2, labtasker 2.8.0), served from Redis" },
    components: {
      securitySchemes: {
        basic: { type: "http", scheme: "basic", description: "v1: user: queue name or id; password: queue password" },
        bearer: { type: "http", scheme: "bearer", description: "v2: the server's token (LABTASKER_SERVER_TOKEN), when it has one" },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "labtasker_session",
          description:
            "the dashboard's session (POST /dashboard/api/session); POST, PUT and DELETE also need its CSRF token in X-CSRF-Token. The task, worker, event and log routes of /api/v1/queues/me are served with it under /dashboard/api/v1/queues/me too",
        },
      },
    },
    paths,
  };
}

/**
 * v2's paths, as its server names them: the web UI checks six of them by their exact templates (`{queue}`,
 * `{task_id}`) and lower-case methods. Every v2 route takes the bearer token and answers v2's error envelope.
 */
function addV2Paths(paths: Record<string, Record<string, unknown>>): void {
  const envelope = { description: "error", content: { "application/json": { schema: ErrorEnvelopeSchema } } };
  for (const route of V2_ROUTES) {
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const queryParams = Object.entries(route.query ?? {}).map(([name, schema]) => ({ name, in: "query", required: false, schema }));
    const body = bodySchema(route);
    const success = (status: number) => ({
      description: status === 204 ? "no content" : "success",
      ...(route.response && status !== 204 ? { content: { "application/json": { schema: route.response } } } : {}),
      headers: { "Labtasker-Server-Version": { description: "the v2 version spoken (2.8.0), to authenticated callers", schema: { type: "string" } } },
    });
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      summary: route.summary,
      security: [{ bearer: [] }],
      parameters: [...pathParams, ...queryParams],
      ...(body ? { requestBody: { required: true, content: { "application/json": { schema: body } } } } : {}),
      responses: {
        [route.status]: success(route.status),
        ...(route.alsoStatus ? { [route.alsoStatus]: success(route.alsoStatus) } : {}),
        401: envelope,
        404: envelope,
        409: envelope,
        413: envelope,
        422: envelope,
        503: envelope,
      },
    };
  }
}
