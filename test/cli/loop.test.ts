/**
 * `labtasker loop` end to end: the real CLI (`node dist/cli/main.js loop`) against a server in this process (real
 * clock) or directly on Redis, running real commands. Each test reads what the commands recorded and what the queue
 * holds afterwards. Waits poll with a bound; no test sleeps for long.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WorkerNotFoundError } from "../../src/core/errors.js";
import { isLosslessNumber, parseJson, type JsonObject } from "../../src/json.js";
import { RUNNER_DIST, loopHarness, waitFor, type LoopHarness } from "../runner/support.js";

/** A job that records its argv, its labtasker environment and whether stdout is a terminal, then prints a marker. */
const RECORD_JOB = `
import { writeFileSync } from "node:fs";
const env = Object.fromEntries(["LABTASKER_TASK_ID", "LABTASKER_WORKER_ID", "LABTASKER_LOG_DIR", "LABTASKER_ROOT", "CUDA_VISIBLE_DEVICES"].map((k) => [k, process.env[k] ?? null]));
const record = { argv: process.argv.slice(2), env, tty: process.stdout.isTTY === true, pid: process.pid };
console.log("JOB-RAN " + JSON.stringify(record));
writeFileSync(process.env.OUT_DIR + "/" + env.LABTASKER_TASK_ID + ".json", JSON.stringify(record));
`;

interface JobRecord {
  argv: string[];
  env: Record<string, string | null>;
  tty: boolean;
  pid: number;
}

function setupRecorder(h: LoopHarness): { out: string; job: string } {
  const out = join(h.dir, "out");
  mkdirSync(out);
  writeFileSync(join(h.dir, "job.mjs"), RECORD_JOB);
  return { out, job: join(h.dir, "job.mjs") };
}

function records(out: string): Record<string, JobRecord> {
  return Object.fromEntries(
    readdirSync(out)
      .filter((name) => name.endsWith(".json"))
      .map((name) => [name.slice(0, -5), JSON.parse(readFileSync(join(out, name), "utf8")) as JobRecord]),
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("labtasker loop: commands and placeholders", () => {
  it("runs the list form without a shell, exports the task's variables, streams output and writes the run directory", async () => {
    await using h = await loopHarness();
    const { out, job } = setupRecorder(h);
    const first = await h.api.submitTask({ args: parseJson('{"lr": 0.1, "model": "vit", "cfg": {"depth": 3, "f": 3.0}}') as JsonObject, taskName: "first", priority: 20 });
    const second = await h.api.submitTask({ args: parseJson('{"lr": 3.0, "model": "a b; echo injected", "cfg": {"q": "it\'s"}}') as JsonObject });
    const run = await h.run(["loop", "--", process.execPath, job, "--lr", "%(lr)", "--model=%(model)", "%(cfg)", "literal(%)"], { env: { OUT_DIR: out } });

    expect(run.code).toBe(0);
    expect(run.stdout.match(/JOB-RAN/g)).toHaveLength(2); // the job's output is streamed to the loop's stdout
    expect(run.stderr).toContain("Tasks with required fields ['lr', 'model', 'cfg'] and extra filter None are all done.");
    const recs = records(out);
    expect(recs[first]!.argv).toEqual(["--lr", "0.1", "--model=vit", '{"depth": 3, "f": 3.0}', "literal(%)"]);
    expect(recs[second]!.argv).toEqual(["--lr", "3.0", "--model=a b; echo injected", `{"q": 'it"s'}`, "literal(%)"]);
    expect(recs[first]!.tty).toBe(false); // stdout is a pipe here: no pseudo-terminal

    const tasks = await h.tasks();
    expect(tasks.map((t) => t.status)).toEqual(["success", "success"]);
    expect(tasks[0]!.startTime!.getTime()).toBeLessThanOrEqual(tasks[1]!.startTime!.getTime()); // priority 20 first
    const workers = (await h.api.lsWorkers()).content;
    expect(workers).toHaveLength(1); // created by the loop, kept when the queue ran dry (as v1)
    for (const taskId of [first, second]) {
      const { env } = recs[taskId]!;
      expect(env.LABTASKER_TASK_ID).toBe(taskId);
      expect(env.LABTASKER_WORKER_ID).toBe(workers[0]!.workerId);
      expect(env.LABTASKER_ROOT).toBe(h.root);
      const logDir = env.LABTASKER_LOG_DIR!;
      expect(logDir.startsWith(join(h.root, "logs", "run", "run_t"))).toBe(true);
      expect(logDir).toContain(`_n${taskId === first ? "first" : "None"}_id${taskId}_rd`);
      expect(JSON.parse(readFileSync(join(logDir, "task_info.json"), "utf8"))).toMatchObject({ task_id: taskId, status: "running", worker_id: workers[0]!.workerId });
      expect(readFileSync(join(logDir, "task_info.json"), "utf8")).toContain(taskId === first ? '"f": 3.0' : '"lr": 3.0');
      expect(JSON.parse(readFileSync(join(logDir, "status.json"), "utf8"))).toEqual({ status: "success" });
      expect(JSON.parse(readFileSync(join(logDir, "summary.json"), "utf8"))).toEqual({});
      const log = readFileSync(join(logDir, "run.log"), "utf8");
      expect(log).toContain(`JOB-RAN {"argv":["--lr"`);
      expect(log).toContain(`Prepared to run task ${taskId} with args`);
      expect(log).toContain(`Task ${taskId} ended.`);
      expect(log).not.toContain("\u001b");
    }
    // The worker's command is recorded on the task, as v1 records sys.argv.
    expect(tasks[0]!.cmd).toEqual(expect.arrayContaining(["loop", "--", "%(lr)"]));
  });

  it("quotes each value for the shell in -c mode, so spaces, quotes and dicts arrive intact and nothing is injected", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { msg: "hello world; touch PWNED", n: 2, cfg: { depth: 3, name: "it's" }, q: `say "hi" $HOME` } });
    const run = await h.run(["loop", "-c", "echo %(msg) > out_%(n).txt && echo %(cfg) > cfg.txt && printf '%s' %(q) > q.txt && echo $LABTASKER_TASK_ID > id.txt"]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(h.dir, "out_2.txt"), "utf8")).toBe("hello world; touch PWNED\n");
    expect(existsSync(join(h.dir, "PWNED"))).toBe(false);
    expect(readFileSync(join(h.dir, "cfg.txt"), "utf8")).toBe(`{"depth": 3, "name": 'it"s'}\n`);
    expect(readFileSync(join(h.dir, "q.txt"), "utf8")).toBe(`say "hi" $HOME`);
    expect(readFileSync(join(h.dir, "id.txt"), "utf8").trim()).toBe(taskId);
    expect((await h.api.getTask(taskId)).status).toBe("success");
  });

  it("reads the command from --script-path or from stdin, as a shell string", async () => {
    await using h = await loopHarness();
    writeFileSync(join(h.dir, "run.sh"), 'echo lr=%(lr) name=%(name) >> results.txt\necho "$LABTASKER_WORKER_ID" > wid.txt\n');
    await h.api.submitTask({ args: parseJson('{"lr": 0.01, "name": "x y"}') as JsonObject, priority: 3 });
    await h.api.submitTask({ args: parseJson('{"lr": 1e-05, "name": "z"}') as JsonObject, priority: 2 });
    expect((await h.run(["loop", "--script-path", "run.sh"])).code).toBe(0);
    expect(readFileSync(join(h.dir, "results.txt"), "utf8").split("\n")).toEqual(["lr=0.01 name=x y", "lr=1e-05 name=z", ""]);
    expect((await h.api.lsWorkers()).content.map((w) => w.workerId)).toEqual([readFileSync(join(h.dir, "wid.txt"), "utf8").trim()]);

    const piped = await h.api.submitTask({ args: { v: 7 } });
    expect((await h.run(["loop"], { input: "echo got=%(v) > got.txt\n" })).code).toBe(0);
    expect(readFileSync(join(h.dir, "got.txt"), "utf8")).toBe("got=7\n");
    expect((await h.api.getTask(piped)).status).toBe("success");
  });

  it("fetches only tasks whose args match the placeholders exactly, nested paths included (no more, no less)", async () => {
    await using h = await loopHarness();
    const exactB = await h.api.submitTask({ args: { a: { b: 1 } } });
    const bAndC = await h.api.submitTask({ args: { a: { b: 2, c: 3 } } });
    const extraTop = await h.api.submitTask({ args: { a: { b: 4 }, extra: 0 } });
    const missing = await h.api.submitTask({ args: { a: { c: 5 } } });
    await h.run(["loop", "-c", "echo %(a.b) >> b.txt"]);
    expect(readFileSync(join(h.dir, "b.txt"), "utf8")).toBe("1\n");
    await h.run(["loop", "-c", "echo %( a . b )-%(a.c) >> bc.txt"]);
    expect(readFileSync(join(h.dir, "bc.txt"), "utf8")).toBe("2-3\n");
    // %(a) covers the whole subtree of a; %(extra) the other key.
    await h.run(["loop", "-c", "echo %(a) %(extra) >> whole.txt"]);
    expect(readFileSync(join(h.dir, "whole.txt"), "utf8")).toBe('{"b": 4} 0\n');
    const status = Object.fromEntries((await h.tasks()).map((t) => [t.taskId, t.status]));
    expect(status).toEqual({ [exactB]: "success", [bAndC]: "success", [extraTop]: "success", [missing]: "pending" });
  });

  it("honours --extra-filter, and --eta-max and --heartbeat-timeout are set on each fetched task", async () => {
    await using h = await loopHarness();
    const gpu = await h.api.submitTask({ args: { i: 1 }, metadata: { tags: ["gpu"], size: 100 }, heartbeatTimeout: 60 });
    const cpu = await h.api.submitTask({ args: { i: 2 }, metadata: { tags: ["cpu"] } });
    const run = await h.run(["loop", "-f", "'gpu' in list(metadata.tags) and metadata.size > 10", "--eta-max", "2m", "--heartbeat-timeout", "45", "-c", "echo %(i) >> ran.txt; cat \"$LABTASKER_LOG_DIR/task_info.json\" > info.json"]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(h.dir, "ran.txt"), "utf8")).toBe("1\n");
    const info = readFileSync(join(h.dir, "info.json"), "utf8");
    expect(JSON.parse(info)).toMatchObject({ task_id: gpu, task_timeout: 120 });
    expect(info).toContain('"heartbeat_timeout": 45.0');
    expect((await h.api.getTask(cpu)).status).toBe("pending");
  });

  it("runs any pending task when the command has no placeholders", async () => {
    await using h = await loopHarness();
    await h.api.submitTask({ args: { k: 1 } });
    await h.api.submitTask({ args: { other: { x: 1 } }, cmd: "ignored" });
    expect((await h.run(["loop", "--", "true"])).code).toBe(0);
    expect((await h.tasks()).map((t) => t.status)).toEqual(["success", "success"]);
  });
});

describe("labtasker loop: start-up", () => {
  it("loads the filter language only for a loop with a filter", async () => {
    await using h = await loopHarness();
    await h.api.submitTasks([{ args: { i: 1 } }, { args: { i: 2 } }]);
    // At exit, the loop process writes whether it loaded JSONata (CommonJS, so in require.cache), which only the filter
    // language imports: a loop without a filter starts without it (docs/benchmarks.md, the GPU pool's idle gap).
    const probe = join(h.dir, "probe.cjs");
    writeFileSync(probe, String.raw`process.on("exit", () => require("node:fs").writeFileSync(process.env.PROBE_OUT, String(Object.keys(require.cache).some((f) => /[\/]node_modules[\/]jsonata[\/]/.test(f)))));` + "\n");
    const loadsJsonata = async (args: string[], name: string) => {
      const out = join(h.dir, `${name}.txt`);
      const run = await h.run(["loop", ...args, "--", "true"], { env: { NODE_OPTIONS: `--require ${probe}`, PROBE_OUT: out } });
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      return readFileSync(out, "utf8");
    };
    expect(await loadsJsonata(["--extra-filter", "args.i == 1"], "filtered")).toBe("true");
    expect(await loadsJsonata([], "plain")).toBe("false");
    expect((await h.tasks()).map((t) => t.status)).toEqual(["success", "success"]);
  });
});

describe("labtasker loop: failures and the job's own report", () => {
  it("reports a failing command with v1's summary; the task is retried until max_retries, each failure charged to the worker", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { x: 1 }, maxRetries: 2 });
    const run = await h.run(["loop", "-c", "echo attempt %(x); echo 'Traceback: boom' >&2; exit 3"]);
    // No terminal: both 10-second prompts take their defaults at once (report the failure, continue).
    expect(run.code).toBe(0);
    expect(run.stdout.match(/attempt 1/g)).toHaveLength(2);
    expect(run.stderr).toContain(`Task ${taskId} failed: Error running command: Job process finished with non-zero exit code: 3`);
    const task = await h.api.getTask(taskId);
    expect(task).toMatchObject({ status: "failed", retries: 2, workerId: null });
    const exception = task.summary.labtasker_exception as Record<string, string>;
    expect(exception.type).toBe("_LabtaskerJobFailed");
    expect(exception.message).toBe("Error running command: Job process finished with non-zero exit code: 3");
    expect(exception.traceback).toBe("attempt 1\nTraceback: boom\n"); // the end of the command's output
    const [worker] = (await h.api.lsWorkers()).content;
    expect(worker).toMatchObject({ status: "active", retries: 2 });
    const failedRun = h.runDirs().at(-1)!;
    expect(JSON.parse(readFileSync(join(failedRun, "status.json"), "utf8"))).toEqual({ status: "failed" });
    expect(JSON.parse(readFileSync(join(failedRun, "summary.json"), "utf8"))).toEqual(task.summary);
  });

  it("lets a child process's finish() win over the loop's report, with task_info() read from the run directory", async () => {
    await using h = await loopHarness();
    writeFileSync(
      join(h.dir, "child.mjs"),
      `
import { existsSync, writeFileSync } from "node:fs";
import { currentTaskId, currentWorkerId, finish, taskInfo } from ${JSON.stringify(RUNNER_DIST)};
import { parseJson } from ${JSON.stringify(RUNNER_DIST.replace("runner/index.js", "json.js"))};
const info = taskInfo();
const lock = process.env.LABTASKER_LOG_DIR + "/heartbeat.lock";
const before = existsSync(lock);
await finish("success", parseJson('{"acc": 0.93, "epochs": 3.0}'));
writeFileSync("child.json", JSON.stringify({ taskId: info.taskId, args: info.args, current: currentTaskId(), worker: currentWorkerId(), lockBefore: before, lockAfter: existsSync(lock) }));
process.exit(1); // the loop sees a failure, but the child's report stands
`,
    );
    const taskId = await h.api.submitTask({ args: { lr: 0.5 } });
    const run = await h.run(["loop", "--", process.execPath, "child.mjs", "%(lr)"]);
    expect(run.code).toBe(0);
    const child = JSON.parse(readFileSync(join(h.dir, "child.json"), "utf8")) as Record<string, unknown>;
    const [worker] = (await h.api.lsWorkers()).content;
    expect(child).toEqual({ taskId, args: { lr: 0.5 }, current: taskId, worker: worker!.workerId, lockBefore: true, lockAfter: false });
    const task = await h.api.getTask(taskId);
    expect(task.status).toBe("success");
    expect(task.retries).toBe(0);
    expect(isLosslessNumber(task.summary.epochs) && task.summary.epochs.value).toBe("3.0");
    expect(run.stderr).toContain("its own report stands");
    expect(JSON.parse(readFileSync(join(h.runDirs()[0]!, "status.json"), "utf8"))).toEqual({ status: "success" });
  });

  it("ends with the reason when the worker is suspended, running nothing", async () => {
    await using h = await loopHarness();
    const workerId = await h.api.createWorker();
    await h.api.reportWorkerStatus(workerId, "suspended");
    const taskId = await h.api.submitTask({ args: { i: 1 } });
    const run = await h.run(["loop", "--worker-id", workerId, "-c", "echo RAN %(i)"]);
    expect(run.code).toBe(0); // as v1
    expect(run.stderr).toContain(`Worker suspended. Worker '${workerId}' is suspended`);
    expect(run.stderr).toContain(`labtasker worker report ${workerId} active`);
    expect(run.stdout).not.toContain("RAN");
    expect((await h.api.getTask(taskId)).status).toBe("pending");
  });

  it("exits when the failures crash its worker, and LABTASKER_WORKER_ID reuses a worker", async () => {
    await using h = await loopHarness();
    const workerId = await h.api.createWorker({ maxRetries: 2 });
    for (let i = 0; i < 3; i++) await h.api.submitTask({ args: { i } });
    const run = await h.run(["loop", "-c", "echo run %(i); exit 1"], { env: { LABTASKER_WORKER_ID: workerId } });
    expect(run.stdout.match(/run /g)).toHaveLength(2);
    expect(run.stderr).toContain(`is crashed in queue`);
    expect(await h.api.getWorker(workerId)).toMatchObject({ status: "crashed", retries: 2 });
    expect((await h.api.lsWorkers()).content).toHaveLength(1);
  });

  it("tells a loop filtering on status == \"failed\" to re-queue those tasks first", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { x: 1 }, maxRetries: 1 });
    await h.api.fetchTask();
    await h.api.reportTaskStatus(taskId, "failed");
    const run = await h.run(["loop", "--extra-filter", 'status == "failed"', "-c", "echo %(x)"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("are all done.");
    expect(run.stderr).toContain("Only pending tasks are fetched, and the extra filter asks for status failed.");
    expect(run.stderr).toContain(`labtasker task update -f 'status == "failed"' --reset-pending`);
  });

  it("refuses a bad command, filter or duration with exit 2 before touching the queue", async () => {
    await using h = await loopHarness();
    const twoSources = await h.run(["loop", "-c", "echo", "--", "true"]);
    expect(twoSources.code).toBe(2);
    expect(twoSources.stderr).toContain("Only one of [CMD], [--command], or [--script-path] can be specified.");
    const empty = await h.run(["loop"]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("Command cannot be empty.");
    const syntax = await h.run(["loop", "-c", "echo %(a"]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain("Error when parsing cmd line at line 1, column 9:");
    expect(syntax.stderr).toContain("Command error with exception mismatched input '<EOF>'");
    const filter = await h.run(["loop", "-f", "args.x != 1", "-c", "true"]);
    expect(filter.code).toBe(2);
    const eta = await h.run(["loop", "--eta-max", "soon", "-c", "true"]);
    expect(eta.code).toBe(2);
    expect(eta.stderr).toContain("ETA max must be a valid duration string");
    expect((await h.api.lsWorkers()).content).toHaveLength(0);
  });

  it("fails at once when the server cannot be reached, instead of retrying as a running worker does", async () => {
    await using h = await loopHarness();
    const started = Date.now();
    const run = await h.run(["loop", "--", "true"], { env: { LABTASKER_API_BASE_URL: "http://127.0.0.1:1" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Cannot reach the labtasker server at http://127.0.0.1:1");
    expect(Date.now() - started).toBeLessThan(10_000); // the worker's client would retry for about a minute
  });
});

describe("labtasker loop: heartbeats, kills and signals", () => {
  it("keeps a long task alive past its heartbeat timeout with heartbeats; a killed loop's task comes back to pending", async () => {
    // heartbeat_interval 0.25 s: each fetch sets heartbeat_timeout 0.75 s, and the 2 s job outlives it ~3 times.
    // The test sweeps timeouts every 100 ms, as the server's sweeper does.
    await using h = await loopHarness({ heartbeatInterval: 0.25 });
    const sweeping = setInterval(() => void h.broker.expireAll(), 100);
    try {
      const alive = await h.api.submitTask({ args: { s: 2 } });
      const run = await h.run(["loop", "-c", "sleep %(s)"]);
      expect(run.code).toBe(0);
      const task = await h.api.getTask(alive);
      expect(task).toMatchObject({ status: "success", retries: 0 });
      expect(task.heartbeatTimeout).toBe(0.75); // 3 × heartbeat_interval

      const killed = await h.api.submitTask({ args: { s: 30 } });
      const loop = h.start(["loop", "-c", "echo $$ > job.pid; exec sleep %(s)"]);
      await waitFor(() => existsSync(join(h.dir, "job.pid")), "the job to start");
      const workerId = (await h.api.getTask(killed)).workerId!;
      loop.child.kill("SIGKILL"); // the worker dies: no more heartbeats, no report
      await loop.done;
      process.kill(Number(readFileSync(join(h.dir, "job.pid"), "utf8")), "SIGKILL"); // its orphaned job too
      const back = await waitFor(async () => {
        const t = await h.api.getTask(killed);
        return t.status === "pending" ? t : null;
      }, "the timeout to return the task to pending");
      expect(back).toMatchObject({ retries: 1, workerId: null });
      expect(back.summary.labtasker_error).toBe("Either heartbeat or task execution timed out");
      expect(await h.api.getWorker(workerId)).toMatchObject({ retries: 1 });
    } finally {
      clearInterval(sweeping);
    }
  });

  it.each([
    ["SIGTERM", "Interrupted", 143],
    ["SIGINT", "KeyboardInterrupt", 130],
  ] as const)("on %s: the command gets the signal, the task is reported, the loop ends by the signal", async (signal, type, code) => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { i: 1 }, priority: 20 });
    const untouched = await h.api.submitTask({ args: { i: 2 } });
    const trap = signal === "SIGTERM" ? "TERM" : "INT";
    const loop = h.start(["loop", "-c", `trap 'echo got ${trap} > got.txt; exit 7' ${trap}; echo started %(i) > started.txt; while :; do sleep 0.05; done`]);
    await waitFor(() => existsSync(join(h.dir, "started.txt")), "the command to start");
    loop.child.kill(signal);
    const run = await loop.done;
    // Ended by the signal itself (or 128+n where the signal was ignored), so a calling shell script stops too.
    expect(run.signal === signal || run.code === code).toBe(true);
    expect(readFileSync(join(h.dir, "got.txt"), "utf8").trim()).toBe(`got ${trap}`);
    const task = await h.api.getTask(taskId);
    expect(task).toMatchObject({ status: "pending", retries: 1, workerId: null });
    expect(task.summary.labtasker_exception).toMatchObject({ type, message: `Interrupted by ${signal}: Error running command: Job process finished with non-zero exit code: 7` });
    expect((await h.api.getTask(untouched)).status).toBe("pending");
    expect(run.stderr).toContain("Loop ended.");
    // The worker the loop created is removed when the user stops the loop.
    const workers = (await h.api.lsWorkers()).content;
    expect(workers).toHaveLength(0);
    await expect(h.api.getWorker(task.workerId ?? "none")).rejects.toBeInstanceOf(WorkerNotFoundError);
  });

  it("with --use-pty runs the command under a pseudo-terminal, and Ctrl+C reaches it there", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { i: 1 } });
    const loop = h.start(["loop", "--use-pty", "-c", "[ -t 1 ] && printf '\\033[32mon a tty\\033[0m\\n'; trap 'echo got INT; exit 7' INT; echo started > started.txt; while :; do sleep 0.05; done # %(i)"]);
    await waitFor(() => existsSync(join(h.dir, "started.txt")), "the command to start");
    loop.child.kill("SIGINT");
    const run = await loop.done;
    expect(run.signal === "SIGINT" || run.code === 130).toBe(true);
    // The terminal gets the bytes as they are (colour, CRLF from the pty); run.log gets them clean.
    expect(run.stdout).toContain("\u001b[32mon a tty\u001b[0m\r\n");
    expect(run.stdout).toContain("got INT");
    const log = readFileSync(join(h.runDirs()[0]!, "run.log"), "utf8");
    expect(log).toContain("on a tty\n");
    expect(log).not.toContain("\u001b");
    expect(log).not.toContain("\r\n");
    expect(await h.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 1 });
  });

  it("exits at once on a second Ctrl+C, killing a command that ignores the first", async () => {
    await using h = await loopHarness();
    const taskId = await h.api.submitTask({ args: { i: 1 } });
    const loop = h.start(["loop", "-c", "trap '' INT; echo $$ > job.pid; while :; do sleep 0.05; done # %(i)"]);
    await waitFor(() => existsSync(join(h.dir, "job.pid")), "the command to start");
    const jobPid = Number(readFileSync(join(h.dir, "job.pid"), "utf8"));
    loop.child.kill("SIGINT");
    await waitFor(() => loop.stderr.includes("Received SIGINT: stopping the loop"), "the first Ctrl+C to be handled");
    expect(pidAlive(jobPid)).toBe(true); // it ignores SIGINT: the loop waits for it
    const sent = Date.now();
    loop.child.kill("SIGINT");
    const run = await loop.done;
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(run.signal === "SIGINT" || run.code === 130).toBe(true);
    expect(run.stderr).toContain("Received SIGINT again: exiting at once");
    await waitFor(() => !pidAlive(jobPid), "the command to be killed", 3000);
    // Not reported: the task is still running until its heartbeat timeout returns it.
    expect((await h.api.getTask(taskId)).status).toBe("running");
  });
});

describe("labtasker loop: direct mode (no server)", () => {
  it("drains the queue straight on Redis", async () => {
    await using h = await loopHarness({ mode: "direct" });
    const { out, job } = setupRecorder(h);
    const ids = [await h.api.submitTask({ args: { n: 1 } }), await h.api.submitTask({ args: { n: 2 } })];
    const run = await h.run(["loop", "--", process.execPath, job, "%(n)"], { env: { OUT_DIR: out } });
    expect(run.code).toBe(0);
    const recs = records(out);
    expect(ids.map((id) => recs[id]?.argv)).toEqual([["1"], ["2"]]);
    expect((await h.tasks()).map((t) => t.status)).toEqual(["success", "success"]);
  });
});
