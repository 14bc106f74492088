/**
 * labtasker v1's request and response bodies as JSON Schemas (TypeBox): the single source for request validation
 * (src/http/validate.ts) and for the OpenAPI document (src/http/openapi.ts). Field names, defaults and constraints
 * are v1's (contract 2.3); `extra` keys are allowed and ignored, as v1's models ignore them.
 */
import { Type, type Static } from "@sinclair/typebox";
import { DOTTED_KEY_PATTERN, NAME_MAX_LENGTH, NAME_PATTERN, PASSWORD_MAX_LENGTH } from "../core/validation.js";
import { TASK_STATUSES } from "../core/model.js";
import { SNAPSHOT_ID_PATTERN } from "../core/api.js";
import { Command, DateTime, Dict, Nullable, QueueSchema, TASK_STATUS_PATTERN, TaskSchema, WORKER_STATUS_PATTERN, WorkerSchema } from "../wire/v1/schema.js";

const Name = Type.String({ pattern: NAME_PATTERN.source, minLength: 1, maxLength: NAME_MAX_LENGTH });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });

/** Every v1 request carries the client's version; the server ignores it, but it must be a PEP 440 version. */
const clientVersion = {
  client_version: Type.Optional(Type.String({ pattern: "^\\s*v?\\d+(\\.\\d+)*([._-]?(a|b|c|rc|alpha|beta|pre|preview|post|rev|r|dev)[._-]?\\d*)*(\\+[a-z0-9]+([._-][a-z0-9]+)*)?\\s*$" })),
};

const open = { additionalProperties: true } as const;

export const QueueCreateRequest = Type.Object(
  { ...clientVersion, queue_name: Name, password: Password, metadata: Type.Optional(Nullable(Dict)) },
  open,
);
export const QueueUpdateRequest = Type.Object(
  {
    ...clientVersion,
    new_queue_name: Type.Optional(Nullable(Name)),
    new_password: Type.Optional(Nullable(Password)),
    metadata_update: Type.Optional(Nullable(Dict)),
  },
  open,
);

const taskSubmitFields = {
  task_name: Type.Optional(Nullable(Name)),
  args: Type.Optional(Nullable(Dict)),
  metadata: Type.Optional(Nullable(Dict)),
  cmd: Type.Optional(Nullable(Command)),
  heartbeat_timeout: Type.Optional(Nullable(Type.Number())),
  task_timeout: Type.Optional(Nullable(Type.Integer())),
  max_retries: Type.Optional(Type.Integer({ default: 3 })),
  priority: Type.Optional(Type.Integer({ default: 10 })),
  // The task model's extensions (docs/tasks.md), from any client; labtasker v1's server ignores them.
  depends_on: Type.Optional(Nullable(Type.Array(Type.String({ minLength: 1 })))),
  ref: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  env: Type.Optional(Nullable(Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }), Type.String()))),
  max_timeouts: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  dedup: Type.Optional(Nullable(Type.Boolean())),
  task_id: Type.Optional(Nullable(Type.String({ pattern: "^t_[A-Za-z0-9_-]{12}$" }))),
};
export const TaskSubmitRequest = Type.Object({ ...clientVersion, ...taskSubmitFields }, open);
/** Extension: many tasks in one request (`POST /api/v1/queues/me/tasks/batch`). */
export const TaskBatchSubmitRequest = Type.Object(
  { ...clientVersion, tasks: Type.Array(Type.Object(taskSubmitFields, open), { minItems: 1, maxItems: 100_000 }) },
  open,
);

/** Extension: delete many tasks at once (the broker refuses more than 1,000 with v1's "Too many" 400). */
export const TaskBatchDeleteRequest = Type.Object({ ...clientVersion, task_ids: Type.Array(Type.String()) }, open);
export const TaskBatchDeleteResponse = Type.Object({ notification: Type.Null(), deleted: Type.Array(Type.String()), missing: Type.Array(Type.String()) });

const SortSpec = Type.Array(Type.Tuple([Type.String(), Type.Integer()]));
const lsFields = {
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ exclusiveMinimum: 0, maximum: 1000, default: 100 })),
  extra_filter: Type.Optional(Nullable(Dict)),
  sort: Type.Optional(Nullable(SortSpec)),
};
export const TaskLsRequest = Type.Object(
  {
    ...clientVersion,
    ...lsFields,
    task_id: Type.Optional(Nullable(Type.String())),
    task_name: Type.Optional(Nullable(Type.String())),
    status: Type.Optional(Nullable(Type.String({ pattern: TASK_STATUS_PATTERN }))),
    // Extension: a listing snapshot's id, chosen by the client (see GET / "extensions" and LsTasksOptions.snapshot).
    snapshot: Type.Optional(Nullable(Type.String({ pattern: SNAPSHOT_ID_PATTERN.source }))),
  },
  open,
);
/** Extension: tasks per status (`POST /api/v1/queues/me/tasks/count`), selected as a listing selects them. */
export const TaskCountRequest = Type.Object(
  {
    ...clientVersion,
    task_id: Type.Optional(Nullable(Type.String())),
    task_name: Type.Optional(Nullable(Type.String())),
    status: Type.Optional(Nullable(Type.String({ pattern: TASK_STATUS_PATTERN }))),
    extra_filter: Type.Optional(Nullable(Dict)),
  },
  open,
);
export const WorkerLsRequest = Type.Object(
  {
    ...clientVersion,
    ...lsFields,
    worker_id: Type.Optional(Nullable(Type.String())),
    worker_name: Type.Optional(Nullable(Type.String())),
    status: Type.Optional(Nullable(Type.String({ pattern: WORKER_STATUS_PATTERN }))),
  },
  open,
);

export const TaskFetchRequest = Type.Object(
  {
    ...clientVersion,
    worker_id: Type.Optional(Nullable(Type.String())),
    eta_max: Type.Optional(Nullable(Type.String())),
    heartbeat_timeout: Type.Optional(Nullable(Type.Number())),
    start_heartbeat: Type.Optional(Type.Boolean({ default: true })),
    required_fields: Type.Optional(Nullable(Type.Array(Type.String()))),
    extra_filter: Type.Optional(Nullable(Dict)),
    cmd: Type.Optional(Nullable(Command)),
    // Extension: report the worker's previous task in the same request (see GET / "extensions").
    report: Type.Optional(Nullable(Type.Object(
      {
        task_id: Type.String(),
        status: Type.String({ pattern: "^(success|failed|cancelled|running)$" }),
        summary: Type.Optional(Nullable(Dict)),
      },
      open,
    ))),
  },
  open,
);

/** The extensions to v1's protocol this server offers, listed in GET / so clients use them only where they exist. */
export const EXTENSIONS = ["batch-submit", "task-count", "listing-snapshots", "batch-delete", "atomic-update", "report-and-fetch", "event-replay", "jsonata-filters", "running-summary", "task-logs", "task-logs-batch", "notifications", "worker-telemetry"] as const;

export const TaskStatusUpdateRequest = Type.Object(
  {
    ...clientVersion,
    // "running" is an extension: merge a summary into a task that keeps running.
    status: Type.String({ pattern: "^(success|failed|cancelled|running)$" }),
    worker_id: Type.Optional(Nullable(Type.String())),
    summary: Type.Optional(Nullable(Dict)),
    // An extension: with status failed, the run reached its deadline (resumable tasks, docs/compat.md).
    timed_out: Type.Optional(Nullable(Type.Boolean())),
  },
  open,
);

const TaskUpdateItem = Type.Object(
  {
    ...clientVersion,
    replace_fields: Type.Optional(Type.Array(Type.String())),
    task_id: Type.Optional(Type.String()),
    _id: Type.Optional(Type.String()),
    status: Type.Optional(Nullable(Type.String({ pattern: TASK_STATUS_PATTERN }))),
    task_name: Type.Optional(Nullable(Name)),
    heartbeat_timeout: Type.Optional(Nullable(Type.Number())),
    task_timeout: Type.Optional(Nullable(Type.Integer())),
    max_retries: Type.Optional(Nullable(Type.Integer())),
    retries: Type.Optional(Nullable(Type.Integer())),
    priority: Type.Optional(Nullable(Type.Integer())),
    metadata: Type.Optional(Nullable(Dict)),
    args: Type.Optional(Nullable(Dict)),
    cmd: Type.Optional(Nullable(Command)),
    summary: Type.Optional(Nullable(Dict)),
  },
  open,
);
export const TaskUpdateRequestList = Type.Array(TaskUpdateItem);

export const WorkerCreateRequest = Type.Object(
  {
    ...clientVersion,
    worker_name: Type.Optional(Nullable(Type.String())),
    metadata: Type.Optional(Nullable(Dict)),
    max_retries: Type.Optional(Nullable(Type.Integer({ default: 3 }))),
  },
  open,
);
export const WorkerStatusUpdateRequest = Type.Object({ ...clientVersion, status: Type.String({ pattern: WORKER_STATUS_PATTERN }) }, open);
/** A worker's telemetry sample (an extension): any JSON object, at most 4 KiB as JSON text. */
export const WorkerTelemetryRequest = Type.Object({ ...clientVersion, data: Dict }, open);

// Responses (for the OpenAPI document): the documents' schemas come from their tables in src/wire/v1.

const Notification = Nullable(Type.Array(Type.Object({ type: Type.String(), level: Type.String(), details: Type.Unknown() })));
export const Task = TaskSchema;
/** A worker, with the telemetry extension's key (only on a worker that has a sample: src/wire/v1/worker.ts). */
export const Worker = Type.Object({
  ...WorkerSchema.properties,
  telemetry: Type.Optional(Type.Object({ data: Dict, updated_at: DateTime }, { description: "the worker's latest telemetry sample (extension)" })),
});
export const QueueGetResponse = Type.Object({ notification: Notification, ...QueueSchema.properties });
export const IdResponse = (field: string) => Type.Object({ notification: Notification, [field]: Type.String() });
export const TaskLsResponse = Type.Object({ notification: Notification, found: Type.Boolean(), content: Type.Array(Task) });
export const WorkerLsResponse = Type.Object({ notification: Notification, found: Type.Boolean(), content: Type.Array(Worker) });
export const TaskCountResponse = Type.Object({
  notification: Notification,
  counts: Type.Object(Object.fromEntries(TASK_STATUSES.map((status) => [status, Type.Integer({ minimum: 0 })]))),
});
export const TaskFetchResponse = Type.Object({ notification: Notification, found: Type.Boolean(), task: Nullable(Task) });
export const ErrorResponse = Type.Object({ detail: Type.Union([Type.String(), Type.Array(Type.Unknown())]) });
/** When the timeout sweep last ran (by any replica), for an operator to alert on. */
export const SweepReport = Type.Object({
  last_run: Nullable(Type.String({ format: "date-time", description: "ISO 8601 with its time zone" })),
  seconds_ago: Nullable(Type.Number()),
  interval_seconds: Type.Number(),
  late: Type.Boolean({ description: "no sweep for more than 3 intervals: no replica is sweeping" }),
});
export const HealthFullResponse = Type.Object({
  status: Type.String({ pattern: "^(healthy|unhealthy)$" }),
  database: Type.String(),
  // Only with ?details=true (v1 answers the two fields above, and its client warns about any other): the sweep, and
  // what the server warns of about its Redis (an eviction policy that can delete tasks).
  sweep: Type.Optional(Nullable(SweepReport)),
  warnings: Type.Optional(Type.Array(Type.String())),
});

export type TaskSubmitBody = Static<typeof TaskSubmitRequest>;
export type TaskUpdateBody = Static<typeof TaskUpdateItem>;

/** Keys of args, metadata and summary, documented in OpenAPI descriptions. */
export const KEY_PATTERN_DESCRIPTION = `keys after flattening match ${DOTTED_KEY_PATTERN.source}`;
