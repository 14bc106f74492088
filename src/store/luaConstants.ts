/**
 * Constants shared by TypeScript and the Lua scripts; `lua/includes/generated.lua` is built from this file.
 */
export const LUA_CONSTANTS = {
  /**
   * Events kept per queue (approximate, `XADD MAXLEN ~`). SSE replay from Last-Event-ID reaches this far back;
   * at about 1 KB an event, 10,000 events cost about 10 MB per busy queue.
   */
  EVENT_STREAM_MAXLEN: 10_000,
  /** The summary key a timeout writes, as labtasker v1 writes it. */
  TIMEOUT_SUMMARY_KEY: "labtasker_error",
  TIMEOUT_SUMMARY_MESSAGE: "Either heartbeat or task execution timed out",
} as const;
