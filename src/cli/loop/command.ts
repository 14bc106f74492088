/**
 * `labtasker loop`: the command definition only (flags, help). It imports nothing but commander at load, so
 * registering it costs no start-up time; the runtime is imported by the action (./action.ts).
 */
import { Command, InvalidArgumentError, Option } from "commander";

/** The flags as commander parses them. */
export interface LoopFlags {
  command?: string;
  /** `--cmd`, v1's second spelling of `--command`. */
  cmd?: string;
  scriptPath?: string;
  executable?: string;
  extraFilter?: string;
  workerId?: string;
  etaMax?: string;
  /** `--grace`: seconds between the deadline's SIGTERM and the deadline. */
  grace?: number;
  heartbeatTimeout?: number;
  /** undefined: the default (on). */
  usePty?: boolean;
  verbose?: boolean;
  /** `--gpus`: run a pool, one loop per slot (./pool/). */
  gpus?: string;
  perGpu?: number;
  /** `--gpu-telemetry`: seconds between two samples of the GPUs' use (./pool/telemetry.ts). */
  gpuTelemetry?: number;
  /** `--no-upload-logs`: keep each run's output in run.log only. */
  uploadLogs: boolean;
}

function slotsPerGpu(text: string): number {
  const value = Number(text.trim());
  if (!Number.isInteger(value) || value < 1 || value > 64) throw new InvalidArgumentError(`must be a whole number from 1 to 64 (got ${text})`);
  return value;
}

/** At least 1 s: one nvidia-smi call per interval costs tens of milliseconds of CPU. */
function telemetrySeconds(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value) || value < 1) throw new InvalidArgumentError(`must be a number of seconds >= 1 (got ${text})`);
  return value;
}

function graceSeconds(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`must be a number of seconds >= 0 (got ${text})`);
  return value;
}

function positiveSeconds(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`must be a number of seconds > 0 (got ${text})`);
  return value;
}

const EXAMPLES = `
Examples:
  labtasker loop -- python train.py --lr '%(lr)' --model '%(model)'
  CUDA_VISIBLE_DEVICES=1 labtasker loop -- python train.py --lr '%(lr)'     (one loop per GPU)
  labtasker loop -c 'python train.py --cfg %(cfg) > logs/%(name).txt'     (shell: values are quoted for you)
  labtasker loop --script-path job.sh
  labtasker loop -f 'metadata.tag == "ablation"' -- python eval.py '%(ckpt.path)'
  labtasker loop --gpus all -- python train.py --lr '%(lr)'               (one loop per GPU, one command)

Placeholders: %(key) or %(a.b) is the task's args value (Python str(); a dict prints as {"k": v}). The keys used
are the required fields: only tasks whose args have exactly those keys are fetched ("no more, no less").

Each run has LABTASKER_TASK_ID, LABTASKER_WORKER_ID, LABTASKER_LOG_DIR and LABTASKER_ROOT in its environment and a
directory $LABTASKER_ROOT/logs/run/run_t<time>_n<name>_id<task>_rd<random>/ with run.log, task_info.json,
summary.json and status.json; a task's later attempts reuse its directory (a checkpoint there is found again).
A run with a time limit (the task's timeout or --eta-max) also has LABTASKER_DEADLINE (epoch seconds); the command
gets SIGTERM --grace seconds before it (at most half the limit) and SIGKILL at it. A command that exits after that
SIGTERM, or with exit code 124, is reported as timed out: the task goes back to pending without using a retry while
its max_timeouts last. On a failure: report it or put the task back (10 s to choose; without a terminal the
failure is reported), then continue or exit. Ctrl+C: the command gets SIGINT, the task is reported and the loop
ends; Ctrl+C again ends it at once. The loop ends when no matching pending task is left.`;

export function loopCommand(): Command {
  return new Command("loop")
    .description("Fetch pending tasks and run a command for each, until none is left.")
    .argument("[CMD...]", "Command to run, after --, without a shell. %(arg) placeholders take the task's args.")
    .option("-c, --command <STR>", "Command to run with a shell (also --cmd); placeholder values are shell-quoted.")
    .addOption(new Option("--cmd <STR>", "Same as --command.").hideHelp())
    .option("--script-path <FILE>", "File holding the command, run with a shell (placeholders as in --command).")
    .option("--executable <SHELL>", "Shell for --command, --script-path and stdin commands (default /bin/sh).")
    .option("-f, --extra-filter <F>", "Only tasks matching this filter: Python expression, Mongo query dict, or jsonata:<expr>.")
    .option("--worker-id <ID>", "Run as this worker (default: $LABTASKER_WORKER_ID, else a new worker).")
    .option("--eta-max <DUR>", "Time limit of each run, e.g. 1h, 1h30m, 50s (overrides the task's task_timeout).")
    .option("--grace <SECONDS>", "Seconds before a run's deadline that the command gets SIGTERM, at most half its limit; SIGKILL at the deadline (default 30).", graceSeconds)
    .option("--heartbeat-timeout <F>", "Seconds without heartbeat before a run counts as failed (default 3 × heartbeat_interval).", positiveSeconds)
    .option("--use-pty", "Run the command in a pseudo-terminal even when stdout is not a terminal (default: only when it is).")
    .option("--no-use-pty", "Run the command with pipes, never a pseudo-terminal.")
    .option("-v, --verbose", "Print debug messages (the parsed filter, the worker, a stopped heartbeat).")
    .option("--gpus <GPUS>", "Run one loop per GPU in one command: all (from nvidia-smi), a count N, or indexes such as 0,2,3.")
    .option("--per-gpu <K>", "With --gpus: K loops per GPU, for small jobs (default 1).", slotsPerGpu)
    .option("--gpu-telemetry <SECONDS>", "With --gpus: sample each GPU's use (nvidia-smi) this often into its slot's worker, for `worker ls` (default: off).", telemetrySeconds)
    .option("--no-upload-logs", "Keep each run's output in its run.log only (default: also sent to the server, see `task logs`).")
    .passThroughOptions()
    .addHelpText("after", EXAMPLES)
    .action(async function (this: Command, cmd: string[], flags: LoopFlags) {
      const { loopAction } = await import("./action.js");
      await loopAction(this, cmd, flags);
    });
}
