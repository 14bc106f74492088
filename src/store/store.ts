/**
 * Redis access for the broker: one method per Lua script, plus the plain reads (records, index ranges, events).
 * Methods take already-validated values and return script replies or raw hashes; labtasker's meaning of them
 * lives in src/broker.
 */
import type { RedisConnection } from "./connection.js";
import { KeyBuilder } from "./keys.js";
import { ScriptRunner, type ScriptReply } from "./scripts.js";
import { ScriptCode } from "./scriptCodes.js";
import { unpackTask, type EventEntry, type Hash } from "./codecs.js";
import { TASK_FIELD_CODE, type StoredFieldName } from "./taskRecord.js";
import { newTaskIdArgument, storedTaskId, taskIdArgument, taskIdFromStored } from "./taskIds.js";
import { TASK_STATUSES, type TaskStatus } from "../core/model.js";

/** One task as submitTasks takes it; JSON fields are already serialized. */
export interface NewTaskRecord {
  taskId: string;
  taskName: string | null;
  argsJson: string;
  metadataJson: string;
  cmdJson: string;
  heartbeatTimeout: string | null;
  taskTimeout: string | null;
  maxRetries: number;
  priority: number;
  signature: string;
  /** The task model's extensions (docs/tasks.md); absent for a task without any, the usual case. */
  extensions?: NewTaskExtensions;
}

/** A submitted task's extensions, as lua/submitTasks-6.lua takes them (JSON fields already serialized). */
export interface NewTaskExtensions {
  /** Ids (text) of tasks of the queue or of earlier tasks of the batch. */
  dependsOn?: string[];
  envJson?: string;
  maxTimeouts?: number;
  /** The dedup identity, used whatever the queue's default. */
  identity?: string;
  /** The dedup identity, used only when the queue's metadata has `"dedup": true`. */
  defaultIdentity?: string;
  /** A client-chosen id's definition fingerprint. */
  creation?: string;
}

/** A task's extensions as the submit script's argument: "" for none. */
function extensionsArgument(extensions: NewTaskExtensions | undefined): string {
  if (extensions === undefined) return "";
  const { dependsOn, envJson, maxTimeouts, identity, defaultIdentity, creation } = extensions;
  // A dedup identity alone (a dedup sweep's every task) is "i" or "j" and the identity: no JSON to decode in Lua.
  const dependencies = dependsOn !== undefined && dependsOn.length > 0;
  if (!dependencies && envJson === undefined && maxTimeouts === undefined && creation === undefined) {
    if (identity !== undefined) return `i${identity}`;
    if (defaultIdentity !== undefined) return `j${defaultIdentity}`;
  }
  const argument: Record<string, unknown> = {};
  if (dependsOn !== undefined && dependsOn.length > 0) argument.d = dependsOn;
  if (envJson !== undefined) argument.e = envJson;
  if (maxTimeouts !== undefined) argument.m = maxTimeouts;
  if (identity !== undefined) argument.i = identity;
  if (defaultIdentity !== undefined) argument.j = defaultIdentity;
  if (creation !== undefined) argument.c = creation;
  return Object.keys(argument).length === 0 ? "" : JSON.stringify(argument);
}

/** The parts of a fetch that the claim scripts apply. */
export interface ClaimOptions {
  workerId: string | null;
  /** JSON spec of the required fields (see lua/includes/required.lua), or null for no constraint. */
  requiredSpec: string | null;
  startHeartbeat: boolean;
  heartbeatTimeout: string | null;
  taskTimeout: string | null;
  cmdJson: string;
  /** Overdue running tasks a fetch expires before claiming, at most. */
  expireLimit: number;
}

/**
 * A task's report as the report scripts take it. `summary` is "keep", top-level [key, JSON value] pairs to merge, or
 * a whole replacement computed against revision `rev` ("" replaces unconditionally).
 */
export interface ReportRecord {
  taskId: string;
  /** `timed_out`: a failure by reaching the deadline (lua/includes/timeouts.lua). */
  status: TaskStatus | "running" | "timed_out";
  /** The reporting worker; the report is refused unless it holds the task. Null for no check. */
  workerId: string | null;
  summary: "keep" | { merge: Array<[string, string]> } | { replace: string; rev: string };
}

/**
 * The reply of a script that hands back a task (fetch, claim, update): the status reply (code, then data, as
 * strings) and the task it claimed or wrote, if any. The task comes back packed, as stored, and is unpacked here.
 */
export interface TaskReply {
  reply: ScriptReply;
  task: { taskId: string; hash: Hash } | null;
}

/** One update of a batch: the fields to write (a null value removes the field), computed against revision `rev`. */
export interface TaskWrite {
  taskId: string;
  rev: string;
  fields: Record<string, string | null>;
}

/** The reply of a batch update: its status reply ({OK} or {QUEUE_NOT_FOUND}), and one reply per update, in order. */
export interface BatchUpdateReply {
  reply: ScriptReply;
  updates: TaskReply[];
}

/** Length of the fixed-width prefix of an order key (lua/includes/order.lua) before the task id. */
export const ORDER_PREFIX_LENGTH = 11;

/**
 * The task id inside a member of a status or pending index, as {@link RedisStore.rangeIndex} gives members: binary
 * strings, one character a byte ("latin1"), so that comparing two members as strings compares their bytes.
 */
export function taskIdOfMember(member: string): string {
  return taskIdFromStored(Buffer.from(member.slice(ORDER_PREFIX_LENGTH), "latin1"));
}

/** The code of a stored task field (src/store/taskRecord.ts) that an update writes. */
function taskFieldCode(field: string): number {
  const code = TASK_FIELD_CODE[field as StoredFieldName] as number | undefined;
  if (code === undefined) throw new Error(`no stored task field ${field}`);
  return code;
}

const FIELDS_PER_SUBMITTED_TASK = 10;
/** With the extensions' argument (lua/submitTasks-6.lua). */
const FIELDS_PER_EXTENDED_TASK = 11;

export class RedisStore {
  readonly scripts: ScriptRunner;

  constructor(
    readonly redis: RedisConnection,
    readonly keys: KeyBuilder = new KeyBuilder(),
    options: { functions?: boolean } = {},
  ) {
    this.scripts = new ScriptRunner(redis, options);
  }

  // Queues

  claimQueueName(name: string, queueId: string): Promise<ScriptReply> {
    return this.scripts.run("claimQueueName", [this.keys.queueNames()], [name, queueId]);
  }

  releaseQueueName(name: string, queueId: string): Promise<ScriptReply> {
    return this.scripts.run("releaseQueueName", [this.keys.queueNames()], [name, queueId]);
  }

  createQueue(queueId: string, name: string, passwordHash: string, now: number, metadataJson: string): Promise<ScriptReply> {
    return this.scripts.run("createQueue", [this.keys.queue(queueId)], [name, passwordHash, now, metadataJson]);
  }

  updateQueue(queueId: string, now: number, expectedRev: string, fields: Record<string, string>): Promise<ScriptReply> {
    return this.scripts.run("updateQueue", [this.keys.queue(queueId)], [now, expectedRev, ...Object.entries(fields).flat()]);
  }

  dropQueue(queueId: string): Promise<ScriptReply> {
    return this.scripts.run("dropQueue", [this.keys.queue(queueId)], []);
  }

  purgeQueue(queueId: string, batch: number): Promise<ScriptReply> {
    const { keys } = this;
    return this.scripts.run(
      "purgeQueue",
      [
        keys.root(queueId),
        keys.workers(queueId),
        keys.signatures(queueId),
        keys.deadlines(queueId),
        keys.events(queueId),
        keys.tasks(queueId),
        ...keys.statuses(queueId),
        keys.observations(queueId),
        keys.observationExpiry(queueId),
      ],
      [batch],
    );
  }

  /**
   * Moves up to `batch` tasks of a queue of the earlier layout of keys into this version's (lua/migrateQueue-17.lua);
   * the reply's second element is 0 once the queue is in this layout.
   */
  migrateQueue(queueId: string, batch: number): Promise<ScriptReply> {
    const { keys } = this;
    return this.scripts.run(
      "migrateQueue",
      [
        keys.root(queueId),
        keys.queue(queueId),
        keys.events(queueId),
        keys.deadlines(queueId),
        keys.signatures(queueId),
        keys.tasks(queueId),
        keys.workers(queueId),
        ...TASK_STATUSES.map((status) => keys.layout1Status(queueId, status)),
        ...TASK_STATUSES.map((status) => keys.migrating(queueId, status)),
      ],
      [batch],
    );
  }

  async readQueue(queueId: string): Promise<Hash | null> {
    const hash = await this.redis.hgetall(this.keys.queue(queueId));
    return Object.keys(hash).length > 0 ? hash : null;
  }

  /**
   * The stored password hash of a queue and the layout of its keys ("1" for a queue of the layout before the field
   * existed), or null when the queue does not exist.
   */
  async queueCredentials(queueId: string): Promise<{ passwordHash: string; layout: string } | null> {
    const [passwordHash = null, layout = null] = await this.redis.hmget(this.keys.queue(queueId), "password", "layout");
    return passwordHash === null ? null : { passwordHash, layout: layout ?? "1" };
  }

  async queueIdByName(name: string): Promise<string | null> {
    return this.redis.hget(this.keys.queueNames(), name);
  }

  /** Every registered queue id (the registry holds one entry per queue). */
  async allQueueIds(): Promise<string[]> {
    return this.redis.hvals(this.keys.queueNames());
  }

  // Tasks

  /**
   * `undecided`: some task leaves dedup to the queue's default and comes without its identity (the script refuses
   * with DEDUP_DEFAULT when the queue's default is dedup).
   */
  submitTasks(queueId: string, now: number, tasks: readonly NewTaskRecord[], undecided = true): Promise<ScriptReply> {
    // A call without extensions sends the layout of before them: 10 values a task, none more.
    const extended = tasks.some((task) => task.extensions !== undefined);
    const fields = extended ? FIELDS_PER_EXTENDED_TASK : FIELDS_PER_SUBMITTED_TASK;
    // Written in place rather than pushed: a batch's thousands of values would grow the array some 20 times, each
    // growth a copy for the collector (a bulk submit's allocations are most of its collection time).
    const args = new Array<string | number>(4 + tasks.length * fields);
    args[0] = now;
    args[1] = tasks.length;
    args[2] = undecided ? "1" : "0";
    args[3] = fields;
    let at = 4;
    for (const task of tasks) {
      args[at] = newTaskIdArgument(task.taskId);
      args[at + 1] = task.taskName ?? "";
      args[at + 2] = task.argsJson;
      args[at + 3] = task.metadataJson;
      args[at + 4] = task.cmdJson;
      args[at + 5] = task.heartbeatTimeout ?? "";
      args[at + 6] = task.taskTimeout ?? "";
      args[at + 7] = task.maxRetries;
      args[at + 8] = task.priority;
      args[at + 9] = task.signature;
      if (extended) args[at + 10] = extensionsArgument(task.extensions);
      at += fields;
    }
    if (at !== args.length || args[args.length - 1] === undefined) throw new Error("submitTasks argument layout");
    return this.scripts.run("submitTasks", this.keys.taskWriteKeys(queueId), args);
  }

  /**
   * The indexes of a status's tasks, in no particular order: each ordered as labtasker orders tasks (score -priority,
   * then the member), to be merged by score and member; each task is in one of them. Running tasks have one index; a
   * finished status has its index and that of its archived tasks (labtasker v2); pending tasks are in the index of
   * their args' signature, one per signature the queue has had, or, with v2's features, in the routed or the waiting
   * set (docs/keys.md).
   */
  async statusIndexKeys(queueId: string, status: TaskStatus): Promise<string[]> {
    const { keys } = this;
    if (status === "pending") return [...(await this.pendingIndexKeys(queueId)), keys.routed(queueId), keys.waiting(queueId)];
    if (status === "running") return [keys.status(queueId, status)];
    return [keys.status(queueId, status), keys.archivedStatus(queueId, status)];
  }

  /** Every signature's pending index: the claim indexes of v1's fetches and of v2's route `default`. */
  async pendingIndexKeys(queueId: string): Promise<string[]> {
    const signatures = await this.redis.smembers(this.keys.signatures(queueId));
    return signatures.map((signature) => this.keys.signature(queueId, signature));
  }

  /** The indexes a fetch reads: the one of the args' signature it requires, or every signature's. */
  async candidateIndexKeys(queueId: string, signature: string | null): Promise<string[]> {
    return signature === null ? this.pendingIndexKeys(queueId) : [this.keys.signature(queueId, signature)];
  }

  /** How many tasks have a status: the sizes of its indexes. */
  async countTasks(queueId: string, status: TaskStatus): Promise<number> {
    return this.countIndexes(await this.statusIndexKeys(queueId, status));
  }

  /**
   * Fetches from the head of the pending index of `signature`, or of every signature's when null; `cursor` is ""
   * to start, or what the SCAN_MORE reply of the call before said.
   */
  fetchTask(queueId: string, now: number, signature: string | null, claim: ClaimOptions, cursor: string, limit: number): Promise<TaskReply> {
    return this.runReturningTask("fetchTask", this.fetchKeys(queueId, signature, claim), this.fetchArgs(now, claim, cursor, limit));
  }

  /** Reports `report`'s task, then fetches as fetchTask does, in one script call (nothing is fetched if the report fails). */
  reportAndFetch(
    queueId: string,
    now: number,
    signature: string | null,
    claim: ClaimOptions,
    cursor: string,
    limit: number,
    report: ReportRecord,
  ): Promise<TaskReply> {
    return this.runReturningTask(
      "reportAndFetch",
      this.fetchKeys(queueId, signature, claim),
      [...this.fetchArgs(now, claim, cursor, limit), ...this.reportArgs(report)],
    );
  }

  /** The pending index of the signature a fetch requires; the root (every signature's index) when none. */
  private fetchKeys(queueId: string, signature: string | null, claim: ClaimOptions): string[] {
    const candidates = signature === null ? this.keys.root(queueId) : this.keys.signature(queueId, signature);
    return [...this.keys.taskWriteKeys(queueId), ...this.workerKeys(queueId, claim.workerId), candidates];
  }

  /**
   * The keys after {@link KeyBuilder.taskWriteKeys} of a task-writing script whose caller may name a worker: the
   * worker's HASH and task SET; the root twice (left unused) when none is named.
   */
  private workerKeys(queueId: string, workerId: string | null): [string, string] {
    if (!workerId) {
      const root = this.keys.root(queueId);
      return [root, root];
    }
    return [this.keys.worker(queueId, workerId), this.keys.workerTasks(queueId, workerId)];
  }

  private fetchArgs(now: number, claim: ClaimOptions, cursor: string, limit: number): Array<string | number> {
    return [
      now,
      claim.workerId ?? "",
      claim.requiredSpec ?? "",
      cursor,
      limit,
      claim.expireLimit,
      claim.startHeartbeat ? "1" : "0",
      claim.heartbeatTimeout ?? "",
      claim.taskTimeout ?? "",
      claim.cmdJson,
    ];
  }

  private reportArgs({ taskId, status, workerId, summary }: ReportRecord): Array<string | number> {
    const args: Array<string | number> = [taskIdArgument(taskId), status, workerId ?? ""];
    if (summary === "keep") args.push("keep", "");
    else if ("merge" in summary) args.push("merge", "", ...summary.merge.flat());
    else args.push("replace", summary.rev, summary.replace);
    return args;
  }

  /** Claims one named task, or with `taskId` null runs only the fetch's checks. */
  claimTask(queueId: string, now: number, taskId: string | null, claim: ClaimOptions): Promise<TaskReply> {
    return this.runReturningTask(
      "claimTask",
      [...this.keys.taskWriteKeys(queueId), ...this.workerKeys(queueId, claim.workerId)],
      [
        now,
        taskId === null ? "" : taskIdArgument(taskId),
        claim.workerId ?? "",
        claim.requiredSpec ?? "",
        claim.expireLimit,
        claim.startHeartbeat ? "1" : "0",
        claim.heartbeatTimeout ?? "",
        claim.taskTimeout ?? "",
        claim.cmdJson,
      ],
    );
  }

  /** Runs a script that replies {OK, taskId, packed task} on success, and unpacks the task. */
  private async runReturningTask(
    name: "fetchTask" | "reportAndFetch" | "claimTask" | "updateTask",
    keys: string[],
    args: Array<string | number>,
  ): Promise<TaskReply> {
    const reply = await this.scripts.runBinary(name, keys, args);
    if (reply[0] === ScriptCode.OK && reply.length === 3) {
      const taskId = taskIdFromStored(reply[1] as Buffer);
      return { reply: [ScriptCode.OK, taskId], task: { taskId, hash: unpackTask(reply[2] as Buffer)! } };
    }
    return { reply: reply.map((item) => (Buffer.isBuffer(item) ? item.toString() : item)) as ScriptReply, task: null };
  }

  heartbeat(queueId: string, now: number, taskId: string, workerId: string | null): Promise<ScriptReply> {
    const keyList = [this.keys.tasks(queueId), this.keys.deadlines(queueId)];
    // The worker's key only when one is named: the script reads it only then.
    if (workerId) keyList.push(this.keys.worker(queueId, workerId));
    return this.scripts.run("heartbeat", keyList, [now, taskIdArgument(taskId), workerId ?? ""]);
  }

  /** Reports a task's outcome. */
  reportTask(queueId: string, now: number, report: ReportRecord): Promise<ScriptReply> {
    return this.scripts.run(
      "reportTask",
      [...this.keys.taskWriteKeys(queueId), ...this.workerKeys(queueId, report.workerId)],
      [now, ...this.reportArgs(report)],
    );
  }

  /** Writes fields computed against revision `rev`; a null value removes the field. */
  updateTask(
    queueId: string,
    now: number,
    taskId: string,
    rev: string,
    resetPending: boolean,
    fields: Record<string, string | null>,
  ): Promise<TaskReply> {
    const args: Array<string | number> = [now, taskIdArgument(taskId), rev, resetPending ? "1" : "0"];
    for (const [field, value] of Object.entries(fields)) args.push(taskFieldCode(field), value ?? "");
    // The pending index of the signature the update sets, if it sets one; the root (left unused) otherwise.
    const signatureKey = fields.sig ? this.keys.signature(queueId, fields.sig) : this.keys.root(queueId);
    return this.runReturningTask("updateTask", [...this.keys.taskWriteKeys(queueId), signatureKey], args);
  }

  /**
   * Writes a batch of updates, each computed against the revision it names, all of them or none; with `commit` false
   * only checks them. See lua/updateTasks-6.lua.
   */
  async updateTasks(queueId: string, now: number, resetPending: boolean, commit: boolean, writes: readonly TaskWrite[]): Promise<BatchUpdateReply> {
    const args: Array<string | number> = [now, resetPending ? "1" : "0", commit ? "1" : "0", writes.length];
    for (const { taskId, rev, fields } of writes) {
      const pairs = Object.entries(fields);
      args.push(taskIdArgument(taskId), rev, pairs.length);
      for (const [field, value] of pairs) args.push(taskFieldCode(field), value ?? "");
    }
    // The reply nests one reply per update: {OK, packed task} when written, else a status reply.
    const [code, ...items] = (await this.scripts.runBinary("updateTasks", this.keys.taskWriteKeys(queueId), args)) as unknown as [number, ...Array<[number, ...Array<Buffer | number>]>];
    if (code !== ScriptCode.OK) return { reply: [code], updates: [] };
    const updates = items.map((item, i): TaskReply => {
      const taskId = writes[i]!.taskId;
      if (item[0] === ScriptCode.OK && item.length === 2) return { reply: [ScriptCode.OK, taskId], task: { taskId, hash: unpackTask(item[1] as Buffer)! } };
      return { reply: item.map((part) => (Buffer.isBuffer(part) ? part.toString() : part)) as ScriptReply, task: null };
    });
    return { reply: [ScriptCode.OK], updates };
  }

  deleteTask(queueId: string, taskId: string): Promise<ScriptReply> {
    return this.scripts.run("deleteTask", this.keys.taskWriteKeys(queueId), [taskIdArgument(taskId)]);
  }

  /**
   * Deletes a batch of tasks (distinct ids) at once. Replies {OK, missing id, ...} with the ids that named no task,
   * or a refusal (the queue gone, or of another layout).
   */
  async deleteTasks(queueId: string, taskIds: readonly string[]): Promise<ScriptReply> {
    const [code, ...positions] = await this.scripts.run("deleteTasks", this.keys.taskWriteKeys(queueId), taskIds.map(taskIdArgument));
    if (code !== ScriptCode.OK) return [code, ...positions];
    return [code, ...positions.map((position) => taskIds[Number(position) - 1]!)];
  }

  expireTasks(queueId: string, now: number, limit: number): Promise<ScriptReply> {
    return this.scripts.run("expireTasks", this.keys.taskWriteKeys(queueId), [now, limit]);
  }

  async readTask(queueId: string, taskId: string): Promise<Hash | null> {
    return unpackTask(await this.readPackedTask(queueId, taskId));
  }

  /** A task as stored (see unpackTask), null when there is none. */
  readPackedTask(queueId: string, taskId: string): Promise<Buffer | null> {
    return this.redis.hgetBuffer(this.keys.tasks(queueId), storedTaskId(taskId));
  }

  /** Reads many tasks in one command; missing ones come back null. */
  async readTasks(queueId: string, taskIds: readonly string[]): Promise<Array<Hash | null>> {
    if (taskIds.length === 0) return [];
    const packed = await this.redis.hmgetBuffer(this.keys.tasks(queueId), ...taskIds.map(storedTaskId));
    return packed.map(unpackTask);
  }

  /**
   * Changes whenever any task of the queue changes: the event sequence (bumped by every transition) and the count of
   * task writes that write no event. Equal values mean no task changed in between.
   */
  async tasksRevision(queueId: string): Promise<string> {
    const [events, writes] = await this.redis.hmget(this.keys.queue(queueId), "event_seq", "tasks_rev");
    return `${events ?? 0}:${writes ?? 0}`;
  }

  /**
   * Members (order keys) of an index from `start` to `stop` inclusive, in index order: binary strings, one character
   * a byte, so that they compare as strings in index order (read their task ids with {@link taskIdOfMember}).
   */
  async rangeIndex(key: string, start: number, stop: number): Promise<string[]> {
    return (await this.redis.zrangeBuffer(key, start, stop)).map((member) => member.toString("latin1"));
  }

  /** Members (as {@link rangeIndex} gives them) with scores of an index, in index order. */
  async rangeIndexWithScores(key: string, start: number, stop: number): Promise<Array<[string, number]>> {
    const flat = await this.redis.zrangeBuffer(key, start, stop, "WITHSCORES");
    const out: Array<[string, number]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!.toString("latin1"), Number(flat[i + 1]!.toString())]);
    return out;
  }

  countIndex(key: string): Promise<number> {
    return this.redis.zcard(key);
  }

  /** Members in all of `keys`, in one round trip. */
  async countIndexes(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.zcard(key);
    const results = (await pipeline.exec()) ?? [];
    return results.reduce((sum, [error, count]) => {
      if (error) throw error;
      return sum + Number(count);
    }, 0);
  }

  /**
   * One page of the listing merged over `keys` (see lua/indexPage-0.lua): for each key, in `keys` order, its members
   * on the page with their scores, in its own order; interleaving them is the caller's.
   */
  async indexPage(keys: readonly string[], offset: number, limit: number): Promise<Array<Array<[member: Buffer, score: number]>>> {
    const [, ...flat] = await this.scripts.runBinary("indexPage", keys, [offset, limit]);
    const parts: Array<Array<[Buffer, number]>> = [];
    for (let i = 0; i < flat.length; ) {
      const count = Number(flat[i++]);
      const part: Array<[Buffer, number]> = [];
      for (let n = 0; n < count; n++, i += 2) part.push([flat[i] as Buffer, Number(String(flat[i + 1]))]);
      parts.push(part);
    }
    return parts;
  }

  // Workers

  createWorker(queueId: string, now: number, workerId: string, name: string | null, metadataJson: string, maxRetries: number): Promise<ScriptReply> {
    return this.scripts.run(
      "createWorker",
      [this.keys.queue(queueId), this.keys.events(queueId), this.keys.worker(queueId, workerId), this.keys.workers(queueId)],
      [now, workerId, name === null ? "0" : "1", name ?? "", metadataJson, maxRetries],
    );
  }

  reportWorker(queueId: string, now: number, workerId: string, status: "active" | "suspended"): Promise<ScriptReply> {
    return this.scripts.run(
      "reportWorker",
      [this.keys.queue(queueId), this.keys.events(queueId), this.keys.worker(queueId, workerId)],
      [now, workerId, status],
    );
  }

  /** Replaces a worker's telemetry (lua/setWorkerTelemetry-2.lua). */
  setWorkerTelemetry(queueId: string, now: number, workerId: string, telemetryJson: string): Promise<ScriptReply> {
    return this.scripts.run("setWorkerTelemetry", [this.keys.queue(queueId), this.keys.worker(queueId, workerId)], [now, telemetryJson]);
  }

  deleteWorker(queueId: string, now: number, workerId: string, cascadeUpdate: boolean): Promise<ScriptReply> {
    return this.scripts.run(
      "deleteWorker",
      [...this.keys.taskWriteKeys(queueId), ...this.workerKeys(queueId, workerId), this.keys.workers(queueId)],
      [now, workerId, cascadeUpdate ? "1" : "0"],
    );
  }

  async readWorker(queueId: string, workerId: string): Promise<Hash | null> {
    const hash = await this.redis.hgetall(this.keys.worker(queueId, workerId));
    return Object.keys(hash).length > 0 ? hash : null;
  }

  /** Every worker id of a queue, in creation order. */
  allWorkerIds(queueId: string): Promise<string[]> {
    return this.redis.zrange(this.keys.workers(queueId), 0, -1);
  }

  async readWorkers(queueId: string, workerIds: readonly string[]): Promise<Array<Hash | null>> {
    if (workerIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const workerId of workerIds) pipeline.hgetall(this.keys.worker(queueId, workerId));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, hash]) => {
      if (error) throw error;
      const record = hash as Hash;
      return Object.keys(record).length > 0 ? record : null;
    });
  }

  // Events

  /** Event entries after `afterSequence` (exclusive), oldest first, at most `count`. */
  async readEvents(queueId: string, afterSequence: number, count: number): Promise<EventEntry[]> {
    const entries = await this.redis.xrangeBuffer(this.keys.events(queueId), `(${afterSequence}-0`, "+", "COUNT", count);
    return entries.map(([id, fields]) => [id.toString(), fields]);
  }

  /** Event entries before `beforeSequence` (exclusive; `null`: the newest), newest first, at most `count`. */
  async readEventsBefore(queueId: string, beforeSequence: number | null, count: number): Promise<EventEntry[]> {
    const end = beforeSequence === null ? "+" : `(${beforeSequence}-0`;
    const entries = await this.redis.xrevrangeBuffer(this.keys.events(queueId), end, "-", "COUNT", count);
    return entries.map(([id, fields]) => [id.toString(), fields]);
  }

  /**
   * The key that signs dashboard sessions (hex), made from `candidate` by the first server that asks: `SET NX` then
   * `GET`, so replicas that race agree on the one that was set.
   */
  async dashboardSessionKey(candidate: string): Promise<string> {
    const key = this.keys.dashboardSessionKey();
    await this.redis.set(key, candidate, "NX");
    return (await this.redis.get(key)) ?? candidate;
  }

  /** The sequence number of the newest event of a queue, 0 when none was written. */
  async lastEventSequence(queueId: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.queue(queueId), "event_seq")) ?? 0);
  }
}
