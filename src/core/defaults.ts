/**
 * labtasker v1's defaults and limits, each spelled once: the broker, the HTTP layer, the clients, the CLI and the
 * loop read them here. No imports, so any layer (and the filter language) can.
 */

/** A task submitted without them: retried up to 3 times, at priority 10 (higher runs first). */
export const TASK_DEFAULTS = { maxRetries: 3, priority: 10 } as const;

/** A worker created without it: crashed (suspended) after 3 failed runs in all. */
export const WORKER_DEFAULTS = { maxRetries: 3 } as const;

/** A listing's page: v1's default `limit`, and the most one request may ask for. */
export const PAGE = { limit: 100, maxLimit: 1000 } as const;

/** The most tasks or ids a client puts in one request when it splits a large submit, update or listing. */
export const REQUEST_BATCH = 1000;

/** Seconds between a loop's heartbeats (v1's client.toml template); its timeout is 3 times that. */
export const HEARTBEAT_INTERVAL_SECONDS = 10;

/** Seconds between the server's timeout sweeps: an expired task is found within about 0.5 s (v1: 30 s). */
export const SWEEP_INTERVAL_SECONDS = 0.5;

/** labtasker's order of tasks: the highest priority first, then the least recently modified, then the oldest. */
export const DEFAULT_TASK_ORDER: ReadonlyArray<readonly [field: string, direction: 1 | -1]> = [
  ["priority", -1],
  ["last_modified", 1],
  ["created_at", 1],
];

/** The server's order of a listing whose request names none (v1's `query_collection`): the least recently modified first. */
export const DEFAULT_API_ORDER: ReadonlyArray<readonly [field: string, direction: 1 | -1]> = [["last_modified", 1]];
