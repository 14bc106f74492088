/**
 * Converts between the Redis records the Lua scripts write (hashes, packed tasks) and the records of src/model.ts.
 * JSON fields are stored as the exact text received; see src/json.ts for why numbers keep their form.
 */
import { unpack } from "msgpackr";
import { parseJson, type JsonObject, type JsonValue } from "../json.js";
import type { Queue, QueueEvent, Task, TaskCommand, TaskStatus, Worker, WorkerStatus } from "../model.js";
import { dateFromMs, formatNaiveIso } from "../time.js";

/** A Redis hash as ioredis returns it, or a task's fields (see {@link unpackTask}). */
export type Hash = Record<string, string>;

/** A stored task: the scripts keep it as one STRING, a MessagePack map of field -> string (lua/includes/tasks.lua). */
export function unpackTask(packed: Buffer | null): Hash | null {
  return packed === null ? null : (unpack(packed) as Hash);
}

/** The datetime fields of v1's stored documents; events and filter views convert them from milliseconds. */
export const TASK_DATETIME_FIELDS = ["created_at", "start_time", "last_heartbeat", "last_modified"] as const;
export const WORKER_DATETIME_FIELDS = ["created_at", "last_modified"] as const;

function jsonObject(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  const value = parseJson(text);
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : {};
}

function optionalNumber(text: string | undefined): number | null {
  return text === undefined ? null : Number(text);
}

export function decodeTask(queueId: string, taskId: string, hash: Hash): Task {
  return {
    taskId,
    queueId,
    status: hash.status as TaskStatus,
    taskName: hash.task_name ?? null,
    createdAt: dateFromMs(hash.created_at)!,
    startTime: dateFromMs(hash.start_time),
    lastHeartbeat: dateFromMs(hash.last_heartbeat),
    lastModified: dateFromMs(hash.last_modified)!,
    heartbeatTimeout: optionalNumber(hash.heartbeat_timeout),
    taskTimeout: optionalNumber(hash.task_timeout),
    maxRetries: Number(hash.max_retries),
    retries: Number(hash.retries),
    priority: Number(hash.priority),
    metadata: jsonObject(hash.metadata),
    args: jsonObject(hash.args),
    cmd: hash.cmd === undefined ? null : (parseJson(hash.cmd) as TaskCommand),
    summary: jsonObject(hash.summary),
    workerId: hash.worker_id ?? null,
  };
}

/**
 * A task as labtasker v1 stores it in MongoDB, for evaluating filters and sort specs: snake_case keys, `_id` and the
 * `task_id` alias, Dates for datetimes, plain JavaScript numbers (parsed with JSON.parse: comparisons need no exact form).
 */
export function taskFilterView(queueId: string, taskId: string, hash: Hash): Record<string, unknown> {
  return {
    _id: taskId,
    task_id: taskId,
    queue_id: queueId,
    status: hash.status,
    task_name: hash.task_name ?? null,
    created_at: dateFromMs(hash.created_at),
    start_time: dateFromMs(hash.start_time),
    last_heartbeat: dateFromMs(hash.last_heartbeat),
    last_modified: dateFromMs(hash.last_modified),
    heartbeat_timeout: optionalNumber(hash.heartbeat_timeout),
    task_timeout: optionalNumber(hash.task_timeout),
    max_retries: Number(hash.max_retries),
    retries: Number(hash.retries),
    priority: Number(hash.priority),
    metadata: JSON.parse(hash.metadata ?? "{}") as unknown,
    args: JSON.parse(hash.args ?? "{}") as unknown,
    cmd: hash.cmd === undefined ? null : (JSON.parse(hash.cmd) as unknown),
    summary: JSON.parse(hash.summary ?? "{}") as unknown,
    worker_id: hash.worker_id ?? null,
  };
}

export function decodeWorker(queueId: string, workerId: string, hash: Hash): Worker {
  return {
    workerId,
    queueId,
    status: hash.status as WorkerStatus,
    workerName: hash.worker_name ?? null,
    metadata: jsonObject(hash.metadata),
    retries: Number(hash.retries),
    maxRetries: Number(hash.max_retries),
    createdAt: dateFromMs(hash.created_at)!,
    lastModified: dateFromMs(hash.last_modified)!,
  };
}

/** A worker as v1 stores it, for filters and sort specs (see {@link taskFilterView}). */
export function workerFilterView(queueId: string, workerId: string, hash: Hash): Record<string, unknown> {
  return {
    _id: workerId,
    worker_id: workerId,
    queue_id: queueId,
    status: hash.status,
    worker_name: hash.worker_name ?? null,
    metadata: JSON.parse(hash.metadata ?? "{}") as unknown,
    retries: Number(hash.retries),
    max_retries: Number(hash.max_retries),
    created_at: dateFromMs(hash.created_at),
    last_modified: dateFromMs(hash.last_modified),
  };
}

export function decodeQueue(queueId: string, hash: Hash): Queue {
  return {
    queueId,
    queueName: hash.queue_name!,
    createdAt: dateFromMs(hash.created_at)!,
    lastModified: dateFromMs(hash.last_modified)!,
    metadata: jsonObject(hash.metadata),
  };
}

/** The fields of one entry of a queue's event stream, as the Lua `appendEvent` writes them. */
export function decodeEvent(queueId: string, id: string, fields: string[]): QueueEvent {
  const entry: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
  const entityType = entry.entity_type === "worker" ? "worker" : "task";
  const data = parseJson(entry.data ?? "{}") as JsonObject;
  const datetimeFields = entityType === "task" ? TASK_DATETIME_FIELDS : WORKER_DATETIME_FIELDS;
  for (const field of datetimeFields) {
    const value: JsonValue | undefined = data[field];
    if (value !== null && value !== undefined) data[field] = formatNaiveIso(new Date(Number(value)));
  }
  return {
    sequence: Number(id.split("-")[0]),
    queueId,
    timestamp: new Date(Number(entry.time)),
    entityType,
    entityId: entry.entity_id ?? "",
    oldState: entry.old_state ?? "",
    newState: entry.new_state ?? "",
    entityData: data,
  };
}

/** A flat field/value reply (HGETALL shape) as a hash. */
export function hashFromPairs(pairs: ReadonlyArray<string | number>, start = 0): Hash {
  const hash: Hash = {};
  for (let i = start; i + 1 < pairs.length; i += 2) hash[String(pairs[i])] = String(pairs[i + 1]);
  return hash;
}
