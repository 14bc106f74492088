/**
 * Which tasks a listing or a count selects (contract 2.4): the explicit id, name and status, and the filter without
 * the keys those replace (as v1 overwrites them); and the evaluation of that query over the queue's records, read in
 * pipelined batches from the candidates' ids, so Redis never runs a scan. An evaluation over many tasks builds of each
 * only the document fields the filter and the caller read (src/store/taskScan.ts).
 */
import type { CountTasksOptions, DocumentPredicate, FilterInput } from "../core/api.js";
import { ValidationError } from "../core/errors.js";
import { TASK_STATUSES, type TaskStatus } from "../core/model.js";
import { taskFilterView, taskFilterViewOf, unpackTask, type Hash } from "../store/codecs.js";
import { storedTaskId, taskIdFromStored } from "../store/taskIds.js";
import { TASK_RECORD } from "../store/taskRecord.js";
import { indexedStoredIds, readPackedTasks, storedFieldsReader } from "../store/taskScan.js";
import type { BrokerContext } from "./context.js";
import { compilePredicate } from "./filterInput.js";

/** HMGETs of an evaluation sent ahead of the batch being evaluated. */
const READS_IN_FLIGHT = 4;

const STORED_FIELDS: ReadonlySet<string> = new Set(TASK_RECORD.map((field) => field.name));
/** Fields of a task's document that come from its key, not from its stored fields. */
const ID_FIELDS: ReadonlySet<string> = new Set(["_id", "task_id", "queue_id"]);

export interface TaskQuery {
  taskId: string | null;
  taskName: string | null;
  status: TaskStatus | null;
  predicate: DocumentPredicate | null;
  /** The top-level document fields the predicate reads (none without one); null when it may read any. */
  fields: ReadonlySet<string> | null;
  /** The query as text, to key what is cached of its evaluation by; null for a filter given as a function. */
  text: string | null;
}

/** Mongo query keys that the explicit id, name and status options replace, as v1 overwrites them (tasks and workers). */
export function withoutKeys(filter: FilterInput, keys: string[]): FilterInput {
  if (typeof filter !== "object" || filter === null || keys.length === 0) return filter;
  const copy = { ...filter };
  for (const key of keys) delete copy[key];
  return copy;
}

/** The query of a listing or count on `queueId`: the status checked, the filter compiled (a 400 when it does not). */
export function taskQuery(ctx: BrokerContext, queueId: string, options: CountTasksOptions): TaskQuery {
  const taskId = options.taskId || null;
  const taskName = options.taskName || null;
  const status = options.status || null;
  if (status !== null && !TASK_STATUSES.includes(status)) {
    throw new ValidationError([{ loc: ["body", "status"], msg: "String should match pattern '^(pending|running|success|failed|cancelled)$'", type: "string_pattern_mismatch", input: status }]);
  }
  const overridden = [taskId && "task_id", taskId && "_id", taskName && "task_name", status && "status"].filter(Boolean) as string[];
  const filter = options.extraFilter ?? null;
  const applied = filter === null ? null : withoutKeys(filter, overridden);
  const predicate = applied === null ? null : compilePredicate(ctx.filters, applied, "task");
  const fields = applied === null ? new Set<string>() : typeof applied === "function" ? null : (ctx.filters.fieldsOf?.(applied, "task") ?? null);
  const text = typeof filter === "function" ? null : JSON.stringify([queueId, taskId, taskName, status, filter]);
  return { taskId, taskName, status, predicate, fields, text };
}

/** Whether the query selects no more than a status (or nothing): then the status indexes alone answer it. */
export function selectsByStatusOnly(query: TaskQuery): boolean {
  return query.taskId === null && query.taskName === null && query.predicate === null;
}

/** The statuses whose indexes hold the query's candidates. */
export function candidateStatuses(query: TaskQuery): readonly TaskStatus[] {
  return query.status === null ? TASK_STATUSES : [query.status];
}

/** The filter view of a stored task (null when deleted) if the query selects it, else null. */
export async function selectedView(query: TaskQuery, queueId: string, taskId: string, hash: Hash | null): Promise<Record<string, unknown> | null> {
  if (hash === null) return null;
  if (query.status !== null && hash.status !== query.status) return null;
  if (query.taskName !== null && hash.task_name !== query.taskName) return null;
  const view = taskFilterView(queueId, taskId, hash);
  return query.predicate === null || (await query.predicate(view)) ? view : null;
}

/** What an evaluation hands on of each task it selects besides the id: fields of the stored task and of its document. */
export interface MatchFields {
  /** Stored fields (src/store/taskRecord.ts) the caller reads from the hash (the query's own are added). */
  stored?: readonly string[];
  /** Top-level v1 document fields the caller reads from the view (a sort's); the filter's are added. */
  document?: readonly string[];
}

/**
 * Calls `onMatch` for every task the query selects, in no particular order, with its stored id (text:
 * taskIdFromStored), and its stored fields and filter view, each holding at least what `want` names (every field when
 * the filter may read any).
 */
export async function forEachMatch(
  ctx: BrokerContext,
  queueId: string,
  query: TaskQuery,
  want: MatchFields,
  onMatch: (storedId: Buffer, hash: Hash, view: Record<string, unknown>) => void,
): Promise<void> {
  const { store, limits } = ctx;
  const storedIds =
    query.taskId !== null
      ? [storedTaskId(query.taskId)]
      : await indexedStoredIds(store, (await Promise.all(candidateStatuses(query).map((status) => store.statusIndexKeys(queueId, status)))).flat());
  const decode = matchDecoder(query, want);
  const { status, taskName, predicate } = query;
  await readPackedTasks(store, queueId, storedIds, { batch: limits.readBatch, inFlight: READS_IN_FLIGHT }, async (start, packed) => {
    for (let i = 0; i < packed.length; i++) {
      const hash = decode.hash(packed[i]!);
      if (hash === null) continue;
      if (status !== null && hash.status !== status) continue;
      if (taskName !== null && hash.task_name !== taskName) continue;
      const storedId = storedIds[start + i]!;
      const view = decode.view(queueId, storedId, hash);
      if (predicate !== null) {
        const selected = predicate(view);
        if (!(typeof selected === "boolean" ? selected : await selected)) continue;
      }
      onMatch(storedId, hash, view);
    }
  });
}

/** How an evaluation decodes each task: only the fields it needs, or all of them for a filter that may read any. */
function matchDecoder(query: TaskQuery, want: MatchFields) {
  if (query.fields === null) {
    return {
      hash: unpackTask,
      view: (queueId: string, storedId: Buffer, hash: Hash) => taskFilterView(queueId, taskIdFromStored(storedId), hash),
    };
  }
  const document = new Set([...query.fields, ...(want.document ?? [])]);
  // The view's fields come from the stored fields of the same names, its ids from the index. A name of neither (a
  // field the view derives from others, such as `depends_on`, or one no task has) reads every stored field.
  const derived = [...document].some((name) => !STORED_FIELDS.has(name) && !ID_FIELDS.has(name));
  const stored = [
    ...(derived ? STORED_FIELDS : document),
    ...(want.stored ?? []),
    ...(query.status === null ? [] : ["status"]),
    ...(query.taskName === null ? [] : ["task_name"]),
  ];
  const build = taskFilterViewOf(document);
  const needsId = document.has("_id") || document.has("task_id");
  return {
    hash: storedFieldsReader(stored),
    view: (queueId: string, storedId: Buffer, hash: Hash) => build(queueId, needsId ? taskIdFromStored(storedId) : "", hash),
  };
}
