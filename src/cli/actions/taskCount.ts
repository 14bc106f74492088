/**
 * `task count`: tasks per status, as the plugin labtasker-plugin-task-count prints them ("🟡 Pending: 3"), or as
 * JSON. Counts are exact (every page is counted); `--limit N` stops at N and prints ">= N", as the plugin does.
 */
import type { Command } from "commander";
import { TASK_STATUSES, type TaskStatus } from "../../core/model.js";
import { withApi } from "../common/connect.js";
import { cliPaging, compileExtraFilter } from "../common/listing.js";
import { PAGE } from "../../core/defaults.js";
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
  const counts = await withApi(command, async (api) =>
    Promise.all(
      TASK_STATUSES.map(async (status) => {
        let total = 0;
        for await (const page of api.iterTaskPages({ status, extraFilter, ...cliPaging(cap ?? PAGE.maxLimit) })) {
          total += page.length;
          if (cap !== undefined && total >= cap) return { status, total: cap, capped: true };
        }
        return { status, total, capped: false };
      }),
    ),
  );
  if (options.fmt === "json") {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(counts.map(({ status, total }) => [status, total])))}\n`);
    return;
  }
  const style = palette(colorEnabled(process.stdout));
  process.stdout.write(counts.map(({ status, total, capped }) => `${LABELS[status]}: ${style.bold(style.color("cyan", capped ? `>= ${total}` : String(total)))}\n`).join(""));
}
