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
} as const;

export type ScriptCodeName = keyof typeof ScriptCode;
export type ScriptCodeValue = (typeof ScriptCode)[ScriptCodeName];
