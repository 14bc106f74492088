/**
 * Loop overhead: what `labtasker loop -- true` costs per task besides the command itself (fetch, run directory and
 * task_info.json, heartbeat, spawning the command, summary/status files, report), through our HTTP server and in
 * direct mode. Goal: under 20 ms per task (median).
 *
 * Each repetition submits N no-arg tasks to a fresh queue, runs the real CLI (`node dist/cli/main.js loop -- true`,
 * stdout a pipe, so no pseudo-terminal) until the queue is empty, and takes the median of the intervals between
 * consecutive tasks' start_time (each interval is one full cycle: report, next fetch, files, spawn, exit). Start-up
 * (Node, config, connection, worker creation) is outside those intervals. The figure is the median over the
 * repetitions. For scale, the table also shows what Node alone needs to spawn `true` and wait for it.
 *
 * Run: `npm run build && npm run bench -- loop` (or `npx tsx bench/loop.bench.ts` for this module alone).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
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
import { nowMs } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

/** Tasks drained per repetition. */
const TASKS = 200;
const GOAL_MS = 20;
const CLI = resolve(import.meta.dirname, "../dist/cli/main.js");

type Mode = "server" | "direct";

/** Runs the CLI to its end; rejects on a non-zero exit. */
function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise() : reject(new Error(`loop exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

/** One repetition: the median interval between consecutive task starts, in ms. */
async function drain(redisUrl: string, mode: Mode): Promise<number> {
  const keyPrefix = `bench-loop-${Math.random().toString(36).slice(2, 10)}`;
  const redis = new Redis(redisUrl);
  const broker = new Broker({ redis, keyPrefix });
  const dir = mkdtempSync(join(tmpdir(), "labtasker-loop-bench-"));
  let server: Server | undefined;
  try {
    await broker.queues.create({ queueName: "bench", password: "pw" });
    const api = new DirectLabtasker(broker, { queueName: "bench", password: "pw" });
    await api.submitTasks(Array.from({ length: TASKS }, (_, i) => ({ args: { i } })));
    const env: NodeJS.ProcessEnv = { ...process.env, LABTASKER_ROOT: join(dir, ".labtasker"), LABTASKER_QUEUE_NAME: "bench", LABTASKER_PASSWORD: "pw" };
    if (mode === "direct") {
      Object.assign(env, { LABTASKER_REDIS_URL: redisUrl, LABTASKER_KEY_PREFIX: keyPrefix });
    } else {
      const { app } = createApp({ broker });
      server = await new Promise<Server>((r) => {
        const s = app.listen(0, "127.0.0.1", () => r(s));
      });
      env.LABTASKER_API_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      delete env.LABTASKER_REDIS_URL;
    }
    await runCli(["loop", "--", "true"], env, dir);
    const tasks = (await api.lsTasks({ limit: 1000, sort: [["start_time", 1]] })).content;
    if (tasks.length !== TASKS || tasks.some((t) => t.status !== "success")) throw new Error(`the loop did not run all ${TASKS} tasks to success`);
    const starts = tasks.map((t) => t.startTime!.getTime());
    return median(starts.slice(1).map((start, i) => start - starts[i]!));
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
    }
    await broker.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median time for Node to spawn `true` and see it exit (the floor under the loop's per-task cost). */
async function spawnTrue(count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = nowMs();
    await new Promise<void>((r, reject) => {
      const child = spawn("true", [], { stdio: ["ignore", "pipe", "pipe"], detached: true });
      child.on("error", reject);
      child.on("close", () => r());
    });
    times.push(nowMs() - start);
  }
  return median(times);
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const repetitions = options.repetitions ?? 5;
  const log = options.log ?? (() => undefined);
  const own = options.redisUrl ? undefined : await startRedis();
  const redisUrl = options.redisUrl ?? own!.url;
  try {
    const results: BenchResult[] = [];
    for (const mode of ["server", "direct"] as const) {
      const medians: number[] = [];
      for (let rep = 0; rep < repetitions; rep++) {
        medians.push(await drain(redisUrl, mode));
        log(`loop -- true (${mode}) rep ${rep + 1}/${repetitions}: ${medians.at(-1)} ms per task`);
      }
      const value = median(medians);
      results.push({
        name: `loop overhead per task, \`labtasker loop -- true\` (${mode === "server" ? "HTTP server" : "direct mode"})`,
        value,
        unit: "ms",
        goal: `< ${GOAL_MS} ms`,
        pass: value < GOAL_MS,
      });
    }
    results.push({ name: "for scale: Node spawns `true` and waits for it", value: await spawnTrue(100), unit: "ms" });
    return results;
  } finally {
    await own?.stop();
  }
}

// `npx tsx bench/loop.bench.ts`: this module on its own, with its own redis-server.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await run({ log: (message) => process.stderr.write(`${message}\n`) });
  for (const row of rows) console.log(`${row.name}: ${row.value.toFixed(2)} ${row.unit}${row.goal ? ` (goal ${row.goal}: ${row.pass ? "pass" : "FAIL"})` : ""}`);
}
