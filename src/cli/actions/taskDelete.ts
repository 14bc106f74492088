/**
 * `task delete`: ids as arguments or piped on stdin. Asks first unless -y (on the terminal when stdin carries the
 * ids). A missing id is reported and the others are still deleted (v1 stops at the first one).
 */
import type { Command } from "commander";
import type { DeleteEachOptions } from "../../sdk/client.js";
import { withApi } from "../common/connect.js";
import { AbortedError, CliError, EXIT, UsageError } from "../common/errors.js";
import { Prompter, readStdinLines, stdinHasData } from "../common/input.js";
import { note } from "../common/terminal.js";

/** Ids from the arguments, else from stdin; `fromStdin` tells where the confirmation can be read from. */
export async function targetIds(args: string[], what: string): Promise<{ ids: string[]; fromStdin: boolean }> {
  if (args.length > 0) return { ids: args, fromStdin: false };
  if (!stdinHasData()) throw new UsageError(`Give the ids of the ${what}s to delete, as arguments or on stdin (e.g. labtasker ${what} ls -q | labtasker ${what} delete -y).`);
  return { ids: await readStdinLines(), fromStdin: true };
}

/** Asks before deleting; with the ids on stdin the question goes to the terminal, and without one, -y is required. */
export async function confirmDeletion(question: string, fromStdin: boolean): Promise<void> {
  const prompter = fromStdin ? Prompter.onTerminal() : new Prompter();
  if (prompter === null) throw new UsageError("The ids came on stdin and there is no terminal to confirm on: add -y to delete without asking.");
  try {
    if (!(await prompter.confirm(question, false))) throw new AbortedError();
  } finally {
    prompter.close();
  }
}

/**
 * Runs the client's `deleteTasks` / `deleteWorkers` (`remove`), printing one line per id; missing ones are reported
 * at the end (exit 1).
 */
export async function reportDeletions(what: "Task" | "Worker", remove: (onEach: DeleteEachOptions["onEach"]) => Promise<string[]>): Promise<void> {
  const missing = await remove((id, outcome) => note(`${what} ${id} ${outcome === "deleted" ? "deleted" : "not found"}.`));
  if (missing.length > 0) throw new CliError(`${what} not found: ${missing.join(", ")}`, EXIT.FAILURE);
}

export async function remove(command: Command): Promise<void> {
  const { yes } = command.opts<{ yes?: boolean }>();
  const { ids, fromStdin } = await targetIds(command.args, "task");
  if (ids.length === 0) {
    note("No task ids given: nothing to delete.");
    return;
  }
  if (!yes) await confirmDeletion(`Are you sure you want to delete ${ids.length === 1 ? `task '${ids[0]}'` : `${ids.length} tasks`}?`, fromStdin);
  await withApi(command, (api) => reportDeletions("Task", (onEach) => api.deleteTasks(ids, { onEach })));
}
