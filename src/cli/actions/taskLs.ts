/** `task ls`: every matching task, page after page, as ids (-q), YAML, JSON lines or JSON; paged on a terminal. */
import type { Command } from "commander";
import type { Labtasker, LsTasksOptions } from "../../core/api.js";
import type { Task, TaskStatus } from "../../core/model.js";
import { withApi } from "../common/connect.js";
import { UsageError } from "../common/errors.js";
import { readStdinLines, stdinHasData } from "../common/input.js";
import { allPages, compileExtraFilter, pageSize, parseSorts, printListing } from "../common/listing.js";
import { taskRecord, type LsFormat } from "../common/output.js";
import { DEFAULT_TASK_ORDER, REQUEST_BATCH } from "../../core/defaults.js";

/** `task ls` without -S, as v1's CLI: highest priority first, then oldest change, then oldest. */
export const DEFAULT_TASK_SORT = DEFAULT_TASK_ORDER as Array<[string, 1 | -1]>;

export interface TaskTargetOptions {
  taskId?: string;
  taskName?: string;
  status?: TaskStatus;
  extraFilter?: string;
  verbose?: boolean;
}

/** The API's listing options for --id/--name/-s/-f (the filter compiled and checked first). */
export async function taskTarget(options: TaskTargetOptions): Promise<LsTasksOptions> {
  return {
    taskId: options.taskId ?? null,
    taskName: options.taskName ?? null,
    status: options.status ?? null,
    extraFilter: (await compileExtraFilter(options.extraFilter, "task", options.verbose)) ?? null,
  };
}

/** Piped task ids as a target: one id by `task_id`, several by `{"_id": {"$in": [...]}}` (as v1). */
export function idsTarget(ids: string[]): LsTasksOptions {
  return ids.length === 1 ? { taskId: ids[0]! } : { extraFilter: { _id: { $in: ids } } };
}

/** Every task matching `target`, page by page. */
export async function* listTasks(api: Labtasker, target: LsTasksOptions, limit: number, offset: number, sort?: LsTasksOptions["sort"]): AsyncGenerator<Task[]> {
  yield* allPages((page) => api.lsTasks({ ...target, ...page, sort: sort ?? null }), limit, offset);
}

interface LsOptions extends TaskTargetOptions {
  quiet?: boolean;
  ansi?: boolean;
  pager?: boolean;
  limit: number;
  offset: number;
  sort?: string[];
  fmt: LsFormat;
  pipedIn?: boolean;
}

export async function ls(command: Command): Promise<void> {
  const options = command.opts<LsOptions>();
  if (options.quiet && options.verbose) throw new UsageError("You can only specify one of the options --verbose and --quiet.");
  const sort = await parseSorts(options.sort ?? [], DEFAULT_TASK_SORT);
  let targets: LsTasksOptions[] = [await taskTarget(options)];
  if (options.pipedIn) {
    if (options.taskId || options.taskName || options.status || options.extraFilter) {
      throw new UsageError("Cannot use --task-id, --task-name, --status, or --extra-filter with piped input --piped-in enabled.");
    }
    const ids = stdinHasData() ? await readStdinLines() : [];
    if (ids.length === 0) return;
    // Chunks of 1,000 ids keep each filter small.
    targets = [];
    for (let start = 0; start < ids.length; start += REQUEST_BATCH) targets.push(idsTarget(ids.slice(start, start + REQUEST_BATCH)));
  }
  const limit = pageSize(options.limit);
  await withApi(command, async (api) => {
    const pages = (async function* () {
      for (const target of targets) yield* listTasks(api, target, limit, options.offset, sort);
    })();
    await printListing(pages, options, { id: (task: Task) => task.taskId, record: taskRecord });
  });
}
