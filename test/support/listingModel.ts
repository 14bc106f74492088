/**
 * A brute-force model of listings and counts, for checking the paging and counting paths against: a random queue
 * built through real transitions, every task read back one by one, and each listing computed here by filtering and
 * sorting the whole queue with comparators written for the test (MongoDB's order for the few types used).
 */
import type { Labtasker, SortSpec, TaskCounts } from "../../src/core/api.js";
import { LabtaskerError, TaskNotFoundError } from "../../src/core/errors.js";
import { TASK_STATUSES, type Task, type TaskStatus } from "../../src/core/model.js";
import type { Random } from "../filter/generators.js";
import type { ManualClock } from "./redis.js";

/** A task as the model holds it: the task, and its place in creation order (v1's ties keep insertion order). */
export interface ModelTask {
  task: Task;
  seq: number;
}

/** A filter as sent (a MongoDB query) and the same condition written directly over the task. */
export interface ModelFilter {
  mongo: Record<string, unknown> | null;
  test: (task: Task) => boolean;
}

export const MODEL_FILTERS: ModelFilter[] = [
  { mongo: null, test: () => true },
  { mongo: { "args.lr": { $gt: 0.5 } }, test: (t) => typeof t.args.lr === "number" && t.args.lr > 0.5 },
  { mongo: { "args.model": { $in: ["vit", "cnn"] } }, test: (t) => t.args.model === "vit" || t.args.model === "cnn" },
  { mongo: { $or: [{ priority: { $gte: 10 } }, { task_name: "a" }] }, test: (t) => t.priority >= 10 || t.taskName === "a" },
  { mongo: { retries: { $gte: 1 } }, test: (t) => t.retries >= 1 },
];

/** The index order: labtasker's, and the CLI's default. */
export const INDEX_ORDER: SortSpec = [["priority", -1], ["last_modified", 1], ["created_at", 1]];

const SORT_FIELDS = ["priority", "last_modified", "created_at", "task_name", "args.lr", "status", "retries"];

/** A random `-S` order: 1 to 3 of the fields above, each ascending or descending. */
export function randomSort(random: Random): SortSpec {
  const fields = [...SORT_FIELDS].sort(() => random.next() - 0.5).slice(0, 1 + random.int(3));
  return fields.map((field) => [field, random.chance(0.5) ? 1 : -1]);
}

function fieldValue(task: Task, field: string): number | string | null {
  switch (field) {
    case "priority":
      return task.priority;
    case "retries":
      return task.retries;
    case "last_modified":
      return task.lastModified.getTime();
    case "created_at":
      return task.createdAt.getTime();
    case "task_name":
      return task.taskName;
    case "status":
      return task.status;
    case "args.lr":
      return typeof task.args.lr === "number" ? task.args.lr : null;
    default:
      throw new Error(`no model for ${field}`);
  }
}

/** MongoDB's order: null (or missing) first, then numbers, then strings. */
function compareValues(a: number | string | null, b: number | string | null): number {
  const rank = (value: unknown) => (value === null ? 0 : typeof value === "number" ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a === null || b === null || a === b) return 0;
  return a < b ? -1 : 1;
}

/** The model's listing: tasks selected as the broker selects them, sorted (ties in creation order). */
export function modelList(
  tasks: readonly ModelTask[],
  query: { status?: TaskStatus | null; taskName?: string | null; filter?: ModelFilter; sort?: SortSpec | null },
): string[] {
  const sort = query.sort ?? [["last_modified", 1]];
  return tasks
    .filter(({ task }) => (!query.status || task.status === query.status) && (!query.taskName || task.taskName === query.taskName))
    .filter(({ task }) => (query.filter ?? MODEL_FILTERS[0]!).test(task))
    .sort((a, b) => {
      for (const [field, direction] of sort) {
        const order = compareValues(fieldValue(a.task, field), fieldValue(b.task, field));
        if (order !== 0) return order * direction;
      }
      return a.seq - b.seq;
    })
    .map(({ task }) => task.taskId);
}

/** The model's counts of the same selection. */
export function modelCounts(tasks: readonly ModelTask[], query: { status?: TaskStatus | null; filter?: ModelFilter }): TaskCounts {
  const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as TaskCounts;
  for (const id of modelList(tasks, query)) counts[tasks.find(({ task }) => task.taskId === id)!.task.status] += 1;
  return counts;
}

/** Every task of `ids` that still exists, read one by one. */
export async function readModel(api: Labtasker, ids: readonly string[]): Promise<ModelTask[]> {
  const tasks: ModelTask[] = [];
  for (const [seq, taskId] of ids.entries()) {
    try {
      tasks.push({ task: await api.getTask(taskId), seq });
    } catch (error) {
      if (!(error instanceof TaskNotFoundError)) throw error;
    }
  }
  return tasks;
}

/**
 * A queue of `size` tasks with random priorities, names and args, submitted at random times (some at the same
 * millisecond), then moved through random real transitions: fetched, reported (success, failure with retries,
 * cancelled), re-prioritized, re-queued and deleted. Returns the ids in creation order.
 */
export async function buildRandomQueue(api: Labtasker, clock: ManualClock, random: Random, size: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < size; i++) {
    const args: Record<string, unknown> = { i, model: random.pick(["vit", "cnn", "mlp"]) };
    if (random.chance(0.8)) args.lr = random.pick([0.001, 0.1, 0.5, 0.9, 1]);
    ids.push(await api.submitTask({ args: args as Task["args"], taskName: random.pick(["a", "b", null]), priority: random.pick([0, 5, 10, 10, 20]), maxRetries: 2 }));
    clock.advance(random.pick([0, 0, 1, 3]));
  }
  const running: string[] = [];
  for (let op = 0; op < size; op++) {
    clock.advance(random.pick([0, 1, 5]));
    const taskId = random.pick(ids);
    try {
      switch (random.int(6)) {
        case 0:
        case 1: {
          const task = await api.fetchTask();
          if (task) running.push(task.taskId);
          break;
        }
        case 2: {
          const held = running.splice(random.int(running.length), 1)[0];
          if (held) await api.reportTaskStatus(held, random.pick(["success", "failed", "failed", "cancelled"] as const));
          break;
        }
        case 3:
          await api.updateTasks([{ taskId, priority: random.pick([0, 5, 10, 20]) }]);
          break;
        case 4:
          await api.updateTasks([{ taskId }], { resetPending: true });
          break;
        default:
          if (random.chance(0.3)) await api.deleteTask(taskId);
      }
    } catch (error) {
      // A transition the task's state refuses (reported after a reset, a deleted task): as a user would meet it.
      if (!(error instanceof LabtaskerError)) throw error;
    }
  }
  return ids;
}
