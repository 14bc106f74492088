/**
 * The per-run log directory, as labtasker v1 lays it out (`paths.py::set_labtasker_log_dir`):
 * `$LABTASKER_ROOT/logs/run/run_t<local YYYY-MM-DD-HH-MM-SS>_n<task_name or None>_id<task_id>_rd<8 random hex>/`
 * holding `run.log`, `task_info.json`, `heartbeat.lock`, `summary.json` and `status.json`. The files are how a child
 * process (a `labtasker loop` command, or anything a job spawns) reaches its task: `task_info.json` answers
 * `taskInfo()`, and `summary.json`, created with O_EXCL, makes sure exactly one `finish()` reports the task.
 *
 * A task's later attempts on one machine (after a timeout or a failure) reuse the directory its first attempt made,
 * found by the task id in its name, so a checkpoint the job wrote there is found again (resumable tasks): the new
 * attempt rewrites `task_info.json`, appends to `run.log`, and starts without the last attempt's outcome files.
 */
import { randomUUID } from "node:crypto";
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "lossless-json";
import { parseJson, type JsonObject } from "../json.js";
import type { Task } from "../core/model.js";
import { taskFromWire, taskToWire } from "../wire/v1/index.js";
import { localTime } from "./logger.js";

/** The file names of a run directory. */
export const RUN_FILES = {
  /** The loop's stdout and stderr during the task (the command's output included), ANSI escapes removed. */
  runLog: "run.log",
  /** The task as fetched, in v1's JSON shape (indent 4). */
  taskInfo: "task_info.json",
  /** Exists while the heartbeat runs; deleting it stops the heartbeat. */
  heartbeatLock: "heartbeat.lock",
  /** The summary reported with the final status; its O_EXCL creation is the guard against a second report. */
  summary: "summary.json",
  /** `{"status": "success" | "failed" | "cancelled"}`. */
  status: "status.json",
} as const;

/** The name of a run directory for `task`; the random part keeps two runs of one task in one second apart. */
export function runDirName(task: Pick<Task, "taskId" | "taskName">, now: Date = new Date()): string {
  const { day, time } = localTime(now); // v1: local YYYY-MM-DD-HH-MM-SS
  return `run_t${day}-${time.replaceAll(":", "-")}_n${task.taskName ?? "None"}_id${task.taskId}_rd${randomUUID().slice(0, 8)}`;
}

/**
 * The run directory of `task` under `<root>/logs/run/`: the one an earlier attempt of the task made when it may have
 * run before, else a new one; `task_info.json` is written into it.
 */
export function openRunDir(root: string, task: Task, now: Date = new Date()): string {
  const parent = join(root, "logs", "run");
  const earlier = mayHaveRun(task) ? findRunDir(parent, task.taskId) : null;
  let dir: string;
  if (earlier === null) {
    dir = join(parent, runDirName(task, now));
    makeRunDir(parent, dir);
  } else {
    dir = join(parent, earlier);
    // The last attempt's outcome would make this one look finished, and a killed attempt may have left its lock.
    removeOutcome(dir);
    stopHeartbeat(dir);
  }
  writeFileSync(join(dir, RUN_FILES.taskInfo), taskInfoJson(task));
  return dir;
}

/**
 * Creates a new run directory; it fails if it exists (a new run directory belongs to one task). The parent is made
 * only when it is missing (the first run, or the logs were removed): creating it every time cost two more syscalls a
 * run.
 */
function makeRunDir(parent: string, dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(parent, { recursive: true });
    mkdirSync(dir);
  }
}

/**
 * Whether a task may have had an attempt before this one (a retry or a timeout counted). Only then is the folder
 * searched: reading a `logs/run/` of 10,000 runs costs about 7 ms, which a first attempt does not pay.
 */
function mayHaveRun(task: Task): boolean {
  return task.retries > 0 || (task.timeouts ?? 0) > 0;
}

/** The name of the first directory in `parent` made for task `taskId` (the oldest by its name's time), or null. */
export function findRunDir(parent: string, taskId: string): string | null {
  const suffix = `_id${taskId}_rd`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  // `..._id<task id>_rd<8 hex>`; the names start with run_t<YYYY-MM-DD-HH-MM-SS>, so the first attempt's sorts first.
  const matches = names.filter((name) => name.startsWith("run_t") && name.length === name.lastIndexOf(suffix) + suffix.length + 8 && name.lastIndexOf(suffix) > 0);
  return matches.sort()[0] ?? null;
}

/**
 * The task as v1 writes `task_info.json` (pydantic's `model_dump_json(indent=4)` of its Task model): the wire shape
 * with naive ISO datetimes, and `heartbeat_timeout` as a float (`30.0`), as that model types it.
 */
export function taskInfoJson(task: Task): string {
  return stringify(taskToWire(task, { pythonFloats: true }), undefined, 4) ?? "{}";
}

/** The task a run directory was written for. */
export function readTaskInfo(dir: string): Task {
  return taskFromWire(parseJson(readFileSync(join(dir, RUN_FILES.taskInfo), "utf8")) as JsonObject);
}

/** Stops the run's heartbeat (see ./heartbeat.ts) by deleting its lock file; nothing to do when it is gone. */
export function stopHeartbeat(dir: string): void {
  try {
    unlinkSync(join(dir, RUN_FILES.heartbeatLock));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Undoes {@link writeOutcome} when the report it preceded failed, so the run counts as not finished. */
export function removeOutcome(dir: string): void {
  for (const file of [RUN_FILES.summary, RUN_FILES.status]) {
    try {
      unlinkSync(join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

/** A final status as `status.json` records it. */
export type OutcomeStatus = "success" | "failed" | "cancelled";

/**
 * Writes `summary.json` unless it exists (O_EXCL, so of two processes finishing one task only one wins), then
 * `status.json`. Returns false when the summary was already there: the task has been finished by someone else.
 */
export function writeOutcome(dir: string, status: OutcomeStatus, summary: JsonObject | null | undefined): boolean {
  if (!claimOutcome(dir, summary)) return false;
  writeStatus(dir, status);
  return true;
}

/**
 * The first half of {@link writeOutcome}: `summary.json`, created with O_EXCL. True when this call created it, so
 * the caller reports; `status.json` ({@link writeStatus}) may follow a little later, as nothing decides on it.
 */
export function claimOutcome(dir: string, summary: JsonObject | null | undefined): boolean {
  let fd: number;
  try {
    fd = openSync(join(dir, RUN_FILES.summary), constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, stringify(summary ?? {}, undefined, 4) ?? "{}");
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The second half of {@link writeOutcome}: `status.json`. */
export function writeStatus(dir: string, status: OutcomeStatus): void {
  writeFileSync(join(dir, RUN_FILES.status), JSON.stringify({ status }, undefined, 4));
}
