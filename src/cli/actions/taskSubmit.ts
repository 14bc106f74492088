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
import { LabtaskerError } from "../../core/errors.js";

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
  dependsOn?: string[];
  dedup?: boolean;
  id?: string;
  env?: string[];
  maxTimeouts?: number;
}

/** `--env KEY=VALUE` flags as an environment. */
function parseEnv(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (pairs === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--env takes KEY=VALUE (got '${pair}')`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
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
    // The task model's extensions (docs/tasks.md), only those given.
    ...(options.dependsOn !== undefined && { dependsOn: options.dependsOn }),
    ...(options.dedup !== undefined && { dedup: options.dedup }),
    ...(options.env !== undefined && { env: parseEnv(options.env) }),
    ...(options.maxTimeouts !== undefined && { maxTimeouts: options.maxTimeouts }),
  };
  if (options.jsonl !== undefined) {
    if (options.id !== undefined) throw new UsageError("--id names one task: with --jsonl, give each line its \"task_id\"");
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
    const [task] = await api.submitTasksDetailed([{ ...defaults, args, ...(options.id !== undefined && { taskId: options.id }) }]);
    const { taskId, created } = task!;
    if (options.quiet) process.stdout.write(`${taskId}\n`);
    else process.stdout.write(created ? `Task submitted with ID: ${taskId}\n` : `Task already there with ID: ${taskId}\n`);
  });
}

/** The submit fields a JSON line may hold, by v1 name (TaskSubmitRequest), then the extensions' (docs/tasks.md). */
const LINE_FIELDS = [
  "task_name", "args", "metadata", "cmd", "heartbeat_timeout", "task_timeout", "max_retries", "priority",
  "depends_on", "ref", "env", "max_timeouts", "dedup", "task_id",
] as const;


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
    // Checked by the server (a 422 names the field); a line's depends_on replaces --depends-on, its env --env.
    ...(value.depends_on !== undefined && { dependsOn: value.depends_on as unknown as string[] }),
    ...(value.ref !== undefined && { ref: value.ref as string }),
    ...(value.env !== undefined && { env: value.env as unknown as Record<string, string> }),
    ...(value.max_timeouts !== undefined && { maxTimeouts: number("max_timeouts") }),
    ...(value.dedup !== undefined && { dedup: value.dedup as boolean }),
    ...(value.task_id !== undefined && { taskId: value.task_id as string }),
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
  /** The line of each task, for the server's refusals, which name a task by its position. */
  const lines: number[] = [];
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
      lines.push(lineNumber);
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
    let found = 0;
    try {
      await api.submitTasksDetailed(tasks, {
        batchSize: SUBMIT_BATCH,
        onBatch: async (submitted) => {
          await writeIds(submitted.map((task) => task.taskId));
          done += submitted.length;
          found += submitted.filter((task) => !task.created).length;
          progress.update(done);
        },
      });
    } catch (error) {
      throw withLine(error, name, lines, done);
    } finally {
      progress.finish();
      if (done < tasks.length) note(`Submitted ${done} of ${tasks.length} tasks before the error; their ids are on stdout.`);
    }
    // The counts matter when a task may have been there already: dedup (asked, or the queue's default) or client ids.
    const idempotent = found > 0 || tasks.some((task) => task.dedup === true || task.taskId !== undefined);
    if (!quiet) note(idempotent ? `Submitted ${done} tasks: ${done - found} new, ${found} already there.` : `Submitted ${done} tasks.`);
  });
}

/**
 * A refusal that names a task by its position in the request ("Task 3 of the submission ...", src/broker/submit.ts),
 * with the line of the file it came from; `before`: the tasks of the batches sent before.
 */
function withLine(error: unknown, name: string, lines: readonly number[], before: number): unknown {
  if (!(error instanceof LabtaskerError)) return error;
  const match = /^Task (\d+) of the submission/.exec(error.message);
  const line = match === null ? undefined : lines[before + Number(match[1]) - 1];
  return line === undefined ? error : new UsageError(`${name} line ${line}: ${error.message}`);
}

/** Ids on stdout as they are created, one per line, so a failure halfway leaves a record of what was submitted. */
async function writeIds(ids: string[]): Promise<void> {
  const text = ids.map((id) => `${id}\n`).join("");
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once("drain", resolve));
}
