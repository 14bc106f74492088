/** `task ls`: every matching task, page after page, as ids (-q), YAML, JSON lines or JSON; paged on a terminal. */
import type { Command } from "commander";
import type { LsTasksOptions, SortSpec } from "../../core/api.js";
import type { Task, TaskStatus } from "../../core/model.js";
import type { LabtaskerClient } from "../../sdk/client.js";
import { batches } from "../../core/batches.js";
import { withApi } from "../common/connect.js";
import { UsageError } from "../common/errors.js";
import { readStdinLines, stdinHasData } from "../common/input.js";
import { cliPaging, compileExtraFilter, parseSorts, printListing, refuseQuietWithVerbose, type LsFlags } from "../common/listing.js";
import { taskRecord } from "../common/output.js";
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

/** Which tasks a command works on: the listing options without paging and sort. */
export type TaskTarget = Pick<LsTasksOptions, "taskId" | "taskName" | "status" | "extraFilter">;

/** The API's listing options for --id/--name/-s/-f (the filter compiled and checked first). */
export async function taskTarget(options: TaskTargetOptions): Promise<TaskTarget> {
  return {
    taskId: options.taskId ?? null,
    taskName: options.taskName ?? null,
    status: options.status ?? null,
    extraFilter: (await compileExtraFilter(options.extraFilter, "task", options.verbose)) ?? null,
  };
}

/**
 * Piped task ids as targets, 1,000 ids each so every filter stays small: one id by `task_id`, several by
 * `{"_id": {"$in": [...]}}` (as v1).
 */
export function idsTargets(ids: string[]): TaskTarget[] {
  return batches(ids, REQUEST_BATCH).map((chunk) => (chunk.length === 1 ? { taskId: chunk[0]! } : { extraFilter: { _id: { $in: chunk } } }));
}

/** Every task matching one of `targets`, page by page, read as the CLI reads listings ({@link cliPaging}). */
export async function* targetPages(api: LabtaskerClient, targets: TaskTarget[], offset: number, sort: SortSpec | null = null): AsyncGenerator<Task[]> {
  for (const target of targets) yield* api.iterTaskPages({ ...target, sort, ...cliPaging(offset) });
}

interface LsOptions extends TaskTargetOptions, LsFlags {
  pipedIn?: boolean;
}

export async function ls(command: Command): Promise<void> {
  const options = command.opts<LsOptions>();
  refuseQuietWithVerbose(options);
  const sort = await parseSorts(options.sort ?? [], DEFAULT_TASK_SORT);
  let targets: TaskTarget[] = [await taskTarget(options)];
  if (options.pipedIn) {
    if (options.taskId || options.taskName || options.status || options.extraFilter) {
      throw new UsageError("Cannot use --task-id, --task-name, --status, or --extra-filter with piped input --piped-in enabled.");
    }
    const ids = stdinHasData() ? await readStdinLines() : [];
    if (ids.length === 0) return;
    targets = idsTargets(ids);
  }
  await withApi(command, async (api) => {
    const pages = targetPages(api, targets, options.offset, sort);
    await printListing(pages, options, { id: (task: Task) => task.taskId, record: taskRecord });
  });
}
