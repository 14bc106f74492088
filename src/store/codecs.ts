/**
 * Converts between the Redis records the Lua scripts write (hashes, packed tasks) and the records of src/core/model.ts.
 * JSON fields are stored as the exact text received; see src/json.ts for why numbers keep their form.
 */
import { unpack } from "msgpackr";
import { parseJson, type JsonObject, type JsonValue } from "../json.js";
import type { Queue, QueueEvent, Task, TaskCommand, TaskStatus, Worker, WorkerStatus } from "../core/model.js";
import { dateFromMs, formatNaiveIso } from "../time.js";

/** A Redis hash as ioredis returns it, or a task's fields (see {@link unpackTask}). */
export type Hash = Record<string, string>;

/** A stored task: the scripts keep it as one STRING, a MessagePack map of field -> string (lua/includes/tasks.lua). */
export function unpackTask(packed: Buffer | null): Hash | null {
  return packed === null ? null : (unpack(packed) as Hash);
}

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

/** One entry of a queue's event stream as read with the Buffer variants of XRANGE/XREAD: its id, its field list. */
export type EventEntry = [id: string, fields: Buffer[]];

/** A stored JSON text (a number or a document) as its value, null when absent. */
function rawJson(text: string | undefined): JsonValue {
  return text === undefined ? null : parseJson(text);
}

function naiveIso(ms: string | undefined): string | null {
  return ms === undefined ? null : formatNaiveIso(new Date(Number(ms)));
}

/**
 * The document labtasker v1 sends in a task event (its MongoDB record): every key present, nulls for absent fields,
 * numbers and JSON values exactly as stored, datetimes in v1's naive ISO form.
 */
function taskEventDocument(queueId: string, taskId: string, task: Hash): JsonObject {
  return {
    _id: taskId,
    queue_id: queueId,
    status: task.status ?? null,
    task_name: task.task_name ?? null,
    created_at: naiveIso(task.created_at),
    start_time: naiveIso(task.start_time),
    last_heartbeat: naiveIso(task.last_heartbeat),
    last_modified: naiveIso(task.last_modified),
    heartbeat_timeout: rawJson(task.heartbeat_timeout),
    task_timeout: rawJson(task.task_timeout),
    max_retries: rawJson(task.max_retries),
    retries: rawJson(task.retries),
    priority: rawJson(task.priority),
    metadata: rawJson(task.metadata),
    args: rawJson(task.args),
    cmd: rawJson(task.cmd),
    summary: rawJson(task.summary),
    worker_id: task.worker_id ?? null,
  };
}

/** The document labtasker v1 sends in a worker event (see {@link taskEventDocument}). */
function workerEventDocument(queueId: string, workerId: string, worker: Hash): JsonObject {
  return {
    _id: workerId,
    queue_id: queueId,
    status: worker.status ?? null,
    worker_name: worker.worker_name ?? null,
    metadata: rawJson(worker.metadata),
    retries: rawJson(worker.retries),
    max_retries: rawJson(worker.max_retries),
    created_at: naiveIso(worker.created_at),
    last_modified: naiveIso(worker.last_modified),
  };
}

/**
 * One entry of a queue's event stream, as the Lua `appendEvent` writes it: the transition's fields, and `record`, the
 * entity after it, packed (lua/includes/documents.lua); the document is built here, not in the script.
 */
export function decodeEvent(queueId: string, [id, fields]: EventEntry): QueueEvent {
  const entry: Record<string, string> = {};
  let record: Hash = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === "record") record = unpack(fields[i + 1]!) as Hash;
    else entry[name] = fields[i + 1]!.toString();
  }
  const entityType = entry.entity_type === "worker" ? "worker" : "task";
  const entityId = entry.entity_id ?? "";
  const data = entityType === "task" ? taskEventDocument(queueId, entityId, record) : workerEventDocument(queueId, entityId, record);
  return {
    sequence: Number(id.split("-")[0]),
    queueId,
    timestamp: new Date(Number(entry.time)),
    entityType,
    entityId,
    oldState: entry.old_state ?? "",
    newState: entry.new_state ?? "",
    entityData: data,
  };
}
