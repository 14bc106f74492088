import type { TaskStatus } from "../core/model.js";

/**
 * The one place where Redis key names are spelled.
 *
 * Every key of a queue carries the queue id as its hash tag (`<prefix>:{<queue_id>}:...`), so a queue lives in
 * one Redis Cluster slot and each Lua script can touch all of its keys atomically. Scripts receive the keys they
 * know in advance in KEYS, plus the queue's root (`<prefix>:{<queue_id>}:`) from which they derive keys found in
 * the data (a task's worker, an expired task); `lua/includes/generated.lua` is generated from {@link QUEUE_KEY_SUFFIX}
 * so both languages spell keys the same way. The key table in docs/keys.md is checked against this file by a test.
 */

/** Key prefix used when none is configured. */
export const DEFAULT_KEY_PREFIX = "labtasker";

/**
 * Suffixes after a queue's root, with the Redis type and meaning of each key. A trailing `:` takes an id.
 * Generated into Lua as `K.<name>(root[, id])`.
 */
export const QUEUE_KEY_SUFFIX = {
  /** HASH: the queue record (name, password hash, timestamps, metadata, counters). */
  queue: "queue",
  /** HASH: one task (flat fields; args/metadata/summary/cmd as JSON text). */
  task: "task:",
  /** ZSET: tasks of one status; score -priority, member the task's order key (see `orderKey` in Lua). */
  status: "status:",
  /** ZSET: pending tasks whose top-level arg keys have one signature; same scores and members as status:pending. */
  signature: "pending-by-args:",
  /** SET: the signatures that have a pending index, so none is left behind when a queue is deleted. */
  signatures: "signatures",
  /** ZSET: running tasks that can expire; score the deadline in ms since the epoch, member the task id. */
  deadlines: "deadlines",
  /** HASH: one worker. */
  worker: "worker:",
  /** SET: ids of the tasks whose worker_id names this worker, so deleting the worker finds them without a scan. */
  workerTasks: "worker-tasks:",
  /** ZSET: workers by creation order; score the creation sequence number, member the worker id. */
  workers: "workers",
  /** STREAM: state transition events, capped; entry id `<sequence>-0`. */
  events: "events",
} as const;

export type QueueKeyName = keyof typeof QUEUE_KEY_SUFFIX;

/** Keys shared by all queues. They live outside any queue's slot, so no script mixes them with queue keys. */
export const GLOBAL_KEY_SUFFIX = {
  /** HASH: queue name -> queue id, the registry that makes names unique. */
  queueNames: "queue-names",
  /** STRING: when the timeout sweep last ran, in ms since the epoch (for v1's GET /api/v1/polling). */
  lastSweep: "last-sweep",
  /** STRING, with a TTL shorter than one sweep interval: the server replica that takes the current sweep tick. */
  sweepLease: "sweep-lease",
  /** STRING: since when the servers have seen this Redis keep its data; found missing, it means Redis lost data. */
  dataMarker: "data-marker",
} as const;

/** Builds every key name for one key prefix. */
export class KeyBuilder {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    if (!/^[^{}\s]+$/.test(prefix)) throw new RangeError(`key prefix must be non-empty without braces or spaces (got '${prefix}')`);
  }

  /** The root of one queue: every key of the queue starts with it and shares its hash slot. */
  root(queueId: string): string {
    return `${this.prefix}:{${queueId}}:`;
  }

  queue(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.queue;
  }
  task(queueId: string, taskId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.task + taskId;
  }
  status(queueId: string, status: TaskStatus): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.status + status;
  }
  signature(queueId: string, signature: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.signature + signature;
  }
  signatures(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.signatures;
  }
  deadlines(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.deadlines;
  }
  worker(queueId: string, workerId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.worker + workerId;
  }
  workerTasks(queueId: string, workerId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.workerTasks + workerId;
  }
  workers(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.workers;
  }
  events(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.events;
  }

  /** HASH name -> id of every queue. */
  queueNames(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.queueNames}`;
  }
  /** STRING ms of the last timeout sweep. */
  lastSweep(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.lastSweep}`;
  }
  /** STRING the replica id that holds the current sweep tick. */
  sweepLease(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.sweepLease}`;
  }
  /** STRING ISO time since when the data marker stands. */
  dataMarker(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.dataMarker}`;
  }
}
