/**
 * Which tasks a listing or a count selects (contract 2.4): the explicit id, name and status, and the filter without
 * the keys those replace (as v1 overwrites them); and the evaluation of that query over the queue's records, read in
 * pipelined batches from the candidates' ids, so Redis never runs a scan.
 */
import type { CountTasksOptions, DocumentPredicate, FilterInput } from "../core/api.js";
import { ValidationError } from "../core/errors.js";
import { TASK_STATUSES, type TaskStatus } from "../core/model.js";
import { taskFilterView, type Hash } from "../store/codecs.js";
import { taskIdOfMember } from "../store/store.js";
import type { BrokerContext } from "./context.js";
import { compilePredicate } from "./filterInput.js";

export interface TaskQuery {
  taskId: string | null;
  taskName: string | null;
  status: TaskStatus | null;
  predicate: DocumentPredicate | null;
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
  const predicate = filter === null ? null : compilePredicate(ctx.filters, withoutKeys(filter, overridden), "task");
  const text = typeof filter === "function" ? null : JSON.stringify([queueId, taskId, taskName, status, filter]);
  return { taskId, taskName, status, predicate, text };
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

/** Calls `onMatch` for every task the query selects, in no particular order. */
export async function forEachMatch(
  ctx: BrokerContext,
  queueId: string,
  query: TaskQuery,
  onMatch: (taskId: string, hash: Hash, view: Record<string, unknown>) => void,
): Promise<void> {
  const { store, limits } = ctx;
  let taskIds: string[];
  if (query.taskId !== null) {
    taskIds = [query.taskId];
  } else {
    const keys = (await Promise.all(candidateStatuses(query).map((status) => store.statusIndexKeys(queueId, status)))).flat();
    const members = await Promise.all(keys.map((key) => store.rangeIndex(key, 0, -1)));
    taskIds = members.flat().map(taskIdOfMember);
  }
  for (let start = 0; start < taskIds.length; start += limits.readBatch) {
    const ids = taskIds.slice(start, start + limits.readBatch);
    const hashes = await store.readTasks(queueId, ids);
    for (const [i, hash] of hashes.entries()) {
      const view = await selectedView(query, queueId, ids[i]!, hash);
      if (view !== null) onMatch(ids[i]!, hash!, view);
    }
  }
}
