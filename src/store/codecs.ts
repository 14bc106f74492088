/**
 * Converts between the Redis records the Lua scripts write (hashes, packed tasks) and the records of src/core/model.ts,
 * and builds from them the v1 documents that filters, sort specs and events see. The scripts store v1's field names,
 * so every one of these reads the field tables of src/wire/v1 (names, order, types) rather than spelling them again.
 * JSON fields are stored as the exact text received; see src/json.ts for why numbers keep their form.
 */
import { unpack } from "msgpackr";
import { TASK_RECORD } from "./taskRecord.js";
import { taskIdFromStored } from "./taskIds.js";
import { parseJson, type JsonObject, type JsonValue } from "../json.js";
import type { Queue, QueueEvent, Task, Worker } from "../core/model.js";
import { dateFromMs, formatNaiveIso } from "../time.js";
import { compileBuilder, QUEUE_FIELDS, TASK_FIELDS, WORKER_FIELDS, type Builder, type Convert, type Field, type FieldType } from "../wire/v1/index.js";

/** A Redis hash as ioredis returns it, or a task's fields by name (see {@link unpackTask}). */
export type Hash = Record<string, string>;

/** The stored task's fields by code - 1: their names, and what a missing one stands for. */
const STORED_NAMES: readonly string[] = TASK_RECORD.map((field) => field.name);
const STORED_ABSENT: ReadonlyArray<string | undefined> = TASK_RECORD.map((field) => ("absent" in field ? field.absent : undefined));

/**
 * A stored task as field name -> string, every field that has a value filled in: the scripts store a MessagePack map
 * of field code -> value, without the fields that hold what their absence stands for (src/store/taskRecord.ts).
 */
export function unpackTask(packed: Buffer | null): Hash | null {
  if (packed === null) return null;
  // Codes from 1 with none missing pack as an array (Lua's tables make no difference between the two).
  const stored = unpack(packed) as Record<number, string | number | null | undefined>;
  const offset = Array.isArray(stored) ? 1 : 0;
  const hash: Hash = {};
  for (let i = 0; i < STORED_NAMES.length; i++) {
    const value = stored[i + 1 - offset];
    if (value !== undefined && value !== null) hash[STORED_NAMES[i]!] = typeof value === "string" ? value : String(value);
    else if (STORED_ABSENT[i] !== undefined) hash[STORED_NAMES[i]!] = STORED_ABSENT[i]!;
  }
  hash.last_modified ??= hash.created_at!;
  return hash;
}

function jsonObject(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  const value = parseJson(text);
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : {};
}

function optionalNumber(text: string | undefined): number | null {
  return text === undefined ? null : Number(text);
}

/** A stored JSON text (a number or a document) as its value, null when absent. */
function rawJson(text: string | undefined): JsonValue {
  return text === undefined ? null : parseJson(text);
}

/** Stored ms since the epoch as v1's naive ISO datetime, null when absent. */
function naiveIso(ms: string | undefined): string | null {
  return ms === undefined ? null : formatNaiveIso(new Date(Number(ms)));
}

/** How a stored field (its string, undefined when unset) reads as each type of v1 field. */
type Reader = { readonly [T in FieldType]: Convert };

/** The ids are not in the stored fields: they come from the entity's Redis key, passed with the call. */
const ownId: Convert = (_text, _hash, id: string) => id;
const queueId: Convert = (_text, _hash, _id, queue: string) => queue;
const asStored: Convert = (text: string | undefined) => text;

/** For the records of src/core/model.ts: JSON fields with their numbers' exact form (src/json.ts). */
const RECORD: Reader = {
  key: ownId,
  id: queueId,
  text: asStored,
  "text?": (text: string | undefined) => text ?? null,
  taskStatus: asStored,
  workerStatus: asStored,
  time: dateFromMs,
  "time?": dateFromMs,
  int: Number,
  "int?": optionalNumber,
  "float?": optionalNumber,
  object: jsonObject,
  "command?": (text: string | undefined) => (text === undefined ? null : parseJson(text)),
};

/** For filters and sort specs: plain JavaScript numbers (JSON.parse), as comparisons need no exact form. */
const FILTER_VIEW: Reader = {
  ...RECORD,
  object: (text: string | undefined) => JSON.parse(text ?? "{}") as unknown,
  "command?": (text: string | undefined) => (text === undefined ? null : (JSON.parse(text) as unknown)),
};

/** For event documents: nulls for absent fields, numbers and JSON values exactly as stored, v1's datetimes. */
const EVENT_DOCUMENT: Reader = {
  ...RECORD,
  taskStatus: RECORD["text?"],
  workerStatus: RECORD["text?"],
  time: naiveIso,
  "time?": naiveIso,
  int: rawJson,
  "int?": rawJson,
  "float?": rawJson,
  object: rawJson,
  "command?": rawJson,
};

/**
 * A builder of one object from a stored entity (a task's packed fields, a worker's or queue's hash; the scripts store
 * v1's field names): each field under `nameOf(field)`, in the table's order, after `_id` when `withId`.
 */
function storedBuilder(fields: readonly Field[], reader: Reader, nameOf: (field: Field) => string, withId = false): Builder {
  const slots = fields.map((field) => ({ name: nameOf(field), from: field.name, convert: reader[field.type] }));
  return compileBuilder(withId ? [{ name: "_id", from: "_id", convert: ownId }, ...slots] : slots);
}

const recordKey = (field: Field) => field.key;
const documentName = (field: Field) => field.name;
/** v1's MongoDB record, as its events carry it: the own id as `_id` only. */
const mongoName = (field: Field) => (field.type === "key" ? "_id" : field.name);

const taskRecord = storedBuilder(TASK_FIELDS, RECORD, recordKey);
const workerRecord = storedBuilder(WORKER_FIELDS, RECORD, recordKey);
const queueRecord = storedBuilder(QUEUE_FIELDS, RECORD, recordKey);
const taskView = storedBuilder(TASK_FIELDS, FILTER_VIEW, documentName, true);
const workerView = storedBuilder(WORKER_FIELDS, FILTER_VIEW, documentName, true);
const taskEventDocument = storedBuilder(TASK_FIELDS, EVENT_DOCUMENT, mongoName);
const workerEventDocument = storedBuilder(WORKER_FIELDS, EVENT_DOCUMENT, mongoName);

export function decodeTask(queueId: string, taskId: string, hash: Hash): Task {
  const task = taskRecord(hash, taskId, queueId) as unknown as Task;
  // The task model's extensions (src/core/model.ts TaskExtensions), only those set: most tasks have none.
  if (hash.dependencies !== "[]" && hash.dependencies !== undefined) task.dependsOn = JSON.parse(hash.dependencies) as string[];
  if (hash.waiting === "1") task.waiting = true;
  if (hash.blocked_by !== undefined) task.blockedBy = hash.blocked_by;
  if (hash.env !== undefined) task.env = JSON.parse(hash.env) as Record<string, string>;
  if (hash.max_timeouts !== "0" && hash.max_timeouts !== undefined) task.maxTimeouts = Number(hash.max_timeouts);
  if (hash.timeouts !== "0" && hash.timeouts !== undefined) task.timeouts = Number(hash.timeouts);
  return task;
}

/**
 * A task as labtasker v1 stores it in MongoDB, for evaluating filters and sort specs: v1's keys, `_id` and the
 * `task_id` alias, Dates for datetimes, plain JavaScript numbers.
 */
export function taskFilterView(queueId: string, taskId: string, hash: Hash): Record<string, unknown> {
  return withViewExtensions(taskView(hash, taskId, queueId), hash, null);
}

/**
 * The view with the task model's extension fields that the task has (docs/tasks.md): filters see them whoever asks,
 * as our client's documents show them. `names`: only those among them (a partial view), null for all.
 */
function withViewExtensions(view: Record<string, unknown>, hash: Hash, names: ReadonlySet<string> | null): Record<string, unknown> {
  const wanted = (name: string) => names === null || names.has(name);
  if (hash.dependencies !== undefined && hash.dependencies !== "[]" && wanted("depends_on")) view.depends_on = JSON.parse(hash.dependencies) as unknown;
  if (hash.waiting === "1" && wanted("waiting")) view.waiting = true;
  if (hash.blocked_by !== undefined && wanted("blocked_by")) view.blocked_by = hash.blocked_by;
  if (hash.env !== undefined && wanted("env")) view.env = JSON.parse(hash.env) as unknown;
  if (hash.max_timeouts !== undefined && hash.max_timeouts !== "0" && wanted("max_timeouts")) view.max_timeouts = Number(hash.max_timeouts);
  if (hash.timeouts !== undefined && hash.timeouts !== "0" && wanted("timeouts")) view.timeouts = Number(hash.timeouts);
  return view;
}

/**
 * {@link taskFilterView} with only the fields `names` of the v1 document (`_id` among them if named), for a filter or
 * sort that reads no others: building every field of 100,000 tasks (dates, parsed JSON) costs more than the filter.
 */
export function taskFilterViewOf(names: ReadonlySet<string>): (queueId: string, taskId: string, hash: Hash) => Record<string, unknown> {
  const build = storedBuilder(TASK_FIELDS.filter((field) => names.has(field.name)), FILTER_VIEW, documentName, names.has("_id"));
  return (queueId, taskId, hash) => withViewExtensions(build(hash, taskId, queueId), hash, names);
}

export function decodeWorker(queueId: string, workerId: string, hash: Hash): Worker {
  const worker = workerRecord(hash, workerId, queueId) as unknown as Worker;
  // The telemetry extension's fields (lua/setWorkerTelemetry-2.lua), absent until a sample came.
  if (hash.telemetry !== undefined) worker.telemetry = { data: jsonObject(hash.telemetry), updatedAt: dateFromMs(hash.telemetry_at) ?? new Date(0) };
  return worker;
}

/** A worker as v1 stores it, for filters and sort specs (see {@link taskFilterView}). */
export function workerFilterView(queueId: string, workerId: string, hash: Hash): Record<string, unknown> {
  return workerView(hash, workerId, queueId);
}

export function decodeQueue(queueId: string, hash: Hash): Queue {
  return queueRecord(hash, queueId, queueId) as unknown as Queue;
}

/** One entry of a queue's event stream as read with the Buffer variants of XRANGE/XREAD: its id, its field list. */
export type EventEntry = [id: string, fields: Buffer[]];

/** An event without its entity's document: what a count over the stream needs, without unpacking each record. */
export type QueueEventHead = Omit<QueueEvent, "entityData" | "queueId">;

/** The transition fields of one stream entry ({@link decodeEvent} without the record). */
export function decodeEventHead([entryId, fields]: EventEntry): QueueEventHead {
  const entry: Record<string, Buffer> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name !== "record") entry[name] = fields[i + 1]!;
  }
  const text = (name: string) => entry[name]?.toString() ?? "";
  const entityType = text("entity_type") === "worker" ? "worker" : "task";
  const id = entry.entity_id ?? Buffer.alloc(0);
  return {
    sequence: Number(entryId.split("-")[0]),
    timestamp: new Date(Number(text("time"))),
    entityType,
    entityId: entityType === "task" ? taskIdFromStored(id) : id.toString(),
    oldState: text("old_state"),
    newState: text("new_state"),
  };
}

/**
 * One entry of a queue's event stream, as the Lua `appendEvent` writes it: the transition's fields, and `record`, the
 * entity after it, packed (a task as stored, a worker by lua/includes/documents.lua); the document is built here, not
 * in the script.
 */
export function decodeEvent(queueId: string, [entryId, fields]: EventEntry): QueueEvent {
  const entry: Record<string, Buffer> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]!.toString()] = fields[i + 1]!;
  const text = (name: string) => entry[name]?.toString() ?? "";
  const entityType = text("entity_type") === "worker" ? "worker" : "task";
  // A task's id is stored as its bytes (src/store/taskIds.ts), a worker's as text.
  const id = entry.entity_id ?? Buffer.alloc(0);
  const entityId = entityType === "task" ? taskIdFromStored(id) : id.toString();
  const packed = entry.record;
  const data = (entityType === "task"
    ? taskEventDocument(unpackTask(packed ?? null) ?? {}, entityId, queueId)
    : workerEventDocument(packed === undefined ? {} : (unpack(packed) as Hash), entityId, queueId)) as JsonObject;
  return {
    sequence: Number(entryId.split("-")[0]),
    queueId,
    timestamp: new Date(Number(text("time"))),
    entityType,
    entityId,
    oldState: text("old_state"),
    newState: text("new_state"),
    entityData: data,
  };
}
