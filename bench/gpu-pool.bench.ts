/**
 * The GPU pool and log capture, through our HTTP server (in this process), with the real CLI:
 *
 * - Idle gap per slot: `labtasker loop --gpus all` on a fake nvidia-smi reporting 4 GPUs drains 200 tasks; each run
 *   records when its command started and ended (ns, per slot), and the gap is the time between one command's end and
 *   the next command's start in the same slot (report, fetch, run directory, spawn). Goal: p50 under 20 ms.
 * - Log capture: one loop runs 5 tasks of a job writing 10 MB to stdout (stdout /dev/null, so no pseudo-terminal),
 *   with the output sent to the server and with `--no-upload-logs`, alternately in each repetition; a task's run time
 *   is from its start to its report (start_time to last_modified, the report riding on the next fetch). The figure is
 *   the median run time with upload over without. Goal: under 5% more. A run's last batch goes with the upload's next
 *   250 ms tick, during a later run or in the loop's final drain, so a second figure counts it wherever it lands: the
 *   whole drain, from the first task's start to the loop's exit (every upload and the final drain included), with
 *   upload over without.
 *
 * The loops' directory (their LABTASKER_ROOT, where each run's directory and files are made) is under the
 * repository's `.bench-scratch/`, as a user's `./.labtasker` is under their project, not under the system's temporary
 * directory: on a machine whose test suites create and delete many files there, an ext4 without a journal looks past
 * every recently deleted inode of that directory's group for each new file, which added 3 to 5 ms to the gap on the
 * development machine (docs/benchmarks.md, the idle gap's fifth round). `BENCH_SCRATCH_DIR` puts it elsewhere; where
 * the repository cannot be written, the system's temporary directory is used (and said).
 *
 * Run: `npm run build && npm run bench -- gpu-pool` (or `npx tsx bench/gpu-pool.bench.ts` for this module alone).
 */
import { spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { Broker } from "../src/broker/broker.js";
import { DirectLabtasker } from "../src/broker/direct.js";
import { createApp } from "../src/http/app.js";
import { startRedis } from "./lib/redis.js";
import { median } from "./lib/stats.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const CLI = resolve(import.meta.dirname, "../dist/cli/main.js");
const SCRATCH = process.env.BENCH_SCRATCH_DIR || resolve(import.meta.dirname, "../.bench-scratch");
const POOL_TASKS = 200;
const GAP_GOAL_MS = 20;
const LOG_TASKS = 5;
const LOG_BYTES = 10_000_000;
const OVERHEAD_GOAL = 0.05;

const GPU_LIST = Array.from({ length: 4 }, (_, i) => `${i}, GPU-00000000-0000-0000-0000-00000000000${i}, NVIDIA A100-SXM4-80GB, 81920 MiB\n`).join("");

interface Queue {
  api: DirectLabtasker;
  env: NodeJS.ProcessEnv;
  dir: string;
  close(): Promise<void>;
}

/**
 * The repetitions' directories, removed only when the benchmark ends: removed after each, their thousand files'
 * inodes were still recent for the next repetition's, which ext4 without a journal then searched past (above).
 */
const used: string[] = [];

/** {@link SCRATCH}, made if missing; the system's temporary directory (said once) where it cannot be made. */
let scratch: string | undefined;
function scratchParent(): string {
  if (scratch !== undefined) return scratch;
  try {
    mkdirSync(SCRATCH, { recursive: true });
    scratch = SCRATCH;
  } catch (error) {
    scratch = tmpdir();
    process.stderr.write(`gpu-pool bench: cannot make ${SCRATCH} (${(error as Error).message}): the loops write under ${scratch} (set BENCH_SCRATCH_DIR)\n`);
  }
  return scratch;
}

/** A fresh queue served over HTTP from this process, and a scratch directory with a fake nvidia-smi on the PATH. */
async function openQueue(redisUrl: string): Promise<Queue> {
  const redis = new Redis(redisUrl);
  const broker = new Broker({ redis, keyPrefix: `bench-pool-${Math.random().toString(36).slice(2, 10)}` });
  await broker.queues.create({ queueName: "bench", password: "pw" });
  const { app } = createApp({ broker });
  const server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  const dir = mkdtempSync(join(scratchParent(), "labtasker-pool-bench-"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "nvidia-smi"), `#!/bin/sh\nprintf '%s' '${GPU_LIST}'\n`);
  chmodSync(join(dir, "bin", "nvidia-smi"), 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
    LABTASKER_ROOT: join(dir, ".labtasker"),
    LABTASKER_QUEUE_NAME: "bench",
    LABTASKER_PASSWORD: "pw",
    LABTASKER_API_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
  delete env.LABTASKER_REDIS_URL;
  return {
    api: new DirectLabtasker(broker, { queueName: "bench", password: "pw" }),
    env,
    dir,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await broker.close();
      redis.disconnect();
      used.push(dir); // removed when the benchmark ends (see `used`)
    },
  };
}

/**
 * Runs the CLI to its end (stdout to /dev/null, stderr to a file); rejects on a non-zero exit. Not a pipe to this
 * process: this process is the server, and reading the pool's lines (three per task) took its event loop from the
 * requests whose latency the gap measures; a user's pool writes them to a terminal or a file, not into the server.
 */
function runCli(args: string[], queue: Queue): Promise<void> {
  const errFile = join(queue.dir, "cli-stderr.txt");
  const errFd = openSync(errFile, "w");
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: queue.env, cwd: queue.dir, stdio: ["ignore", "ignore", errFd] });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) return resolvePromise();
      reject(new Error(`labtasker ${args.join(" ")} exited ${code}: ${readFileSync(errFile, "utf8").slice(-4000)}`));
    });
  }).finally(() => closeSync(errFd));
}

/** One repetition of the pool: every idle gap (ms) between a command's end and the next start in its slot. */
async function poolGaps(redisUrl: string): Promise<number[]> {
  const queue = await openQueue(redisUrl);
  try {
    await queue.api.submitTasks(Array.from({ length: POOL_TASKS }, (_, i) => ({ args: { i } })));
    const out = join(queue.dir, "out");
    mkdirSync(out);
    // `date` from the shell's own builtin is not portable: each stamp is one short process, the same at both ends.
    writeFileSync(join(queue.dir, "job.sh"), `echo "s $(date +%s%N)" >> "${out}/$LABTASKER_GPU_SLOT"\necho "e $(date +%s%N)" >> "${out}/$LABTASKER_GPU_SLOT"\n`);
    await runCli(["loop", "--gpus", "all", "--", "sh", "job.sh", "%(i)"], queue);
    const gaps: number[] = [];
    for (const file of readdirSync(out)) {
      const stamps = readFileSync(join(out, file), "utf8").trim().split("\n").map((line) => [line[0], Number(line.slice(2)) / 1e6] as const);
      for (let i = 1; i + 1 < stamps.length; i += 2) if (stamps[i]![0] === "e" && stamps[i + 1]![0] === "s") gaps.push(stamps[i + 1]![1] - stamps[i]![1]);
    }
    if (gaps.length < POOL_TASKS - 8) throw new Error(`only ${gaps.length} gaps recorded for ${POOL_TASKS} tasks`);
    return gaps;
  } finally {
    await queue.close();
  }
}

/** One run of the chatty job on one loop: the median run time of its tasks, and the whole drain, in ms. */
async function chattyRun(redisUrl: string, upload: boolean): Promise<{ run: number; drain: number }> {
  const queue = await openQueue(redisUrl);
  try {
    await queue.api.submitTasks(Array.from({ length: LOG_TASKS }, (_, i) => ({ args: { i } })));
    writeFileSync(join(queue.dir, "job.sh"), `seq 1 3000000 | head -c ${LOG_BYTES}\n`);
    await runCli(["loop", ...(upload ? [] : ["--no-upload-logs"]), "--", "sh", "job.sh", "%(i)"], queue);
    const exited = Date.now();
    const tasks = (await queue.api.lsTasks({ limit: 100 })).content;
    if (tasks.some((t) => t.status !== "success")) throw new Error("the chatty job failed");
    if (upload && (await queue.api.readTaskLog(tasks[0]!.taskId)).offset === 0) throw new Error("the output was not uploaded");
    const firstStart = Math.min(...tasks.map((t) => t.startTime!.getTime()));
    return { run: median(tasks.map((t) => t.lastModified.getTime() - t.startTime!.getTime())), drain: exited - firstStart };
  } finally {
    await queue.close();
  }
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const repetitions = options.repetitions ?? 5;
  const log = options.log ?? (() => undefined);
  const own = options.redisUrl ? undefined : await startRedis();
  const redisUrl = options.redisUrl ?? own!.url;
  try {
    const p50s: number[] = [];
    const p90s: number[] = [];
    for (let rep = 0; rep < repetitions; rep++) {
      const gaps = (await poolGaps(redisUrl)).sort((a, b) => a - b);
      p50s.push(median(gaps));
      p90s.push(gaps[Math.floor(gaps.length * 0.9)]!);
      log(`gpu pool rep ${rep + 1}/${repetitions}: idle gap p50 ${p50s.at(-1)!.toFixed(1)} ms, p90 ${p90s.at(-1)!.toFixed(1)} ms (${gaps.length} gaps)`);
    }
    const ratios: number[] = [];
    const withUpload: number[] = [];
    const without: number[] = [];
    const drainRatios: number[] = [];
    const drainWith: number[] = [];
    const drainWithout: number[] = [];
    for (let rep = 0; rep < repetitions; rep++) {
      // Alternated, so a machine getting busier or quieter weighs on both alike.
      const off = await chattyRun(redisUrl, false);
      const on = await chattyRun(redisUrl, true);
      without.push(off.run);
      withUpload.push(on.run);
      ratios.push(on.run / off.run);
      drainWithout.push(off.drain);
      drainWith.push(on.drain);
      drainRatios.push(on.drain / off.drain);
      log(`10 MB job rep ${rep + 1}/${repetitions}: run ${on.run.toFixed(0)} ms with upload, ${off.run.toFixed(0)} ms without; drain of ${LOG_TASKS} ${on.drain.toFixed(0)} / ${off.drain.toFixed(0)} ms`);
    }
    const gap = median(p50s);
    const overhead = median(ratios) - 1;
    return [
      { name: "GPU pool: idle gap per slot between a task's end and the next start, p50 (4 slots, fake nvidia-smi, HTTP)", value: gap, unit: "ms", goal: `< ${GAP_GOAL_MS} ms`, pass: gap < GAP_GOAL_MS },
      { name: "GPU pool: idle gap per slot, p90", value: median(p90s), unit: "ms" },
      {
        name: "log upload: run time of a job writing 10 MB to stdout, with upload over without",
        value: median(withUpload),
        unit: "ms",
        anchor: "--no-upload-logs",
        anchorValue: median(without),
        ratio: median(ratios),
        goal: `< ${1 + OVERHEAD_GOAL}x`,
        pass: overhead < OVERHEAD_GOAL,
      },
      {
        name: `log upload: drain of ${LOG_TASKS} such tasks, first start to the loop's exit (every upload included), with upload over without`,
        value: median(drainWith),
        unit: "ms",
        anchor: "--no-upload-logs",
        anchorValue: median(drainWithout),
        ratio: median(drainRatios),
      },
    ];
  } finally {
    await own?.stop();
    for (const dir of used.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx bench/gpu-pool.bench.ts`: this module on its own, with its own redis-server.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await run({ repetitions: Number(process.env.BENCH_REPS ?? 3), log: (message) => process.stderr.write(`${message}\n`) });
  for (const row of rows) console.log(`${row.name}: ${row.value.toFixed(2)} ${row.unit}${row.ratio ? ` (${row.ratio.toFixed(3)}x)` : ""}${row.goal ? ` (goal ${row.goal}: ${row.pass ? "pass" : "FAIL"})` : ""}`);
}
