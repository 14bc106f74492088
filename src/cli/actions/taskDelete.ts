/**
 * `task delete`: ids as arguments or piped on stdin, each deleted once. Asks first unless -y (on the terminal when
 * stdin carries the ids). The ids go 1,000 per request, and each such batch is deleted at once (the client's
 * `deleteTasks`), so an interrupted delete leaves every task either gone or untouched, and running it again finishes
 * it. An id that names no task (deleted before, or never there) is reported, but is no error: the command exits 0
 * once every id given names no task (v1 stops at the first missing one with exit 2).
 */
import type { Command } from "commander";
import { REQUEST_BATCH } from "../../core/defaults.js";
import type { DeleteEachOptions, LabtaskerClient } from "../../sdk/client.js";
import { withApi } from "../common/connect.js";
import { AbortedError, UsageError } from "../common/errors.js";
import { Prompter, readStdinLines, stdinHasData } from "../common/input.js";
import { note, progressBar } from "../common/terminal.js";

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
 * Runs the client's `deleteTasks` / `deleteWorkers` (`remove`), printing one line per id as v1 does ("Task <id>
 * deleted.", or "... not found." for an id that named none, which is not an error).
 */
export async function reportDeletions(what: "Task" | "Worker", remove: (onEach: DeleteEachOptions["onEach"]) => Promise<string[]>): Promise<void> {
  await remove((id, outcome) => note(`${what} ${id} ${outcome === "deleted" ? "deleted" : "not found"}.`));
}

/**
 * A delete of more ids than one request takes: a progress bar on a terminal instead of a line per id, then the count
 * and the ids that named no task (the first few). An error stops it with what is done said first.
 */
async function deleteInBulk(api: LabtaskerClient, ids: readonly string[]): Promise<void> {
  const progress = progressBar(ids.length, "Deleting");
  let done = 0;
  let missing: string[] = [];
  try {
    missing = await api.deleteTasks(ids, { onEach: () => progress.update(++done) });
  } finally {
    progress.finish();
    if (done > 0 && done < ids.length) note(`Sent ${done} of ${ids.length} ids before the error; run the command again to finish.`);
  }
  note(`Deleted ${plural(done - missing.length, "task")}.`);
  if (missing.length > 0) {
    const shown = missing.slice(0, MISSING_SHOWN).join(", ");
    const more = missing.length > MISSING_SHOWN ? `, and ${missing.length - MISSING_SHOWN} more` : "";
    note(`${plural(missing.length, "id")} named no task (deleted before?): ${shown}${more}.`);
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Ids that named no task listed after a bulk delete; a re-run of a large delete can have thousands. */
const MISSING_SHOWN = 10;

export async function remove(command: Command): Promise<void> {
  const { yes } = command.opts<{ yes?: boolean }>();
  const { ids: given, fromStdin } = await targetIds(command.args, "task");
  const ids = [...new Set(given)];
  if (ids.length === 0) {
    note("No task ids given: nothing to delete.");
    return;
  }
  if (!yes) await confirmDeletion(`Are you sure you want to delete ${ids.length === 1 ? `task '${ids[0]}'` : `${ids.length} tasks`}?`, fromStdin);
  await withApi(command, (api) =>
    ids.length > REQUEST_BATCH ? deleteInBulk(api, ids) : reportDeletions("Task", (onEach) => api.deleteTasks(ids, { onEach })),
  );
}
