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
import type { TaskStatus } from "../core/model.js";

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
  status: TaskStatus | "running";
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
const ORDER_PREFIX_LENGTH = 24;

/** The task id inside a member of a status or pending index. */
export function taskIdOfMember(member: string): string {
  return member.slice(ORDER_PREFIX_LENGTH);
}

const FIELDS_PER_SUBMITTED_TASK = 10;

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
      [keys.root(queueId), keys.workers(queueId), keys.signatures(queueId), keys.deadlines(queueId), keys.events(queueId), ...keys.statuses(queueId)],
      [batch],
    );
  }

  async readQueue(queueId: string): Promise<Hash | null> {
    const hash = await this.redis.hgetall(this.keys.queue(queueId));
    return Object.keys(hash).length > 0 ? hash : null;
  }

  /** The stored password hash of a queue, or null when the queue does not exist. */
  queuePasswordHash(queueId: string): Promise<string | null> {
    return this.redis.hget(this.keys.queue(queueId), "password");
  }

  async queueIdByName(name: string): Promise<string | null> {
    return this.redis.hget(this.keys.queueNames(), name);
  }

  /** Every registered queue id (the registry holds one entry per queue). */
  async allQueueIds(): Promise<string[]> {
    return this.redis.hvals(this.keys.queueNames());
  }

  // Tasks

  submitTasks(queueId: string, now: number, tasks: readonly NewTaskRecord[]): Promise<ScriptReply> {
    const { keys } = this;
    const keyList = [keys.root(queueId), keys.queue(queueId), keys.events(queueId), keys.signatures(queueId), keys.status(queueId, "pending")];
    const args: Array<string | number> = [now, tasks.length];
    for (const task of tasks) {
      args.push(
        task.taskId,
        task.taskName ?? "",
        task.argsJson,
        task.metadataJson,
        task.cmdJson,
        task.heartbeatTimeout ?? "",
        task.taskTimeout ?? "",
        task.maxRetries,
        task.priority,
        task.signature,
      );
    }
    if (args.length !== 2 + tasks.length * FIELDS_PER_SUBMITTED_TASK) throw new Error("submitTasks argument layout");
    return this.scripts.run("submitTasks", keyList, args);
  }

  /** The pending index a fetch reads: by argument signature, or all pending tasks. */
  candidateIndex(queueId: string, signature: string | null): string {
    return signature === null ? this.keys.status(queueId, "pending") : this.keys.signature(queueId, signature);
  }

  fetchTask(queueId: string, now: number, signature: string | null, claim: ClaimOptions, offset: number, limit: number): Promise<TaskReply> {
    return this.runReturningTask("fetchTask", this.fetchKeys(queueId, signature, claim), this.fetchArgs(now, claim, offset, limit));
  }

  /** Reports `report`'s task, then fetches as fetchTask does, in one script call (nothing is fetched if the report fails). */
  reportAndFetch(
    queueId: string,
    now: number,
    signature: string | null,
    claim: ClaimOptions,
    offset: number,
    limit: number,
    report: ReportRecord,
  ): Promise<TaskReply> {
    return this.runReturningTask(
      "reportAndFetch",
      [...this.fetchKeys(queueId, signature, claim), this.keys.task(queueId, report.taskId)],
      [...this.fetchArgs(now, claim, offset, limit), ...this.reportArgs(report)],
    );
  }

  private fetchKeys(queueId: string, signature: string | null, claim: ClaimOptions): string[] {
    return [...this.keys.taskWriteKeys(queueId), ...this.workerKeys(queueId, claim.workerId), this.candidateIndex(queueId, signature)];
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

  private fetchArgs(now: number, claim: ClaimOptions, offset: number, limit: number): Array<string | number> {
    return [
      now,
      claim.workerId ?? "",
      claim.requiredSpec ?? "",
      offset,
      limit,
      claim.expireLimit,
      claim.startHeartbeat ? "1" : "0",
      claim.heartbeatTimeout ?? "",
      claim.taskTimeout ?? "",
      claim.cmdJson,
    ];
  }

  private reportArgs({ taskId, status, workerId, summary }: ReportRecord): Array<string | number> {
    const args: Array<string | number> = [taskId, status, workerId ?? ""];
    if (summary === "keep") args.push("keep", "");
    else if ("merge" in summary) args.push("merge", "", ...summary.merge.flat());
    else args.push("replace", summary.rev, summary.replace);
    return args;
  }

  /** Claims one named task, or with `taskId` null runs only the fetch's checks. */
  claimTask(queueId: string, now: number, taskId: string | null, claim: ClaimOptions): Promise<TaskReply> {
    const taskKey = taskId ? this.keys.task(queueId, taskId) : this.keys.root(queueId);
    return this.runReturningTask(
      "claimTask",
      [...this.keys.taskWriteKeys(queueId), ...this.workerKeys(queueId, claim.workerId), taskKey],
      [
        now,
        taskId ?? "",
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
      const taskId = String(reply[1]);
      return { reply: [ScriptCode.OK, taskId], task: { taskId, hash: unpackTask(reply[2] as Buffer)! } };
    }
    return { reply: reply.map((item) => (Buffer.isBuffer(item) ? item.toString() : item)) as ScriptReply, task: null };
  }

  heartbeat(queueId: string, now: number, taskId: string, workerId: string | null): Promise<ScriptReply> {
    const keyList = [this.keys.task(queueId, taskId), this.keys.deadlines(queueId)];
    // The worker's key only when one is named: the script reads it only then.
    if (workerId) keyList.push(this.keys.worker(queueId, workerId));
    return this.scripts.run("heartbeat", keyList, [now, taskId, workerId ?? ""]);
  }

  /** Reports a task's outcome. */
  reportTask(queueId: string, now: number, report: ReportRecord): Promise<ScriptReply> {
    return this.scripts.run(
      "reportTask",
      [...this.keys.taskWriteKeys(queueId), ...this.workerKeys(queueId, report.workerId), this.keys.task(queueId, report.taskId)],
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
    const args: Array<string | number> = [now, taskId, rev, resetPending ? "1" : "0"];
    for (const [field, value] of Object.entries(fields)) args.push(field, value ?? "");
    // The pending index of the signature the update sets, if it sets one; the root (left unused) otherwise.
    const signatureKey = fields.sig ? this.keys.signature(queueId, fields.sig) : this.keys.root(queueId);
    return this.runReturningTask("updateTask", [...this.keys.taskWriteKeys(queueId), this.keys.task(queueId, taskId), signatureKey], args);
  }

  /**
   * Writes a batch of updates, each computed against the revision it names, all of them or none; with `commit` false
   * only checks them. See lua/updateTasks-5.lua.
   */
  async updateTasks(queueId: string, now: number, resetPending: boolean, commit: boolean, writes: readonly TaskWrite[]): Promise<BatchUpdateReply> {
    const args: Array<string | number> = [now, resetPending ? "1" : "0", commit ? "1" : "0", writes.length];
    for (const { taskId, rev, fields } of writes) {
      const pairs = Object.entries(fields);
      args.push(taskId, rev, pairs.length);
      for (const [field, value] of pairs) args.push(field, value ?? "");
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
    return this.scripts.run("deleteTask", [...this.keys.taskWriteKeys(queueId), this.keys.task(queueId, taskId)], [taskId]);
  }

  /** Deletes a batch of tasks (distinct ids) at once; returns the ids that named no task. */
  async deleteTasks(queueId: string, taskIds: readonly string[]): Promise<string[]> {
    const [, ...missing] = await this.scripts.run("deleteTasks", this.keys.taskWriteKeys(queueId), taskIds);
    return missing.map(String);
  }

  expireTasks(queueId: string, now: number, limit: number): Promise<ScriptReply> {
    return this.scripts.run("expireTasks", this.keys.taskWriteKeys(queueId), [now, limit]);
  }

  async readTask(queueId: string, taskId: string): Promise<Hash | null> {
    return unpackTask(await this.redis.getBuffer(this.keys.task(queueId, taskId)));
  }

  /** Reads many tasks in one round trip; missing ones come back null. */
  async readTasks(queueId: string, taskIds: readonly string[]): Promise<Array<Hash | null>> {
    if (taskIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const taskId of taskIds) pipeline.getBuffer(this.keys.task(queueId, taskId));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, packed]) => {
      if (error) throw error;
      return unpackTask(packed as Buffer | null);
    });
  }

  /**
   * Changes whenever any task of the queue changes: the event sequence (bumped by every transition) and the count of
   * task writes that write no event. Equal values mean no task changed in between.
   */
  async tasksRevision(queueId: string): Promise<string> {
    const [events, writes] = await this.redis.hmget(this.keys.queue(queueId), "event_seq", "tasks_rev");
    return `${events ?? 0}:${writes ?? 0}`;
  }

  /** Members (order keys) of an index from `start` to `stop` inclusive, in index order. */
  rangeIndex(key: string, start: number, stop: number): Promise<string[]> {
    return this.redis.zrange(key, start, stop);
  }

  /** Members with scores of an index, in index order. */
  async rangeIndexWithScores(key: string, start: number, stop: number): Promise<Array<[string, number]>> {
    const flat = await this.redis.zrange(key, start, stop, "WITHSCORES");
    const out: Array<[string, number]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
    return out;
  }

  countIndex(key: string): Promise<number> {
    return this.redis.zcard(key);
  }

  /**
   * The index keys whose union holds the tasks of one status, each task in one of them, ordered alike (score
   * -priority, member its order key): the one place that knows how a status is indexed, for listings and counts.
   */
  async statusIndexKeys(queueId: string, status: TaskStatus): Promise<string[]> {
    return [this.keys.status(queueId, status)];
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

  /** The sequence number of the newest event of a queue, 0 when none was written. */
  async lastEventSequence(queueId: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.queue(queueId), "event_seq")) ?? 0);
  }
}
