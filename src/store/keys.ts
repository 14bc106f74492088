import { TASK_STATUSES, type TaskStatus } from "../core/model.js";

/** The statuses with an index of their own: pending tasks are indexed by signature instead. */
export type IndexedStatus = Exclude<TaskStatus, "pending">;
export const INDEXED_STATUSES = TASK_STATUSES.filter((status): status is IndexedStatus => status !== "pending");

/**
 * The one place where Redis key names are spelled.
 *
 * Every key of a queue carries the queue id as its hash tag (`<prefix>:{<queue_id>}:...`), so a queue lives in
 * one Redis Cluster slot and each Lua script can touch all of its keys atomically. Scripts receive in KEYS every key
 * whose name the caller can know; a script that must find keys from data it reads (a task id popped from an index,
 * the worker a task names) also receives the queue's root (`<prefix>:{<queue_id>}:`) and derives those, and only
 * those ({@link DERIVED_KEYS}), from it, as its header says. `lua/includes/generated.lua` is generated from this
 * file so both languages spell keys the same way. The key table in docs/keys.md is checked against this file by a
 * test.
 */

/** Key prefix used when none is configured. */
export const DEFAULT_KEY_PREFIX = "labtasker";

/** Suffixes after a queue's root, with the Redis type and meaning of each key. A trailing `:` takes an id. */
export const QUEUE_KEY_SUFFIX = {
  /** HASH: the queue record (name, password hash, timestamps, metadata, counters). */
  queue: "queue",
  /**
   * HASH: task id -> the task, packed as a MessagePack map of field code -> value (src/store/taskRecord.ts). One hash
   * for all the queue's tasks rather than a key each: a key costs its name (about 86 bytes) and Redis's object
   * header, where a hash field costs the id alone.
   */
  tasks: "tasks",
  /**
   * ZSET: tasks of one status other than pending; score -priority, member the task's order key (see `orderKey` in
   * Lua). Pending tasks are in the signatures' indexes only: a second index of all of them cost each ~150 bytes.
   */
  status: "status:",
  /**
   * ZSET: pending tasks whose top-level arg keys have one signature, scored and ordered as the status indexes; the
   * pending tasks of a queue are those of all its signatures' indexes.
   */
  signature: "pending-by-args:",
  /**
   * ZSET: archived tasks (labtasker v2 2.8) of one finished status, scored and ordered as the status indexes: an
   * archived task is in this index instead of its status's, so v2's default counts (which leave archived tasks out)
   * stay ZCARDs; v1, which sees every task, reads both.
   */
  archivedStatus: "archived:",
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
  /**
   * STRING, in a queue of the earlier layout only (docs/keys.md, "Layout versions"): one task, a MessagePack map of
   * field name -> string. The migration (lua/migrateQueue-*.lua) moves each into the HASH of tasks.
   */
  layout1Task: "task:",
  /** ZSET, while a queue is migrated only: a status index of the earlier layout, set aside until its tasks are moved. */
  migrating: "migrating:status:",
  /** HASH: one task's output log: the number of its attempts, its bytes kept, and each attempt's offsets and end. */
  taskLog: "task-log:",
  /** STRING: the bytes kept of one attempt's output (the last ones, see src/broker/logs.ts); id `<task_id>:<attempt>`. */
  taskLogData: "task-log-data:",
  /** ZSET: the tasks that have a log; score the last write (ms), so the per-queue cap evicts the stalest first. */
  taskLogs: "task-logs",
  /** STRING: the bytes kept by all the queue's task logs, for the per-queue cap. */
  taskLogBytes: "task-log-bytes",
  /** HASH: the queue's notification rules, rule id -> the rule as JSON (its secret sealed; see src/notify/secret.ts). */
  notifyRules: "notify-rules",
  /** HASH: the events a digest rule's open window holds, event sequence -> a short JSON description. */
  notifyDigest: "notify-digest:",
  /** STRING with a TTL of the rule's digest window: the window is open; holds the id of the job that closes it. */
  notifyWindow: "notify-window:",
  /** STRING: the sequence of the event after which the queue was last found done (no pending or running task). */
  notifyDone: "notify-done",
  /** LIST, capped: the last delivery attempts of the queue's rules, newest first, as JSON. */
  notifyDeliveries: "notify-deliveries",
  /**
   * ZSET: the claim index of one route other than `default` (labtasker v2): the pending tasks, released from their
   * dependencies, whose routes include it; scored and ordered as the status indexes. A task whose routes include
   * `default` is claimed through that route from its signature's index, as a v1 fetch claims it.
   */
  routeIndex: "pending-by-route:",
  /** SET: the routes that have a claim index, so none is left behind when a queue is deleted. */
  routes: "routes",
  /**
   * ZSET: the pending tasks, released from their dependencies, whose routes leave out `default`: where listings and
   * counts find them (each pending task is in exactly one of the signatures' indexes, this one and `waiting`).
   */
  routed: "pending-routed",
  /** ZSET: pending tasks with a dependency that has not succeeded; never claimed from here. Scored as the others. */
  waiting: "waiting",
  /**
   * HASH: task id (stored form) -> the ids (stored form) of the waiting tasks that depend on it, packed as a
   * MessagePack array; the success of the task releases those whose other dependencies have succeeded.
   */
  dependents: "dependents",
  /** HASH: run id -> task id (stored form), for each task whose latest run came from a v2 claim (a claim replay). */
  runs: "runs",
  /**
   * HASH: dedup identity (src/broker/identity.ts) -> the id (text) of the task submitted with it, for the tasks
   * submitted with dedup; deleting the task removes its entry.
   */
  identities: "identities",
  /** HASH: v2 worker observation id -> the observation as JSON (its own record: v2 workers are not v1 workers). */
  observations: "observations",
  /** ZSET: v2 worker observation id -> when it expires (ms), 300 s after its last report; pruned when read. */
  observationExpiry: "observation-expiry",
} as const;

export type QueueKeyName = keyof typeof QUEUE_KEY_SUFFIX;

/**
 * The keys a Lua script may build from the queue's root, as `K.<name>(root, id)` (generated into
 * lua/includes/generated.lua): those whose name depends on data the script reads, so the caller cannot name them in
 * advance. The worker, and its task set, that a stored task names; the pending index of a stored task's signature;
 * the status index a task leaves and the one it enters, which depend on its stored status (and, for a failure, its
 * retries); and, for the migration of a queue of the earlier layout, each task's key of that layout, whose id it reads
 * from an index. Every other key comes in KEYS; each script's header says which of these it derives, and why.
 *
 * The status indexes are the one case with another choice: there are only four, so a script could take all four
 * in KEYS, though a write touches one or two. Each key passed costs Redis about 1,600 instructions (parsed, copied
 * into Lua, freed), more than deriving it: five status indexes cost a fetch-and-report 2% more instructions in Redis
 * (valgrind callgrind, 8,200 on 398,600 per task) and, measured by the server's CPU time, 3-4% more.
 *
 * Task logs: an attempt's data key is numbered by the attempt the append script opens, and the per-queue cap evicts
 * the logs of tasks read from the `taskLogs` index, so both log keys are derived too.
 *
 * labtasker v2's indexes (the claim index of each route, the routed and waiting sets, the dependents and runs HASHes)
 * are touched only when the task a script reads has v2's features (routes other than `default`, dependencies, a v2
 * run). Every script that writes tasks may meet such a task, so passing them in KEYS would cost each v1 call its
 * parse (see above) for keys it almost never touches; they are derived instead. Those of them without an id (a key
 * of fixed name) are derived by `K.<name>(root)`.
 */
export const DERIVED_KEYS = [
  "status", "signature", "worker", "workerTasks", "layout1Task", "taskLog", "taskLogData",
  "archivedStatus", "routeIndex", "routes", "routed", "waiting", "dependents", "runs", "identities",
] as const satisfies readonly QueueKeyName[];

/**
 * The keys every script that writes tasks takes first, as KEYS[1..6], in this order: the root (not a key: the
 * prefix of the derived keys above, and the queue's hash tag), then each fixed key that the shared task code
 * (lua/includes/tasks.lua, events.lua) may touch. A script whose caller names a worker takes that worker's HASH and
 * task SET next. Lua reads them by position (generated constants, lua/includes/keys.lua); TypeScript builds them
 * with {@link KeyBuilder.taskWriteKeys}; both follow this list.
 */
export const TASK_WRITE_KEYS = ["root", "queue", "events", "deadlines", "signatures", "tasks"] as const;

/** What follows the root in each of {@link TASK_WRITE_KEYS}. */
const TASK_WRITE_SUFFIXES: readonly string[] = TASK_WRITE_KEYS.map((name) => (name === "root" ? "" : QUEUE_KEY_SUFFIX[name]));

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
  /** SET: the ids of the queues that have notification rules, whose event streams the servers read. */
  notifyQueues: "notify-queues",
  /** STRING: the public half of the servers' notification key (PEM), which seals the secrets of new rules. */
  notifyPublicKey: "notify-public-key",
  /** STRING: the servers' key (random bytes, hex) that signs dashboard session cookies; made by the first to need it. */
  dashboardSessionKey: "dashboard-session-key",
  /** The prefix of BullMQ's keys for deliveries: `<prefix>:notify:{deliveries}:...` (BullMQ spells the rest). */
  notifyJobs: "notify",
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
  tasks(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.tasks;
  }
  status(queueId: string, status: IndexedStatus): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.status + status;
  }
  /** The four status indexes, in {@link INDEXED_STATUSES} order. */
  statuses(queueId: string): string[] {
    return INDEXED_STATUSES.map((status) => this.status(queueId, status));
  }
  archivedStatus(queueId: string, status: IndexedStatus): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.archivedStatus + status;
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
  /** The index of a status in a queue of the earlier layout: every status had one, pending too. */
  layout1Status(queueId: string, status: TaskStatus): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.status + status;
  }
  /** Where the migration sets a status index of the earlier layout aside. */
  migrating(queueId: string, status: TaskStatus): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.migrating + status;
  }
  notifyRules(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.notifyRules;
  }
  notifyDigest(queueId: string, ruleId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.notifyDigest + ruleId;
  }
  notifyWindow(queueId: string, ruleId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.notifyWindow + ruleId;
  }
  notifyDone(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.notifyDone;
  }
  notifyDeliveries(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.notifyDeliveries;
  }
  taskLog(queueId: string, taskId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.taskLog + taskId;
  }
  taskLogData(queueId: string, taskId: string, attempt: number): string {
    return `${this.root(queueId)}${QUEUE_KEY_SUFFIX.taskLogData}${taskId}:${attempt}`;
  }
  taskLogs(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.taskLogs;
  }
  taskLogBytes(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.taskLogBytes;
  }

  routeIndex(queueId: string, route: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.routeIndex + route;
  }
  routes(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.routes;
  }
  routed(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.routed;
  }
  waiting(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.waiting;
  }
  dependents(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.dependents;
  }
  runs(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.runs;
  }
  identities(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.identities;
  }
  observations(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.observations;
  }
  observationExpiry(queueId: string): string {
    return this.root(queueId) + QUEUE_KEY_SUFFIX.observationExpiry;
  }

  /** KEYS[1..6] of every script that writes tasks: see {@link TASK_WRITE_KEYS}. */
  taskWriteKeys(queueId: string): string[] {
    const root = this.root(queueId);
    return TASK_WRITE_SUFFIXES.map((suffix) => root + suffix);
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
  /** SET of the queue ids that have notification rules. */
  notifyQueues(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.notifyQueues}`;
  }
  /** STRING the PEM public key that seals rule secrets. */
  notifyPublicKey(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.notifyPublicKey}`;
  }
  /** STRING the hex key that signs dashboard session cookies (src/http/dashboard/session.ts). */
  dashboardSessionKey(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.dashboardSessionKey}`;
  }
  /** The `prefix` option of BullMQ's queue and worker for deliveries. */
  notifyJobsPrefix(): string {
    return `${this.prefix}:${GLOBAL_KEY_SUFFIX.notifyJobs}`;
  }
}
