/**
 * `task update`: finds every matching task (all pages; v1 stops at one page of 1,000), then applies the same
 * updates to each, 1,000 per request (the client's `updateTasksSettled`), with a progress bar on a terminal. Our
 * server and direct mode write each request's updates at once, so an interrupted update leaves every task updated or
 * untouched, never half-written, and running the command again finishes it. Targets: --id, --name, -s, -f, or ids
 * piped on stdin. Without updates the tasks open in an editor as YAML, and every field changed there is replaced
 * (contract 6.2).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { TaskUpdate } from "../../core/api.js";
import type { LabtaskerClient, UpdateOutcome } from "../../sdk/client.js";
import { UpdateFailedError } from "../../core/errors.js";
import { isJsonObject, isLosslessNumber, stringifyJson, type JsonObject, type JsonValue } from "../../json.js";
import { TASK_STATUSES, type Task } from "../../core/model.js";
import { withApi } from "../common/connect.js";
import { AbortedError, UsageError } from "../common/errors.js";
import { Prompter, editFile, readStdinLines, resolveEditor, stdinHasData } from "../common/input.js";
import { refuseQuietWithVerbose } from "../common/listing.js";
import { recordsYaml, taskRecord } from "../common/output.js";
import { colorEnabled, note, pagerOutput, palette, progressBar } from "../common/terminal.js";
import {
  READONLY_FIELDS,
  UPDATABLE_FIELDS,
  parseUpdates,
  readonlyFields,
  readonlyWarning,
  taskUpdate,
  type UpdatableField,
} from "../common/values.js";
import { YamlError, parseYaml } from "../common/yamlRead.js";
import { idsTargets, targetPages, taskTarget, type TaskTarget, type TaskTargetOptions } from "./taskLs.js";

interface UpdateOptions extends TaskTargetOptions {
  update?: string[];
  limit: number;
  offset: number;
  resetPending?: boolean;
  quiet?: boolean;
  editor?: string;
}

export async function update(command: Command): Promise<void> {
  const options = command.opts<UpdateOptions>();
  const positional = command.args;
  const updates = options.update ?? [];
  if (positional.length > 0 && updates.length > 0) {
    throw new UsageError("You can only specify one of the positional argument [UPDATES] or option --update.");
  }
  refuseQuietWithVerbose(options);
  const items = positional.length > 0 ? positional : updates;
  const resetPending = options.resetPending ?? false;
  // `--reset-pending` alone is an update (re-queue the matches); v1 opens the editor, or refuses with -q.
  const useEditor = items.length === 0 && !resetPending;
  if (options.quiet && useEditor) throw new UsageError("You must specify --update when using --quiet.");
  const parsed = parseUpdates(items, resetPending);
  for (const warning of parsed.warnings) note(warning);

  let targets: TaskTarget[] = [await taskTarget(options)];
  const hasTarget = Boolean(options.taskId || options.taskName || options.status || options.extraFilter);
  if (!hasTarget && stdinHasData()) {
    const ids = await readStdinLines();
    if (options.verbose) note(`Received ${ids.length} task IDs from pipe`);
    if (ids.length === 0) {
      // v1 would go on with no target at all and update every task of the queue.
      note("No task ids on stdin: nothing to update.");
      return;
    }
    targets = idsTargets(ids);
  }

  if (!useEditor && Object.keys(parsed.fields).length === 0 && !resetPending) {
    note("Nothing to update: every field given is read-only.");
    return;
  }

  await withApi(command, async (api) => {
    // Every match first, then the updates: updating while paging would shift later pages (a task leaving `-s failed`).
    // Only the editor needs the tasks themselves; else their ids do (100,000 tasks take about 200 MB).
    const pages = targetPages(api, targets, options.offset);
    const updates = useEditor
      ? await editTasks(await collect(pages, (task) => task), resetPending, options.editor)
      : (await collect(pages, (task) => detached(task.taskId))).map((taskId) => taskUpdate(taskId, parsed.fields, parsed.replaceFields));
    if (updates.length === 0) return;
    // The updated tasks are kept only to be shown: "View result?" is asked on a terminal, without -q.
    const interactive = !options.quiet && Boolean(process.stdin.isTTY && process.stderr.isTTY);
    const outcome = await sendUpdates(api, updates, resetPending, interactive);
    if (!options.quiet) await offerResult(outcome, updates, interactive);
    if (outcome.failures.length > 0) throw new UpdateFailedError(outcome.failures, updates.length);
  });
}

/** Every match of the pages, as `pick` keeps it; says so when there is none. */
async function collect<T>(pages: AsyncIterable<Task[]>, pick: (task: Task) => T): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) for (const task of page) items.push(pick(task));
  if (items.length === 0) note("No task matched: nothing to update.");
  return items;
}

/**
 * A copy of `text` that keeps nothing else alive: an id parsed from a page of tasks is a slice of the page's whole
 * response, which V8 keeps in memory while the slice lives (100,000 ids held 45 MB of responses).
 */
function detached(text: string): string {
  return Buffer.from(text).toString();
}

/**
 * The updates, 1,000 per request, with a progress bar on a terminal. A batch with failures does not stop the others;
 * against labtasker v1's server its other updates are applied but not returned, and not read back. Any other error
 * stops it, with what is done said first.
 */
async function sendUpdates(api: LabtaskerClient, updates: TaskUpdate[], resetPending: boolean, returnTasks: boolean): Promise<UpdateOutcome> {
  const progress = progressBar(updates.length, "Updating");
  let done = 0;
  try {
    return await api.updateTasksSettled(updates, {
      resetPending,
      readBackApplied: false,
      returnTasks,
      onBatch: (sent) => progress.update((done = sent)),
    });
  } finally {
    progress.finish();
    if (done > 0 && done < updates.length) note(`Sent ${done} of ${updates.length} updates before the error; run the command again to finish.`);
  }
}

/**
 * "Total N tasks updated. View result?" as v1, asked only when both stdin and stderr are terminals (a script never
 * blocks on it); the result is YAML with `# Modified` on the changed fields, in the pager.
 */
async function offerResult(outcome: UpdateOutcome, updates: TaskUpdate[], interactive: boolean): Promise<void> {
  const question = `Total ${outcome.updated} tasks updated.`;
  if (!interactive) {
    note(question);
    return;
  }
  const prompter = new Prompter();
  let view: boolean;
  try {
    view = await prompter.confirm(`${question} View result?`, false);
  } finally {
    prompter.close();
  }
  if (!view) return;
  const updated = outcome.content;
  const modified = new Map(updates.map((update) => [update.taskId, modifiedFields(update)]));
  const text = recordsYaml(updated.map(taskRecord), {
    palette: palette(colorEnabled(process.stdout)),
    comment: (path) => (path.length === 2 && modified.get(String(updated[path[0] as number]?.taskId))?.has(String(path[1])) ? "Modified" : undefined),
  });
  const out = pagerOutput(true);
  await out.write(text);
  await out.end();
}

function modifiedFields(update: TaskUpdate): Set<string> {
  const names = Object.entries(UPDATABLE_FIELDS).filter(([, property]) => Object.hasOwn(update, property)).map(([name]) => name);
  return new Set(names);
}

const READ_ONLY_COMMENT = "Read-only. DO NOT modify!";

/** Canonical text of a value, to tell edited fields from untouched ones. */
function canonical(value: JsonValue | undefined): string {
  return value === undefined ? "<missing>" : stringifyJson(value);
}


/** Problems of an edited field's value that the server would refuse (checked here so the user can fix them). */
function valueProblem(field: UpdatableField, value: JsonValue): string | undefined {
  const integer = (v: JsonValue) => (typeof v === "number" && Number.isInteger(v)) || (isLosslessNumber(v) && /^-?\d+$/.test(String(v)));
  switch (field) {
    case "status":
      return (TASK_STATUSES as readonly unknown[]).includes(value) ? undefined : `must be one of ${TASK_STATUSES.join(", ")}`;
    case "args":
    case "metadata":
    case "summary":
      return isJsonObject(value) ? undefined : "must be a mapping";
    case "max_retries":
    case "retries":
    case "priority":
      return integer(value) ? undefined : "must be an integer";
    case "task_timeout":
      return value === null || integer(value) ? undefined : "must be an integer or null";
    case "heartbeat_timeout":
      return value === null || typeof value === "number" || isLosslessNumber(value) ? undefined : "must be a number or null";
    case "task_name":
      return value === null || typeof value === "string" ? undefined : "must be a string or null";
    case "cmd":
      return typeof value === "string" || value === null || (Array.isArray(value) && value.every((part) => typeof part === "string")) ? undefined : "must be a string or a list of strings";
  }
}

/** Editor mode: the tasks as commented YAML; returns one replace-update per task with changes. */
async function editTasks(tasks: Task[], resetPending: boolean, editorFlag: string | undefined): Promise<TaskUpdate[]> {
  if (tasks.length === 0) return [];
  const readonly = readonlyFields(resetPending);
  const text = tasks
    .map((task) => recordsYaml([taskRecord(task)], { comment: (path) => (path.length === 2 && readonly.has(String(path[1])) ? READ_ONLY_COMMENT : undefined) }))
    .join("\n");
  // The original as the reader sees it, so an untouched field compares equal whatever its YAML form.
  const original = parseYaml(text) as JsonObject[];
  const directory = mkdtempSync(join(tmpdir(), "labtasker-update-"));
  const file = join(directory, "tasks.yaml");
  const editor = resolveEditor(editorFlag);
  try {
    writeFileSync(file, text);
    for (;;) {
      editFile(file, editor);
      const result = readEdits(readFileSync(file, "utf8"), original, readonly);
      if (typeof result !== "string") {
        if (result.length === 0) note("No changes.");
        return result;
      }
      note(`Error: ${result}`);
      const prompter = new Prompter();
      try {
        if (!(await prompter.confirm("Continue to edit?", true))) throw new AbortedError();
      } finally {
        prompter.close();
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The updates from an edited file, or a message saying what is wrong with it. */
function readEdits(text: string, original: JsonObject[], readonly: Set<string>): TaskUpdate[] | string {
  let edited: JsonValue;
  try {
    edited = parseYaml(text);
  } catch (error) {
    if (error instanceof YamlError) return error.message;
    throw error;
  }
  if (!Array.isArray(edited) || edited.length !== original.length) {
    return (
      "Number of tasks in the file should match the number of tasks in the original list. " +
      `Expected ${original.length}, got ${Array.isArray(edited) ? edited.length : 0}. ` +
      "To add or delete tasks, use `labtasker task submit` or `labtasker task delete`."
    );
  }
  const updates: TaskUpdate[] = [];
  const problems: string[] = [];
  edited.forEach((entry, index) => {
    const before = original[index]!;
    if (!isJsonObject(entry) || entry.task_id !== before.task_id) {
      problems.push(`Task IDs must stay in the same order: expected ${String(before.task_id)} at position ${index + 1}.`);
      return;
    }
    const fields: Partial<Record<UpdatableField, JsonValue>> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (canonical(value) === canonical(before[key])) continue;
      if (readonly.has(key)) {
        note(readonlyWarning(key));
        continue;
      }
      if (!Object.hasOwn(UPDATABLE_FIELDS, key)) {
        if (!(READONLY_FIELDS as readonly string[]).includes(key)) note(`Warning: '${key}' is not a task field; ignored.`);
        continue;
      }
      const problem = valueProblem(key as UpdatableField, value);
      if (problem) problems.push(`Task ${String(before.task_id)}: ${key} ${problem}.`);
      else fields[key as UpdatableField] = value;
    }
    const changed = Object.keys(fields) as UpdatableField[];
    if (changed.length > 0) updates.push(taskUpdate(String(before.task_id), fields, changed));
  });
  return problems.length > 0 ? problems.join("\n") : updates;
}
