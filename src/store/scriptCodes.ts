/**
 * Status codes the Lua scripts return as the first element of their reply. `lua/includes/generated.lua` defines the
 * same names as `E.<NAME>`; src/core/errors.ts turns each into a typed error.
 */
export const ScriptCode = {
  OK: 0,
  QUEUE_NOT_FOUND: 1,
  TASK_NOT_FOUND: 2,
  WORKER_NOT_FOUND: 3,
  /** Fetch by a worker that is not active; detail: the worker's status. */
  WORKER_NOT_ACTIVE: 4,
  /** Report by a worker that does not hold the task; detail: the holder's id or "". */
  WORKER_MISMATCH: 5,
  /** Detail: old state, new state ("" when the event itself is invalid, as fail() from pending). */
  INVALID_TRANSITION: 6,
  /** Heartbeat for a task that is missing or not running. */
  TASK_NOT_RUNNING: 7,
  /** The record changed since it was read (optimistic write); the caller reads again and retries. */
  CONFLICT: 8,
  /** Claim-by-id lost the race: the task is no longer pending or no longer matches. */
  NOT_CLAIMABLE: 9,
  /** Fetch scanned its limit of candidates without a match; detail: the offset to continue from. */
  SCAN_MORE: 10,
  QUEUE_EXISTS: 11,
  /** Heartbeat with a worker id that is missing or not active. */
  WORKER_NOT_ACTIVE_OR_MISSING: 12,
  /** Worker transition refused by the worker state machine; detail: old state, new state or "". */
  INVALID_WORKER_TRANSITION: 13,
  /** The queue's keys are in another layout than this version's (see STORE_LAYOUT); detail: its layout. */
  QUEUE_LAYOUT: 14,
  // labtasker v2's refusals (src/broker/v2/errors.ts turns each into a V2Error of the same name).
  /** A create-by-id whose definition differs from the stored task's. */
  TASK_ID_CONFLICT: 15,
  /** A v2 update or delete of a running task. */
  TASK_RUNNING: 16,
  /** Cancel or requeue from a status that does not allow it; detail: the status (v2's name). */
  TASK_STATE_CONFLICT: 17,
  /** An update v2 refuses; detail: the field, then what refused it (the status, or the attempt). */
  UPDATE_CONFLICT: 18,
  /** A report for a run that is not the task's current or latest one. */
  STALE_RUN: 19,
  /** A report contradicting how the task's latest run ended; detail: that ending (v2's action name). */
  RUN_FINALIZED: 20,
  /** A claim whose run id is already running in another queue or on another route. */
  RUN_ID_CONFLICT: 21,
  /** A v2 queue deletion without cascade of a queue with tasks; detail: how many. */
  QUEUE_NOT_EMPTY: 22,
  /** A v2 queue deletion while tasks run; detail: how many. */
  QUEUE_HAS_RUNNING_TASKS: 23,
  /** A worker observation reported on another route than its first report's. */
  WORKER_ROUTE_CONFLICT: 24,
  // The task model's extensions (docs/tasks.md).
  /** A submitted task depends on an id that names no task of the queue nor an earlier one of its batch; detail: its position, the id. */
  UNKNOWN_DEPENDENCY: 25,
  /** A submitted task depends on itself; detail: its position, its id. */
  SELF_DEPENDENCY: 26,
  /** A submit that left dedup to the queue's default came without identities, and the queue's default is dedup. */
  DEDUP_DEFAULT: 27,
} as const;

export type ScriptCodeName = keyof typeof ScriptCode;
export type ScriptCodeValue = (typeof ScriptCode)[ScriptCodeName];
