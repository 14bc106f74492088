/**
 * Bodies of the dashboard's own routes (src/http/dashboard/routes.ts), as JSON Schemas: they validate requests and
 * describe the routes in the OpenAPI document, as src/http/schemas.ts does for v1's.
 */
import { Type } from "@sinclair/typebox";
import { SNAPSHOT_ID_PATTERN } from "../../core/api.js";
import { Dict, Nullable, TASK_STATUS_PATTERN, TaskSchema } from "../../wire/v1/schema.js";

const strict = { additionalProperties: false } as const;
const Status = Type.Optional(Nullable(Type.String({ pattern: TASK_STATUS_PATTERN })));
const Sort = Type.Optional(Nullable(Type.Array(Type.Tuple([Type.String({ minLength: 1, maxLength: 200 }), Type.Union([Type.Literal(1), Type.Literal(-1)])]), { maxItems: 8 })));

/** Sign-in: v1's credentials (the queue's name and password), or v2's (the server's token and a queue's name). */
const QueueName = Type.String({ minLength: 1, maxLength: 200 });
export const SignInRequest = Type.Union([
  Type.Object({ queue_name: QueueName, password: Type.String({ minLength: 1, maxLength: 1000 }) }, strict),
  Type.Object({ queue_name: QueueName, token: Type.String({ minLength: 1, maxLength: 1000, description: "the server's v2 token (serve --token): opens every queue" }) }, strict),
]);
export const SessionResponse = Type.Object({
  queue_id: Type.String(),
  queue_name: Type.String(),
  csrf_token: Type.String({ description: "send it back as the X-CSRF-Token header of every POST, PUT and DELETE" }),
  expires_at: Type.String({ description: "ISO 8601" }),
});

export const FilterRequest = Type.Object({ filter: Type.String({ maxLength: 20_000 }) }, strict);
export const FilterResponse = Type.Object({ extra_filter: Nullable(Dict) });
export const FilterErrorResponse = Type.Object({
  detail: Type.String(),
  filter_error: Type.Object({
    message: Type.String(),
    line: Nullable(Type.Integer()),
    column: Nullable(Type.Integer({ description: "1-based, in the text as sent" })),
    offset: Nullable(Type.Integer({ description: "0-based, in the text as sent" })),
    path: Nullable(Type.String({ description: "where in a Mongo document, when the filter was one" })),
  }),
});

const selection = { status: Status, extra_filter: Type.Optional(Nullable(Dict)) };

export const TaskPageRequest = Type.Object(
  {
    ...selection,
    sort: Sort,
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
    snapshot: Type.Optional(Nullable(Type.String({ pattern: SNAPSHOT_ID_PATTERN.source }))),
    scan: Type.Optional(
      Type.Boolean({
        description:
          "a filtered page in the queue's order: read the indexes from the top until the page is full, rather than evaluate every task; the total is then null unless the scan reached the end (ask POST .../tasks/count)",
      }),
    ),
  },
  strict,
);
export const TaskPageResponse = Type.Object({ total: Nullable(Type.Integer()), content: Type.Array(TaskSchema) });

export const POINTS_MAX = 50_000;
export const TaskPointsRequest = Type.Object(
  {
    ...selection,
    fields: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 16 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: POINTS_MAX, default: 10_000 })),
  },
  strict,
);
export const TaskPointsResponse = Type.Object({
  total: Type.Integer({ description: "tasks selected" }),
  fields: Type.Array(Type.String()),
  points: Type.Array(Type.Array(Type.Unknown()), { description: "[task_id, status, value of each field (null when missing)]" }),
  truncated: Type.Boolean(),
});

export const BULK_ACTIONS = ["requeue", "cancel", "delete", "priority"] as const;
export const BulkRequest = Type.Object(
  {
    action: Type.Union(BULK_ACTIONS.map((action) => Type.Literal(action))),
    task_ids: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 1000, description: "these tasks; or, without it, every task the selection matches" })),
    ...selection,
    priority: Type.Optional(Type.Integer()),
  },
  strict,
);
export const BulkResponse = Type.Object({
  matched: Type.Integer(),
  done: Type.Integer(),
  failures: Type.Array(Type.Tuple([Type.String(), Type.String()])),
});

export const TaskEventsResponse = Type.Object({ events: Type.Array(Dict), scanned: Type.Integer({ description: "stream entries read (the stream keeps about the last 10,000 events)" }) });

export const OverviewResponse = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer()),
  workers: Type.Object({ busy: Type.Integer(), idle: Type.Integer(), suspended: Type.Integer(), crashed: Type.Integer() }),
  event_sequence: Type.Integer(),
});

export const ThroughputResponse = Type.Object({
  minutes: Type.Array(Type.Object({ minute: Type.String(), success: Type.Integer(), failed: Type.Integer() })),
  covers_from: Nullable(Type.String({ description: "the oldest event the stream still holds: no count is known before it" })),
});
