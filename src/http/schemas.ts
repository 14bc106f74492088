/**
 * labtasker v1's request and response bodies as JSON Schemas (TypeBox): the single source for request validation
 * (src/http/validate.ts) and for the OpenAPI document (src/http/openapi.ts). Field names, defaults and constraints
 * are v1's (contract 2.3); `extra` keys are allowed and ignored, as v1's models ignore them.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { DOTTED_KEY_PATTERN, NAME_MAX_LENGTH, NAME_PATTERN, PASSWORD_MAX_LENGTH } from "../core/validation.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Name = Type.String({ pattern: NAME_PATTERN.source, minLength: 1, maxLength: NAME_MAX_LENGTH });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const Dict = Type.Object({}, { additionalProperties: true });
const Command = Type.Union([Type.String(), Type.Array(Type.String())]);
const TASK_STATUS = "^(pending|running|success|failed|cancelled)$";
const WORKER_STATUS = "^(active|suspended|crashed)$";
const DateTime = Type.String({ format: "date-time", description: "naive ISO 8601 in UTC, e.g. 2025-02-23T11:41:41.908000" });

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
};
export const TaskSubmitRequest = Type.Object({ ...clientVersion, ...taskSubmitFields }, open);
/** Extension: many tasks in one request (`POST /api/v1/queues/me/tasks/batch`). */
export const TaskBatchSubmitRequest = Type.Object(
  { ...clientVersion, tasks: Type.Array(Type.Object(taskSubmitFields, open), { minItems: 1, maxItems: 100_000 }) },
  open,
);

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
    status: Type.Optional(Nullable(Type.String({ pattern: TASK_STATUS }))),
  },
  open,
);
export const WorkerLsRequest = Type.Object(
  {
    ...clientVersion,
    ...lsFields,
    worker_id: Type.Optional(Nullable(Type.String())),
    worker_name: Type.Optional(Nullable(Type.String())),
    status: Type.Optional(Nullable(Type.String({ pattern: WORKER_STATUS }))),
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
export const EXTENSIONS = ["batch-submit", "report-and-fetch", "event-replay", "jsonata-filters", "running-summary"] as const;

export const TaskStatusUpdateRequest = Type.Object(
  {
    ...clientVersion,
    // "running" is an extension: merge a summary into a task that keeps running.
    status: Type.String({ pattern: "^(success|failed|cancelled|running)$" }),
    worker_id: Type.Optional(Nullable(Type.String())),
    summary: Type.Optional(Nullable(Dict)),
  },
  open,
);

const TaskUpdateItem = Type.Object(
  {
    ...clientVersion,
    replace_fields: Type.Optional(Type.Array(Type.String())),
    task_id: Type.Optional(Type.String()),
    _id: Type.Optional(Type.String()),
    status: Type.Optional(Nullable(Type.String({ pattern: TASK_STATUS }))),
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
export const WorkerStatusUpdateRequest = Type.Object({ ...clientVersion, status: Type.String({ pattern: WORKER_STATUS }) }, open);

// Responses (for the OpenAPI document; the wire shapes are built in src/http/wire.ts).

const Notification = Nullable(Type.Array(Type.Object({ type: Type.String(), level: Type.String(), details: Type.Unknown() })));
export const Task = Type.Object({
  task_id: Type.String(),
  queue_id: Type.String(),
  status: Type.String({ pattern: TASK_STATUS }),
  task_name: Nullable(Type.String()),
  created_at: DateTime,
  start_time: Nullable(DateTime),
  last_heartbeat: Nullable(DateTime),
  last_modified: DateTime,
  heartbeat_timeout: Nullable(Type.Number()),
  task_timeout: Nullable(Type.Integer()),
  max_retries: Type.Integer(),
  retries: Type.Integer(),
  priority: Type.Integer(),
  metadata: Dict,
  args: Dict,
  cmd: Nullable(Command),
  summary: Dict,
  worker_id: Nullable(Type.String()),
});
export const Worker = Type.Object({
  worker_id: Type.String(),
  queue_id: Type.String(),
  status: Type.String({ pattern: WORKER_STATUS }),
  worker_name: Nullable(Type.String()),
  metadata: Dict,
  retries: Type.Integer(),
  max_retries: Type.Integer(),
  created_at: DateTime,
  last_modified: DateTime,
});
export const QueueGetResponse = Type.Object({
  notification: Notification,
  queue_id: Type.String(),
  queue_name: Type.String(),
  created_at: DateTime,
  last_modified: DateTime,
  metadata: Dict,
});
export const IdResponse = (field: string) => Type.Object({ notification: Notification, [field]: Type.String() });
export const TaskLsResponse = Type.Object({ notification: Notification, found: Type.Boolean(), content: Type.Array(Task) });
export const WorkerLsResponse = Type.Object({ notification: Notification, found: Type.Boolean(), content: Type.Array(Worker) });
export const TaskFetchResponse = Type.Object({ notification: Notification, found: Type.Boolean(), task: Nullable(Task) });
export const ErrorResponse = Type.Object({ detail: Type.Union([Type.String(), Type.Array(Type.Unknown())]) });
export const HealthFullResponse = Type.Object({
  status: Type.String({ pattern: "^(healthy|unhealthy)$" }),
  database: Type.String(),
  // Extensions (v1 answers the two fields above only): when the timeout sweep last ran, for an operator to alert on,
  // and what the server warns of about its Redis (an eviction policy that can delete tasks).
  sweep: Type.Optional(Type.Object({
    last_run: Nullable(Type.String({ format: "date-time", description: "ISO 8601 with its time zone" })),
    seconds_ago: Nullable(Type.Number()),
    interval_seconds: Type.Number(),
    late: Type.Boolean({ description: "no sweep for more than 3 intervals: no replica is sweeping" }),
  })),
  warnings: Type.Optional(Type.Array(Type.String())),
});

export type QueueCreateBody = Static<typeof QueueCreateRequest>;
export type QueueUpdateBody = Static<typeof QueueUpdateRequest>;
export type TaskSubmitBody = Static<typeof TaskSubmitRequest>;
export type TaskBatchSubmitBody = Static<typeof TaskBatchSubmitRequest>;
export type TaskLsBody = Static<typeof TaskLsRequest>;
export type WorkerLsBody = Static<typeof WorkerLsRequest>;
export type TaskFetchBody = Static<typeof TaskFetchRequest>;
export type TaskStatusUpdateBody = Static<typeof TaskStatusUpdateRequest>;
export type TaskUpdateBody = Static<typeof TaskUpdateItem>;
export type WorkerCreateBody = Static<typeof WorkerCreateRequest>;
export type WorkerStatusUpdateBody = Static<typeof WorkerStatusUpdateRequest>;

/** Keys of args, metadata and summary, documented in OpenAPI descriptions. */
export const KEY_PATTERN_DESCRIPTION = `keys after flattening match ${DOTTED_KEY_PATTERN.source}`;
