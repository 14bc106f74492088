/**
 * `task submit`: one task from `-- --key value` arguments or `--args`, or many from JSON lines (`--jsonl FILE|-`),
 * submitted with the client's `submitTasks` in batches (one request per batch against our server), with a progress
 * bar on a terminal. A 10,000-task sweep is one command.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { SubmitTaskOptions } from "../../core/api.js";
import { isJsonObject, parseJson, type JsonObject, type JsonValue } from "../../json.js";
import { withApi } from "../common/connect.js";
import { UsageError } from "../common/errors.js";
import { note, progressBar } from "../common/terminal.js";
import { parseDictOption, parseTaskArgs } from "../common/values.js";
import { REQUEST_BATCH } from "../../core/defaults.js";

interface SubmitOptions {
  taskName?: string;
  args?: string;
  metadata?: string;
  cmd?: string;
  heartbeatTimeout: number;
  taskTimeout?: number;
  maxRetries: number;
  priority: number;
  jsonl?: string;
  quiet?: boolean;
}

/** Tasks per batch of `submitTasks`: one HTTP request each against our server, and a step of the progress bar. */
const SUBMIT_BATCH = REQUEST_BATCH;

export async function submit(command: Command): Promise<void> {
  const options = command.opts<SubmitOptions>();
  const tokens = command.args;
  const defaults: SubmitTaskOptions = {
    taskName: options.taskName ?? null,
    metadata: options.metadata === undefined ? {} : parseDictOption(options.metadata, "--metadata"),
    cmd: options.cmd ?? null,
    heartbeatTimeout: options.heartbeatTimeout,
    taskTimeout: options.taskTimeout ?? null,
    maxRetries: options.maxRetries,
    priority: options.priority,
  };
  if (options.jsonl !== undefined) {
    if (tokens.length > 0 || options.args !== undefined) throw new UsageError("--jsonl takes the tasks' args from the file: give no arguments after -- and no --args");
    return submitJsonl(command, options.jsonl, defaults, options.quiet ?? false);
  }
  if (tokens.length > 0 && options.args !== undefined) {
    throw new UsageError("You can only specify one of the [ARGS] or `--args`. That is, via positional argument or as an option.");
  }
  const args = options.args !== undefined ? parseDictOption(options.args, "--args") : parseTaskArgs(tokens);
  if (Object.keys(args).length === 0 && !options.cmd) {
    throw new UsageError("A task needs arguments or a command: give them after -- (-- --lr=0.1), as --args '{\"lr\": 0.1}', or --cmd.");
  }
  await withApi(command, async (api) => {
    const taskId = await api.submitTask({ ...defaults, args });
    process.stdout.write(options.quiet ? `${taskId}\n` : `Task submitted with ID: ${taskId}\n`);
  });
}

/** The submit fields a JSON line may hold, by v1 name (TaskSubmitRequest). */
const LINE_FIELDS = ["task_name", "args", "metadata", "cmd", "heartbeat_timeout", "task_timeout", "max_retries", "priority"] as const;


/** One JSON line as a task; the flags give the fields the line leaves out. */
export function taskFromLine(value: JsonValue, defaults: SubmitTaskOptions, where: string): SubmitTaskOptions {
  if (!isJsonObject(value)) throw new UsageError(`${where}: each line must be a JSON object such as {"args": {"lr": 0.1}}`);
  const unknown = Object.keys(value).filter((key) => !(LINE_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new UsageError(`${where}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (a line holds ${LINE_FIELDS.join(", ")}; put task arguments under "args")`);
  }
  const number = (key: string) => (value[key] === undefined ? undefined : (value[key] as unknown as number));
  const task: SubmitTaskOptions = {
    ...defaults,
    ...(value.task_name !== undefined && { taskName: value.task_name as string | null }),
    ...(value.args !== undefined && { args: value.args as JsonObject }),
    ...(value.metadata !== undefined && { metadata: value.metadata as JsonObject }),
    ...(value.cmd !== undefined && { cmd: value.cmd as string | string[] | null }),
    ...(value.heartbeat_timeout !== undefined && { heartbeatTimeout: number("heartbeat_timeout") }),
    ...(value.task_timeout !== undefined && { taskTimeout: number("task_timeout") }),
    ...(value.max_retries !== undefined && { maxRetries: number("max_retries") }),
    ...(value.priority !== undefined && { priority: number("priority") }),
  };
  const args = task.args;
  if ((args == null || (isJsonObject(args) && Object.keys(args).length === 0)) && !task.cmd) {
    throw new UsageError(`${where}: a task needs "args" or "cmd"`);
  }
  return task;
}

async function submitJsonl(command: Command, file: string, defaults: SubmitTaskOptions, quiet: boolean): Promise<void> {
  const source = file === "-" ? process.stdin : createReadStream(file);
  const name = file === "-" ? "stdin" : file;
  const tasks: SubmitTaskOptions[] = [];
  let lineNumber = 0;
  try {
    // Parse everything first: a bad line 9,000 must not leave 8,999 tasks submitted.
    for await (const line of createInterface({ input: source, crlfDelay: Infinity })) {
      lineNumber++;
      if (line.trim() === "") continue;
      let value: JsonValue;
      try {
        value = parseJson(line);
      } catch (error) {
        throw new UsageError(`${name} line ${lineNumber}: not JSON: ${(error as Error).message}`);
      }
      tasks.push(taskFromLine(value, defaults, `${name} line ${lineNumber}`));
    }
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") throw new UsageError(`--jsonl: no such file: ${file}`);
    throw error;
  }
  if (tasks.length === 0) {
    note(`No tasks in ${name}.`);
    return;
  }
  await withApi(command, async (api) => {
    const progress = progressBar(tasks.length, "Submitting");
    let done = 0;
    try {
      await api.submitTasks(tasks, {
        batchSize: SUBMIT_BATCH,
        onBatch: async (ids) => {
          await writeIds(ids);
          done += ids.length;
          progress.update(done);
        },
      });
    } finally {
      progress.finish();
      if (done < tasks.length) note(`Submitted ${done} of ${tasks.length} tasks before the error; their ids are on stdout.`);
    }
    if (!quiet) note(`Submitted ${done} tasks.`);
  });
}

/** Ids on stdout as they are created, one per line, so a failure halfway leaves a record of what was submitted. */
async function writeIds(ids: string[]): Promise<void> {
  const text = ids.map((id) => `${id}\n`).join("");
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once("drain", resolve));
}
