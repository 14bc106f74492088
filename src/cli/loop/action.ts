/**
 * What `labtasker loop` does once its flags are parsed: find the command (exactly one of `-- CMD...`, `-c`,
 * `--script-path`, else stdin), parse its placeholders (their paths are the required fields), compile the filter,
 * open the API as configured (HTTP, or Redis in direct mode) and hand everything to the loop runtime
 * (src/runner), whose job renders the command for each task and runs it (./child.ts).
 *
 * Exit: 0 when the queue has no matching task left, after Exit, or when the worker is suspended (as v1); 2 for a
 * bad command, filter or flag; 1 when the server refuses or the loop gives up after repeated internal errors. A
 * loop stopped by a signal ends by that same signal (after reporting the task and closing the connection), so a
 * shell script running it stops too, as it would for any program killed by Ctrl+C.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseTimeInterval } from "../../core/validation.js";
import { CONFIG_ENV } from "../../config/clientConfig.js";
import { maskRedisUrl } from "../../store/maskUrl.js";
import type { Task } from "../../core/model.js";
import { JobFailedError, JobTimedOutError, LoopOptionsError, TIMED_OUT_EXIT_CODE, exitBySignal, runLoop, stderrLogger, type LoopJob, type LoopJobContext } from "../../runner/index.js";
import { globalOptions, loadCliConfig } from "../common/config.js";
import { openApi } from "../common/connect.js";
import { UsageError } from "../common/errors.js";
import { stdinHasData } from "../common/input.js";
import { compileExtraFilter } from "../common/listing.js";
import { runChild } from "./child.js";
import { slotArgv } from "./pool/argv.js";
import { slotLink } from "./pool/protocol.js";
import type { LoopFlags } from "./command.js";
import { CommandTemplateError, describeCommand, parseCommand, renderCommand, type CommandTemplate } from "./template.js";

/**
 * A loop is a long-running worker: through a server hiccup each request is retried with backoff (about a minute
 * in all) before it counts as an internal error, as v1's client retries reports for about 100 s.
 */
const NETWORK_ATTEMPTS = 10;

/** The command as given: a list (no shell) or a string (shell). Only one source may be used. */
async function commandSource(argv: string[], flags: LoopFlags): Promise<{ source: string | string[]; fromStdin: boolean }> {
  const option = flags.command ?? flags.cmd;
  const given = [argv.length > 0, option !== undefined, flags.scriptPath !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError("Only one of [CMD], [--command], or [--script-path] can be specified. Choose one.");
  let source: string | string[] | undefined = argv.length > 0 ? argv : option;
  if (flags.scriptPath !== undefined) {
    try {
      accessSync(flags.scriptPath, constants.R_OK);
    } catch {
      throw new UsageError(`Invalid value for '--script-path': File '${flags.scriptPath}' does not exist or is not readable.`);
    }
    source = readFileSync(flags.scriptPath, "utf8").trim();
  }
  // stdin only when it carries data (a pipe or a file): never wait on a terminal for a command.
  const fromStdin = (source === undefined || source === "") && stdinHasData();
  if (fromStdin) {
    let text = "";
    process.stdin.setEncoding("utf8");
    for await (const chunk of process.stdin) text += chunk as string;
    source = text.trim();
  }
  if (source === undefined || source.length === 0) {
    throw new UsageError("Command cannot be empty. Specify via positional argument [CMD] or `--command` or `--script-path`.");
  }
  return { source, fromStdin };
}

function parseTemplateOrExit(source: string | string[]): CommandTemplate {
  try {
    return parseCommand(source);
  } catch (error) {
    if (!(error instanceof CommandTemplateError)) throw error;
    process.stderr.write(`${error.format()}\n`);
    throw new UsageError(`Command error with exception ${error.message}`);
  }
}

/**
 * Connection settings given as global flags are exported to the commands, so a job's own `finish()` (or any
 * labtasker call it makes) reaches the same queue as the loop.
 */
function exportGlobalFlags(command: Command): void {
  const options = globalOptions(command);
  const pairs: Array<[string | undefined, string]> = [
    [options.apiBaseUrl, CONFIG_ENV.apiBaseUrl],
    [options.queueName, CONFIG_ENV.queueName],
    [options.password, CONFIG_ENV.password],
    [options.redisUrl, CONFIG_ENV.redisUrl],
    [options.keyPrefix, CONFIG_ENV.keyPrefix],
  ];
  for (const [value, name] of pairs) if (value) process.env[name] = value;
}

/** Global flags whose value is a secret, or a URL that may carry one (`redis://:password@host`). */
const SECRET_FLAGS = new Set(["--password"]);
const URL_FLAGS = new Set(["--redis-url", "--api-base-url"]);

/**
 * The loop's command line as recorded on every task it fetches (v1 records `sys.argv`), without the queue password
 * or Redis credentials that global flags may carry: task records are readable by anyone with the queue's
 * credentials, and are kept in Redis, its AOF, events and run directories. The command after `--` is left as is.
 */
export function recordedCommandLine(argv: readonly string[]): string[] {
  const recorded: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      recorded.push(...argv.slice(i));
      break;
    }
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const mask = SECRET_FLAGS.has(name) ? () => "***" : URL_FLAGS.has(name) ? maskRedisUrl : null;
    if (mask === null) recorded.push(arg);
    else if (inline !== undefined) recorded.push(`${name}=${mask(inline)}`);
    else if (i + 1 < argv.length) recorded.push(arg, mask(argv[++i]!));
    else recorded.push(arg);
  }
  return recorded;
}

/** The job of `labtasker loop`: render the command for the task, run it, fail on a non-zero exit. */
function commandJob(template: CommandTemplate, flags: LoopFlags, onSpawn?: (pid: number) => void): LoopJob {
  // Default: a pseudo-terminal when stdout is a terminal (see ./child.ts). An explicit --use-pty asks for one even
  // when it is not (v1 always uses one), e.g. for line-by-line output in a log under nohup.
  const pty = flags.usePty === true || (flags.usePty === undefined && process.stdout.isTTY === true);
  const job = async (task: Task, context: LoopJobContext): Promise<void> => {
    let command: string | string[];
    try {
      command = renderCommand(template, task.args);
    } catch (error) {
      if (!(error instanceof CommandTemplateError)) throw error;
      process.stderr.write(`${error.format()}\n`);
      throw new JobFailedError(`Error running command: ${error.message}`);
    }
    context.log.info(`Prepared to run interpolated command: ${describeCommand(command)}`);
    let exitCode: number;
    let tail: string;
    try {
      ({ exitCode, tail } = await runChild({
        command,
        executable: flags.executable,
        pty,
        env: context.env,
        signal: context.signal,
        forceSignal: context.forceSignal,
        onSpawn,
      }));
    } catch (error) {
      throw new JobFailedError(`Error running command: ${(error as Error).message}`);
    }
    // GNU `timeout`'s code: the command says it ran out of time (a job's own time check, or `timeout` around it).
    if (exitCode === TIMED_OUT_EXIT_CODE) throw new JobTimedOutError(`Job process exited with code ${exitCode}: timed out`, tail);
    if (exitCode !== 0) throw new JobFailedError(`Error running command: Job process finished with non-zero exit code: ${exitCode}`, tail);
  };
  // runChild spawns before its first await (./child.ts).
  return Object.assign(job, { startsWhenCalled: true });
}

export async function loopAction(command: Command, argv: string[], flags: LoopFlags): Promise<void> {
  if (flags.perGpu !== undefined && flags.gpus === undefined) throw new UsageError("--per-gpu needs --gpus.");
  if (flags.gpuTelemetry !== undefined && flags.gpus === undefined) throw new UsageError("--gpu-telemetry needs --gpus.");
  if (flags.gpus !== undefined && flags.workerId !== undefined) throw new UsageError("--worker-id names one worker; a pool (--gpus) creates one per slot.");
  const { source, fromStdin } = await commandSource(argv, flags);
  const template = parseTemplateOrExit(source);
  if (flags.etaMax !== undefined) {
    try {
      parseTimeInterval(flags.etaMax);
    } catch {
      throw new UsageError("ETA max must be a valid duration string (e.g. '1h', '1h30m', '50s')");
    }
  }
  // Compiled here to fail early (exit 2, with a caret) and for -v; the runtime gets the text, which it compiles
  // again from the cache and quotes back in its hints.
  await compileExtraFilter(flags.extraFilter, "task", flags.verbose);
  const config = await loadCliConfig(command);
  const log = stderrLogger({ verbose: flags.verbose });
  exportGlobalFlags(command);
  // The terminal or pipe may go away mid-run (a closed tmux pane, `| head`): the tasks must still be reported.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

  if (!config.redisUrl) {
    // A server that cannot be reached at all should fail the command at once, not after the worker client's minute
    // of retries: probe with the CLI's ordinary client first.
    const probe = await openApi(config);
    try {
      await probe.getQueue();
    } finally {
      await probe.close();
    }
  }
  const api = await openApi(config, { networkAttempts: NETWORK_ATTEMPTS });
  if (flags.gpus !== undefined) {
    const { runGpuPool } = await import("./pool/index.js");
    let exit: () => void;
    try {
      exit = await runGpuPool(api.transport, flags.gpus, flags.perGpu ?? 1, slotArgv(process.argv.slice(2), fromStdin ? (source as string) : null), flags.gpuTelemetry ?? null);
    } finally {
      await api.close();
    }
    return exit();
  }
  // A pool's slot tells the pool which task it runs, and stops when the pool is gone (./pool/protocol.ts).
  const link = slotLink();
  let result;
  try {
    log.info(`Got command: ${describeCommand(source)}`);
    result = await runLoop({
      // The runtime reports the task it runs itself: it gets the transport, as under the SDK's loop().
      client: api.transport,
      job: commandJob(template, flags, link?.onSpawn),
      observer: link?.observer,
      signal: link?.signal,
      uploadLogs: flags.uploadLogs,
      requiredFields: template.requiredFields,
      extraFilter: flags.extraFilter ?? null,
      workerId: flags.workerId ?? null,
      etaMax: flags.etaMax ?? null,
      grace: flags.grace,
      heartbeatInterval: config.heartbeatInterval,
      heartbeatTimeout: flags.heartbeatTimeout ?? null,
      cmd: recordedCommandLine(process.argv.slice(1)),
      root: config.root,
      log,
    });
  } catch (error) {
    if (error instanceof LoopOptionsError) throw new UsageError(error.message);
    throw error;
  } finally {
    await api.close();
  }
  log.info("Loop ended.");
  if (result.reason === "stopped" && result.signal !== null) exitBySignal(result.signal);
}
