/**
 * Constants shared by TypeScript and the Lua scripts; `lua/includes/generated.lua` is built from this file.
 */
export const LUA_CONSTANTS = {
  /**
   * Events kept per queue (approximate, `XADD MAXLEN ~`). SSE replay from Last-Event-ID reaches this far back;
   * at about 1 KB an event, 10,000 events cost about 10 MB per busy queue.
   */
  EVENT_STREAM_MAXLEN: 10_000,
  /**
   * The layout of a queue's keys this version reads and writes, stored in the queue's record (`layout`); a queue
   * without it was written by a version before this field (a STRING key a task). Scripts refuse a queue of another
   * layout rather than misread it; docs/keys.md says how a queue is migrated. Layout 3 adds labtasker v2's task ids,
   * fields and indexes, which a server of layout 2 would misread.
   */
  STORE_LAYOUT: "3",
  /** The summary key a timeout writes, as labtasker v1 writes it. */
  TIMEOUT_SUMMARY_KEY: "labtasker_error",
  TIMEOUT_SUMMARY_MESSAGE: "Either heartbeat or task execution timed out",
  /**
   * The `last_error.type` of a run whose lease or v1 timeout expired (labtasker v2's name for it; its clients and the
   * web UI's examples filter on it), and the message of a v2 lease's expiry.
   */
  HEARTBEAT_TIMEOUT_TYPE: "HeartbeatTimeout",
  LEASE_EXPIRED_MESSAGE: "The run's lease expired: no heartbeat came in time.",
  /** The `last_error` of a failure reported by a labtasker v1 worker, which sends no type or message of its own. */
  V1_FAILURE_TYPE: "TaskFailed",
  V1_FAILURE_MESSAGE: "A labtasker v1 worker reported the task failed.",
} as const;
