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
  // labtasker v2's fields (docs/compat.md, "One store, two views"): never in a v1 document. Absent on every task that
  // never met v2's features, so a v1 task is stored as before.
  /** The routes a v2 worker may claim the task through, as a JSON array of names in order; v1's tasks have `default`. */
  { name: "routes", type: "text", absent: '["default"]' },
  /** Claims charged: +1 on every claim (either protocol), -1 on a v2 unclaim; 0 again on requeue. */
  { name: "attempt", type: "integer", absent: "0" },
  /** 1 when archived (v2 2.8); only a finished task is. */
  { name: "archived", type: "integer", absent: "0" },
  /** Ids (text) of the tasks of the queue that must have succeeded before this one is claimed, as a JSON array. */
  { name: "dependencies", type: "text", absent: "[]" },
  /** 1 while the task is pending with a dependency that has not succeeded: it is in the waiting set, not claimable. */
  { name: "waiting", type: "integer", absent: "0" },
  /** The current run's latest progress report (JSON object text); reset by each claim. */
  { name: "progress", type: "text" },
  { name: "progress_updated_at", type: "integer" },
  { name: "progress_attempt", type: "integer" },
  /** The latest charged failure: JSON {type, message, traceback, occurred_at (ms), attempt, run_id}. */
  { name: "last_error", type: "text" },
  /** The route of the latest claim when it was not `default`; absent with a start_time: `default`, see src/broker/v2/view.ts. */
  { name: "last_route", type: "text" },
  /**
   * When the latest run ended (ms), stored only where it is not what its absence stands for: a finished task's
   * last_modified (lua/includes/tasks.lua writeTask); 0 for none.
   */
  { name: "finished_at", type: "integer" },
  /** The id of the v2 run that holds the task while it runs (a v1 run's is derived, not stored: lua/includes/lastError.lua). */
  { name: "run_id", type: "text" },
  /** When the current v2 run's lease expires (ms); present only while a v2 run holds the task. */
  { name: "lease", type: "integer" },
  /** The id of the latest v2 run that ended (kept through later runs, as v2 keeps it, for its late reports). */
  { name: "ended_run", type: "text" },
  /** How that run ended: complete, fail, unclaim, cancel or heartbeat_expired (v2's names, told in run_finalized). */
  { name: "run_end", type: "text" },
  /** A v2 create-by-id's fingerprint (base64url of the first 16 bytes of SHA-256), for an idempotent replay. */
  { name: "creation", type: "text" },
  /** 1 when waiting tasks may depend on this one (an entry in the queue's `dependents`): its success releases them. */
  { name: "depended", type: "integer", absent: "0" },
  // Extensions of the task model (docs/tasks.md): absent on a task that uses none, so a v1 task is stored as before.
  /** The per-task environment for the loop's command: JSON object text of string -> string. */
  { name: "env", type: "text" },
  /** Runs that may end by reaching their deadline and go back to pending without using a retry. */
  { name: "max_timeouts", type: "integer", absent: "0" },
  /** Timeouts charged so far against `max_timeouts`. */
  { name: "timeouts", type: "integer", absent: "0" },
  /** The id of the dependency whose final failure or cancellation cancelled this task. */
  { name: "blocked_by", type: "text" },
  /** The dedup identity the task is registered under in its queue's identity index, removed with the task. */
  { name: "identity", type: "text" },
] as const satisfies readonly StoredField[];

export type StoredFieldName = (typeof TASK_RECORD)[number]["name"];

/** Field name -> code. */
export const TASK_FIELD_CODE: Readonly<Record<StoredFieldName, number>> = Object.fromEntries(
  TASK_RECORD.map((field, i) => [field.name, i + 1]),
) as Record<StoredFieldName, number>;
