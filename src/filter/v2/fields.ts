/**
 * The paths a v2 filter may name, and the type each fixed field is declared with (labtasker 2.8.0's
 * `labtasker_server/filtering.py`). Fixed fields are columns of the resource: always there, some nullable, and a
 * literal must have their type. Dynamic paths (`args.*`, `metadata.*`, ...) reach into JSON objects: any JSON value
 * may be there, or nothing. `last_error.<field>` is dynamic (the task may have no error) but declared, so its
 * literals are checked like a fixed field's.
 */

/** The declared type of a fixed field: what literal it accepts and how it compares. */
export type V2FieldType = "string" | "status" | "worker_status" | "boolean" | "number" | "timestamp";

export interface V2FieldSpec {
  readonly type: V2FieldType;
  /** Whether the field can be null (so `== None` is allowed, and `!=` also matches null). */
  readonly nullable: boolean;
}

const field = (type: V2FieldType, nullable = false): V2FieldSpec => ({ type, nullable });

/** The fixed fields of a v2 Task a filter can compare (`routes` is apart: membership only). */
export const V2_TASK_FIXED_FIELDS: Readonly<Record<string, V2FieldSpec>> = Object.freeze({
  id: field("string"),
  status: field("status"),
  archived: field("boolean"),
  name: field("string", true),
  priority: field("number"),
  attempt: field("number"),
  max_attempts: field("number"),
  last_route: field("string", true),
  created_at: field("timestamp"),
  updated_at: field("timestamp"),
  started_at: field("timestamp", true),
  finished_at: field("timestamp", true),
});

/** The fixed fields of a v2 worker observation. */
export const V2_WORKER_FIXED_FIELDS: Readonly<Record<string, V2FieldSpec>> = Object.freeze({
  id: field("string"),
  queue: field("string"),
  route: field("string"),
  status: field("worker_status"),
  task_id: field("string", true),
  telemetry_updated_at: field("timestamp", true),
  last_seen_at: field("timestamp"),
  expires_at: field("timestamp"),
});

/** The one field below `last_error` a filter can name, with its declared type. */
export const V2_LAST_ERROR_FIELDS: Readonly<Record<string, V2FieldSpec>> = Object.freeze({
  type: field("string"),
  message: field("string"),
  traceback: field("string", true),
  occurred_at: field("timestamp"),
  attempt: field("number"),
  run_id: field("string"),
});

/** Roots of dynamic paths (`args.lr`): JSON objects of the document, any depth below. */
export const V2_TASK_DYNAMIC_ROOTS: readonly string[] = Object.freeze(["args", "metadata", "result", "progress", "last_error"]);
export const V2_WORKER_DYNAMIC_ROOTS: readonly string[] = Object.freeze(["metadata", "telemetry"]);

/** v2's Task statuses, and the statuses of a worker observation. */
export const V2_TASK_STATUSES: readonly string[] = Object.freeze(["pending", "running", "succeeded", "failed", "cancelled"]);
export const V2_WORKER_STATUSES: readonly string[] = Object.freeze(["idle", "busy"]);

/** A segment below a dynamic root: an ASCII identifier (2.8.0 refuses `args.é` and has no indexes). */
export const V2_PATH_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The largest filter, in UTF-8 bytes (2.8.0's `MAX_FILTER_BYTES`). */
export const V2_MAX_FILTER_BYTES = 8192;

/** Literals are int64, as every integer v2 stores. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
