/**
 * Redis access for labtasker v2's operations (src/broker/v2/): one method per `lua/v2*.lua` script, plus the reads
 * they need beyond RedisStore's. Methods take already-validated values and return script replies (tasks unpacked);
 * v2's meaning of them lives in the broker.
 */
import { unpack } from "msgpackr";
import { unpackTask, type Hash } from "./codecs.js";
import { ScriptCode } from "./scriptCodes.js";
import type { ScriptReply } from "./scripts.js";
import type { RedisStore } from "./store.js";
import { TASK_FIELD_CODE, type StoredFieldName } from "./taskRecord.js";
import { newTaskIdArgument, taskIdArgument, taskIdFromStored } from "./taskIds.js";

/** A task as the v2 create script takes it; JSON fields are already serialized. */
export interface NewV2TaskRecord {
  taskId: string;
  /** The creation request's fingerprint (src/broker/v2/create.ts). */
  creation: string;
  name: string | null;
  argsJson: string;
  metadataJson: string;
  priority: number;
  maxRetries: number;
  /** JSON array text, null for `["default"]`. */
  routesJson: string | null;
  /** JSON array text, null for none. */
  dependenciesJson: string | null;
  signature: string;
}

/** A script reply with the task it wrote or read, unpacked (null when it refused). */
export interface V2TaskReply {
  reply: ScriptReply;
  hash: Hash | null;
}

/** A task of a bulk update: its id, the revision the broker read, and whether its fields change (it is written). */
export interface V2BulkTarget {
  taskId: string;
  rev: string;
  write: boolean;
}

/** A worker observation as stored: name -> string (JSON text for metadata and telemetry, ms for times). */
export type StoredObservation = Record<string, string>;

/** Field name (src/store/taskRecord.ts) -> new value pairs of an update, as the scripts take them; null removes. */
export type V2FieldChanges = Partial<Record<StoredFieldName, string | null>>;

function fieldArgs(changes: V2FieldChanges): Array<string | number> {
  const args: Array<string | number> = [];
  for (const [field, value] of Object.entries(changes)) args.push(TASK_FIELD_CODE[field as StoredFieldName], value ?? "");
  return args;
}

/** Bulk replies as strings, but for a packed task (a Buffer) at `packedAt`, unpacked. */
function withTask(reply: Array<Buffer | number>, packedAt: number): V2TaskReply {
  const code = reply[0] as number;
  if (code === ScriptCode.OK && reply.length > packedAt) {
    const packed = reply[packedAt] as Buffer;
    const rest = reply.slice(0, packedAt).map((item) => (Buffer.isBuffer(item) ? item.toString() : item));
    return { reply: rest as ScriptReply, hash: unpackTask(packed) };
  }
  return { reply: reply.map((item) => (Buffer.isBuffer(item) ? item.toString() : item)) as ScriptReply, hash: null };
}

export class V2Scripts {
  constructor(private readonly store: RedisStore) {}

  private get keys() {
    return this.store.keys;
  }

  private run(name: Parameters<RedisStore["scripts"]["run"]>[0], keys: string[], args: Array<string | number>) {
    return this.store.scripts.run(name, keys, args);
  }

  private runBinary(name: Parameters<RedisStore["scripts"]["run"]>[0], keys: string[], args: Array<string | number>) {
    return this.store.scripts.runBinary(name, keys, args) as Promise<Array<Buffer | number>>;
  }

  /** Creates a task under its id, or finds the same creation: {OK, 1 | 0} with the task. */
  async createTask(queueId: string, now: number, task: NewV2TaskRecord): Promise<V2TaskReply> {
    const reply = await this.runBinary("v2CreateTask", this.keys.taskWriteKeys(queueId), [
      now,
      newTaskIdArgument(task.taskId),
      task.creation,
      task.name ?? "",
      task.argsJson,
      task.metadataJson,
      task.priority,
      task.maxRetries,
      task.routesJson ?? "",
      task.dependenciesJson ?? "",
      task.signature,
    ]);
    return withTask(reply, 2);
  }

  /** Claims on a route for a run: {OK, taskId} with the task, {OK} for none, or a refusal. */
  async claimTask(queueId: string, now: number, route: string, runId: string, leaseMs: number, expireLimit: number): Promise<V2TaskReply & { taskId: string | null }> {
    const candidates = route === "default" ? this.keys.root(queueId) : this.keys.routeIndex(queueId, route);
    const reply = await this.runBinary("v2ClaimTask", [...this.keys.taskWriteKeys(queueId), candidates], [now, route, runId, leaseMs, expireLimit]);
    const result = withTask(reply, 2);
    return { ...result, taskId: result.hash === null ? null : taskIdFromStored(reply[1] as Buffer) };
  }

  heartbeat(queueId: string, now: number, taskId: string, runId: string, leaseMs: number): Promise<ScriptReply> {
    return this.run("v2Heartbeat", this.keys.taskWriteKeys(queueId), [now, taskIdArgument(taskId), runId, leaseMs]);
  }

  reportProgress(queueId: string, now: number, taskId: string, runId: string, progressJson: string): Promise<ScriptReply> {
    return this.run("v2Progress", this.keys.taskWriteKeys(queueId), [now, taskIdArgument(taskId), runId, progressJson]);
  }

  /**
   * Completes the run with its result (compact JSON). With `maxDataBytes`, a task that might hold more stored data
   * than that with the result is not completed: {CONFLICT}, for the caller to measure it exactly (lua/v2Complete-6.lua).
   */
  complete(queueId: string, now: number, taskId: string, runId: string, resultJson: string, maxDataBytes: number | null): Promise<ScriptReply> {
    return this.run("v2Complete", this.keys.taskWriteKeys(queueId), [now, taskIdArgument(taskId), runId, resultJson, maxDataBytes ?? ""]);
  }

  fail(queueId: string, now: number, taskId: string, runId: string, error: { type: string; message: string; traceback: string | null }): Promise<ScriptReply> {
    return this.run("v2Fail", this.keys.taskWriteKeys(queueId), [
      now, taskIdArgument(taskId), runId, error.type, error.message, error.traceback ?? "", error.traceback === null ? "0" : "1",
    ]);
  }

  unclaim(queueId: string, now: number, taskId: string, runId: string): Promise<ScriptReply> {
    return this.run("v2Unclaim", this.keys.taskWriteKeys(queueId), [now, taskIdArgument(taskId), runId]);
  }

  async cancelTask(queueId: string, now: number, taskId: string): Promise<V2TaskReply> {
    return withTask(await this.runBinary("v2CancelTask", this.keys.taskWriteKeys(queueId), [now, taskIdArgument(taskId)]), 1);
  }

  async requeueTask(queueId: string, now: number, taskId: string): Promise<V2TaskReply> {
    return withTask(await this.runBinary("v2RequeueTask", this.keys.taskWriteKeys(queueId), [now, taskIdArgument(taskId)]), 1);
  }

  async updateTask(queueId: string, now: number, taskId: string, changes: V2FieldChanges): Promise<V2TaskReply> {
    return withTask(await this.runBinary("v2UpdateTask", this.keys.taskWriteKeys(queueId), [now, taskIdArgument(taskId), ...fieldArgs(changes)]), 1);
  }

  /** Writes `changes` on the targets to write, all or none: {OK, written}, {CONFLICT}, or a refusal. */
  updateTasks(queueId: string, now: number, targets: readonly V2BulkTarget[], changes: V2FieldChanges): Promise<ScriptReply> {
    const args: Array<string | number> = [now, targets.length];
    for (const target of targets) args.push(taskIdArgument(target.taskId), target.rev, target.write ? "1" : "0");
    return this.run("v2UpdateTasks", this.keys.taskWriteKeys(queueId), [...args, ...fieldArgs(changes)]);
  }

  /** {OK, 1} when deleted, {OK, 0} when there was none, or a refusal. */
  deleteTask(queueId: string, taskId: string): Promise<ScriptReply> {
    return this.run("v2DeleteTask", this.keys.taskWriteKeys(queueId), [taskIdArgument(taskId)]);
  }

  /** Deletes the queue's record unless tasks run (or, without cascade, remain): {OK, name} or a refusal. */
  dropQueue(queueId: string, cascade: boolean): Promise<ScriptReply> {
    const { keys } = this;
    return this.run("v2DropQueue", [keys.queue(queueId), keys.status(queueId, "running"), keys.tasks(queueId)], [cascade ? "1" : "0"]);
  }

  private observationKeys(queueId: string): string[] {
    const { keys } = this;
    return [keys.queue(queueId), keys.observations(queueId), keys.observationExpiry(queueId)];
  }

  reportWorker(
    queueId: string,
    now: number,
    ttlMs: number,
    workerId: string,
    report: { route: string; status: string; taskId: string | null; metadataJson: string },
  ): Promise<ScriptReply> {
    return this.run("v2ReportWorker", this.observationKeys(queueId), [now, ttlMs, workerId, report.route, report.status, report.taskId ?? "", report.metadataJson]);
  }

  reportWorkerTelemetry(queueId: string, now: number, workerId: string, telemetryJson: string): Promise<ScriptReply> {
    return this.run("v2WorkerTelemetry", this.observationKeys(queueId), [now, workerId, telemetryJson]);
  }

  deleteWorker(queueId: string, now: number, workerId: string): Promise<ScriptReply> {
    return this.run("v2DeleteWorker", this.observationKeys(queueId), [now, workerId]);
  }

  /** The queue's observations that have not expired at `now` (the expired ones are dropped), or a refusal. */
  async readWorkers(queueId: string, now: number): Promise<{ reply: ScriptReply; observations: Array<[string, StoredObservation]> }> {
    const [code, ...flat] = await this.runBinary("v2ReadWorkers", this.observationKeys(queueId), [now]);
    if (code !== ScriptCode.OK) return { reply: [code as number, ...flat.map((item) => (Buffer.isBuffer(item) ? item.toString() : item))], observations: [] };
    const observations: Array<[string, StoredObservation]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) observations.push([flat[i]!.toString(), unpack(flat[i + 1] as Buffer) as StoredObservation]);
    return { reply: [ScriptCode.OK], observations };
  }
}
