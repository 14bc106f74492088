/**
 * Which tasks a v2 listing, count or bulk update selects: status, exact name, `name_fuzzy`, a v2 filter
 * (src/filter/v2), and archived tasks only when asked. The candidates come from the indexes of the statuses in
 * question (an archived task is in its status's archived index: left out unless asked, without reading it); each is
 * read and shown as v2's Task, which the name, fuzzy name and filter are evaluated on, in pipelined batches so
 * Redis never runs a scan.
 */
import { TASK_STATUSES, type TaskStatus } from "../../core/model.js";
import type { V2TaskSelection } from "../../core/v2/api.js";
import type { V2Task } from "../../core/v2/model.js";
import { compileNameFuzzy, compileV2TaskFilter } from "../../filter/v2/index.js";
import type { Hash } from "../../store/codecs.js";
import { taskIdOfMember } from "../../store/store.js";
import type { V2Context } from "./context.js";
import { v2Errors } from "./errors.js";
import { STORED_STATUS, v2TaskView } from "./view.js";

export interface CompiledSelection {
  statuses: readonly TaskStatus[];
  includeArchived: boolean;
  /** Null when the statuses alone select (then counts are the indexes' sizes). */
  test: ((task: V2Task) => boolean) | null;
}

/** Checks and compiles a selection (invalid_filter, filter_too_large as v2 answers them). */
export function compileSelection(selection: V2TaskSelection = {}): CompiledSelection {
  const tests: Array<(task: V2Task) => boolean> = [];
  const { name, nameFuzzy, filter } = selection;
  if (name != null) tests.push((task) => task.name === name);
  if (nameFuzzy != null && nameFuzzy.trim() !== "") {
    const matches = compileNameFuzzy(nameFuzzy);
    tests.push((task) => matches(task.name));
  }
  if (filter != null) {
    const compiled = v2Errors(() => compileV2TaskFilter(filter));
    tests.push((task) => compiled.test(task as unknown as Record<string, unknown>));
  }
  return {
    statuses: selection.status == null ? TASK_STATUSES : [STORED_STATUS[selection.status]],
    includeArchived: selection.includeArchived ?? false,
    test: tests.length === 0 ? null : tests.length === 1 ? tests[0]! : (task) => tests.every((test) => test(task)),
  };
}

/** The indexes holding the selection's candidates: each task in one of them. */
export async function candidateIndexes(v2: V2Context, queueId: string, selection: CompiledSelection): Promise<string[]> {
  const { store } = v2;
  const keys: string[] = [];
  for (const status of selection.statuses) {
    if (status === "pending" || status === "running") keys.push(...(await store.statusIndexKeys(queueId, status)));
    else {
      keys.push(store.keys.status(queueId, status));
      if (selection.includeArchived) keys.push(store.keys.archivedStatus(queueId, status));
    }
  }
  return keys;
}

/** How many tasks the selection matches, from the indexes' sizes when the statuses alone select. */
export async function countSelected(v2: V2Context, queue: string, queueId: string, selection: CompiledSelection): Promise<number> {
  if (selection.test === null) return v2.store.countIndexes(await candidateIndexes(v2, queueId, selection));
  let count = 0;
  await forEachSelected(v2, queue, queueId, selection, () => count++);
  return count;
}

/** Calls `onMatch` with every task the selection matches (as v2's Task, with its stored record), in no order. */
export async function forEachSelected(
  v2: V2Context,
  queue: string,
  queueId: string,
  selection: CompiledSelection,
  onMatch: (task: V2Task, hash: Hash) => void,
): Promise<void> {
  const { store } = v2;
  const members = await Promise.all((await candidateIndexes(v2, queueId, selection)).map((key) => store.rangeIndex(key, 0, -1)));
  const taskIds = members.flat().map(taskIdOfMember);
  const batch = v2.ctx.limits.readBatch;
  for (let start = 0; start < taskIds.length; start += batch) {
    const ids = taskIds.slice(start, start + batch);
    const hashes = await store.readTasks(queueId, ids);
    hashes.forEach((hash, i) => {
      if (hash === null) return; // deleted since the index was read
      const task = v2TaskView(queue, ids[i]!, hash);
      if (selection.test === null || selection.test(task)) onMatch(task, hash);
    });
  }
}
