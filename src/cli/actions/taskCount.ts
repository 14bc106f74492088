/**
 * `task count`: tasks per status, as the plugin labtasker-plugin-task-count prints them ("🟡 Pending: 3"), or as
 * JSON. Counts are exact, from the status indexes (one evaluation with a filter); `--limit N` caps each at N and
 * prints ">= N", as the plugin does.
 */
import type { Command } from "commander";
import { TASK_STATUSES, type TaskStatus } from "../../core/model.js";
import { withApi } from "../common/connect.js";
import { compileExtraFilter } from "../common/listing.js";
import { colorEnabled, palette } from "../common/terminal.js";

const LABELS: Record<TaskStatus, string> = {
  pending: "🟡 Pending",
  running: "🔵 Running",
  success: "🟢 Success",
  failed: "🔴 Failed",
  cancelled: "⚪ Cancelled",
};

export async function count(command: Command): Promise<void> {
  const options = command.opts<{ extraFilter?: string; limit?: number; fmt: "text" | "json" }>();
  const extraFilter = (await compileExtraFilter(options.extraFilter, "task")) ?? null;
  const cap = options.limit;
  const totals = await withApi(command, (api) => api.countTasks({ extraFilter }));
  const counts = TASK_STATUSES.map((status) => {
    const capped = cap !== undefined && totals[status] >= cap;
    return { status, total: capped ? cap : totals[status], capped };
  });
  if (options.fmt === "json") {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(counts.map(({ status, total }) => [status, total])))}\n`);
    return;
  }
  const style = palette(colorEnabled(process.stdout));
  process.stdout.write(counts.map(({ status, total, capped }) => `${LABELS[status]}: ${style.bold(style.color("cyan", capped ? `>= ${total}` : String(total)))}\n`).join(""));
}
