/**
 * The job the loops run, and its ledger: each run appends a `start` line and, when it gets to the end, a `done` line
 * to one file opened with O_APPEND (`>>` in sh), so lines of concurrent runs never interleave (each is one write of
 * less than PIPE_BUF bytes). A line holds the task id, the attempt (the task's `retries` when it was fetched), the
 * command's pid, the loop's pid and the worker id.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LedgerLine {
  kind: "start" | "done";
  taskId: string;
  attempt: number;
  pid: number;
  loopPid: number;
  workerId: string;
  /** ms since the epoch. */
  time: number;
}

/**
 * Writes `job.sh` into `dir`: reads the attempt from task_info.json, logs `start`, sleeps `seconds` (each task's
 * `args.sleep` when it has one), logs `done`. Exits non-zero when `args.fail` is true.
 */
export function writeJob(dir: string, seconds: number): string {
  const file = join(dir, "job.sh");
  writeFileSync(
    file,
    `#!/bin/sh
info="$LABTASKER_LOG_DIR/task_info.json"
attempt=$(sed -n 's/^ *"retries": *\\([0-9]*\\).*/\\1/p' "$info" | head -n 1)
now() { date +%s%3N; }
echo "start $LABTASKER_TASK_ID \${attempt:-?} $$ $PPID $LABTASKER_WORKER_ID $(now)" >> "$FAULTS_LEDGER"
sleep ${seconds}
echo "done $LABTASKER_TASK_ID \${attempt:-?} $$ $PPID $LABTASKER_WORKER_ID $(now)" >> "$FAULTS_LEDGER"
`,
  );
  chmodSync(file, 0o755);
  return file;
}

/**
 * The lightest job for the load scenario: one `done` line, no sleep (the attempt is not read: no task is retried
 * there, which the server's final state confirms).
 */
export function writeLightJob(dir: string): string {
  const file = join(dir, "light-job.sh");
  writeFileSync(file, `#!/bin/sh\necho "done $LABTASKER_TASK_ID 0 $$ $PPID $LABTASKER_WORKER_ID 0" >> "$FAULTS_LEDGER"\n`);
  chmodSync(file, 0o755);
  return file;
}

export function readLedger(file: string): LedgerLine[] {
  if (!existsSync(file)) return [];
  const lines: LedgerLine[] = [];
  for (const text of readFileSync(file, "utf8").split("\n")) {
    if (!text) continue;
    const [kind, taskId, attempt, pid, loopPid, workerId, time] = text.split(" ");
    if ((kind !== "start" && kind !== "done") || !taskId || !workerId) throw new Error(`malformed ledger line: ${JSON.stringify(text)}`);
    lines.push({ kind, taskId, attempt: Number(attempt), pid: Number(pid), loopPid: Number(loopPid), workerId, time: Number(time) });
  }
  return lines;
}

/** Two runs of one task that were under way at the same time, by their command's pid and loop. */
export interface OverlappingRuns {
  taskId: string;
  first: { pid: number; loopPid: number; start: number; end: number | null };
  second: { pid: number; loopPid: number; start: number; end: number | null };
}

/**
 * Runs of the same task whose spans (`start` to `done`, or to the end of the record when no `done` came) overlap: a
 * task run twice at once. Needs the `start` lines of {@link writeJob}.
 */
export function overlappingRuns(lines: LedgerLine[]): OverlappingRuns[] {
  const runs = new Map<string, Array<{ pid: number; loopPid: number; start: number; end: number | null }>>();
  for (const line of lines) {
    const list = runs.get(line.taskId) ?? [];
    if (line.kind === "start") list.push({ pid: line.pid, loopPid: line.loopPid, start: line.time, end: null });
    else {
      const run = list.find((candidate) => candidate.pid === line.pid && candidate.loopPid === line.loopPid && candidate.end === null);
      if (run) run.end = line.time;
    }
    runs.set(line.taskId, list);
  }
  const found: OverlappingRuns[] = [];
  for (const [taskId, list] of runs) {
    const sorted = [...list].sort((x, y) => x.start - y.start);
    // The run of those started so far that ends last (null: never ended).
    let latest = sorted[0];
    for (const run of sorted.slice(1)) {
      if (latest!.end === null || latest!.end > run.start) found.push({ taskId, first: latest!, second: run });
      if (latest!.end !== null && (run.end === null || run.end > latest!.end)) latest = run;
    }
  }
  return found;
}
