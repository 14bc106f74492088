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
   * layout rather than misread it; docs/keys.md says how a queue is migrated.
   */
  STORE_LAYOUT: "2",
  /** The summary key a timeout writes, as labtasker v1 writes it. */
  TIMEOUT_SUMMARY_KEY: "labtasker_error",
  TIMEOUT_SUMMARY_MESSAGE: "Either heartbeat or task execution timed out",
} as const;
