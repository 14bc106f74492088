/**
 * How a task is stored: a MessagePack map from each field's code to its value, with no entry for a field that holds
 * the value it has when absent. Field names in every record cost about 95 bytes a task and the usual defaults about
 * 40; without them a pending task of a sweep is its args and a few numbers, and fits a 128-byte allocation.
 *
 * A field's code is its position in {@link TASK_RECORD}, from 1 (Lua's first index). scripts/build-lua.ts generates
 * the same codes for the Lua scripts (`T_STATUS`, ...), with the absent values (`TASK_ABSENT`) and the integer fields
 * (`TASK_INTEGERS`), so both languages read this one table. Codes are stored data: a field keeps its position for
 * good, and a new field goes last.
 */

/**
 * `integer`: stored as a MessagePack integer (times in ms since the epoch, counters); `text`: the string received
 * (JSON text for args, metadata, cmd and summary, so numbers keep their exact form).
 */
export type StoredType = "integer" | "text";

export interface StoredField {
  /** v1's field name (src/wire/v1/task.ts), or one of the store's own: `seq`, `sig`, `rev`. */
  readonly name: string;
  readonly type: StoredType;
  /** The value a missing entry stands for, as the text readers see; undefined for none (null, or always stored). */
  readonly absent?: string;
}

export const TASK_RECORD = [
  { name: "status", type: "text" },
  { name: "task_name", type: "text" },
  { name: "created_at", type: "integer" },
  { name: "start_time", type: "integer" },
  { name: "last_heartbeat", type: "integer" },
  /** Absent: `created_at` (a task never written since its submission), see {@link unpackTask}. */
  { name: "last_modified", type: "integer" },
  { name: "heartbeat_timeout", type: "text" },
  { name: "task_timeout", type: "integer" },
  { name: "max_retries", type: "integer", absent: "3" },
  { name: "retries", type: "integer", absent: "0" },
  { name: "priority", type: "integer" },
  { name: "metadata", type: "text", absent: "{}" },
  { name: "args", type: "text", absent: "{}" },
  /** v1 stores `""` for a task without a command. */
  { name: "cmd", type: "text", absent: '""' },
  { name: "summary", type: "text", absent: "{}" },
  { name: "worker_id", type: "text" },
  /** Creation order in the queue (the sequence number of the task's created event). */
  { name: "seq", type: "integer" },
  /** The signature of the top-level arg keys: which pending index holds the task. */
  { name: "sig", type: "text" },
  /** Writes since the submission, for optimistic updates. */
  { name: "rev", type: "integer", absent: "0" },
] as const satisfies readonly StoredField[];

export type StoredFieldName = (typeof TASK_RECORD)[number]["name"];

/** Field name -> code. */
export const TASK_FIELD_CODE: Readonly<Record<StoredFieldName, number>> = Object.fromEntries(
  TASK_RECORD.map((field, i) => [field.name, i + 1]),
) as Record<StoredFieldName, number>;
