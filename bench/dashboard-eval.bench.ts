/**
 * What the dashboard's slow views cost the server, without a browser: the evaluations over every task of a
 * 100,000-task queue (2,000 finished with a summary) behind a filtered view's total (a filtered count), a view sorted
 * by an argument and by a result, and the first page of `task ls -f` (the CLI's order, from a listing snapshot).
 * Each is cold: a task is submitted first, so the queue's revision changes and nothing is answered from a cache.
 * Reported per evaluation: the wall time, this process's CPU time and Redis's (INFO), medians of the repetitions.
 * CPU time varies far less than wall time when other work shares the machine.
 *
 * Run: `npm run bench -- dashboard-eval --reps N`.
 */
import { Redis } from "ioredis";
import { Broker } from "../src/broker/broker.js";
import type { LsTasksOptions } from "../src/core/api.js";
import { compileFilter } from "../src/filter/index.js";
import { flushAll, sweepTask } from "./lib/fixtures.js";
import { startRedis } from "./lib/redis.js";
import { median } from "./lib/stats.js";
import { nowMs } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const TASKS = 100_000;
const FINISHED = 2_000;
const FILL_CHUNK = 5_000;
const FILTER = 'args.lr >= 0.005 and args.model == "vit_b16"';
const CLI_ORDER: Array<[string, 1 | -1]> = [["priority", -1], ["last_modified", 1], ["created_at", 1]];

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const reps = options.repetitions ?? 5;
  const log = options.log ?? (() => undefined);
  const own = options.redisUrl ? undefined : await startRedis();
  const redisUrl = options.redisUrl ?? own!.url;
  await flushAll(redisUrl);
  const redis = new Redis(redisUrl);
  const admin = new Redis(redisUrl);
  const broker = new Broker({ redis, keyPrefix: "bench-dashboard-eval" });
  try {
    const queueId = await broker.queues.create({ queueName: "eval", password: "bench-password", metadata: null });
    for (let start = 0; start < TASKS; start += FILL_CHUNK) {
      await broker.tasks.submit(queueId, Array.from({ length: FILL_CHUNK }, (_, i) => sweepTask(start + i)));
    }
    for (let i = 0; i < FINISHED; i++) {
      const task = await broker.tasks.fetch(queueId, { startHeartbeat: true });
      await broker.tasks.report(queueId, task!.taskId, i % 10 === 0 ? "failed" : "success", { summary: { acc: (i % 100) / 100 } });
    }
    const extraFilter = compileFilter(FILTER).mongo;
    let snapshots = 0;
    const cases: Array<[string, () => Promise<unknown>]> = [
      ["filtered count (a filtered view's total)", () => broker.listing.counts(queueId, { extraFilter })],
      ["sorted by args.lr, page 1", () => broker.listing.tasksPage(queueId, { sort: [["args.lr", -1]], limit: 50 })],
      ["sorted by summary.acc, page 1", () => broker.listing.tasksPage(queueId, { sort: [["summary.acc", -1]], limit: 50 })],
      ["task ls -f: first page of 1,000 (CLI order, snapshot)", () => broker.listing.tasks(queueId, { extraFilter, sort: CLI_ORDER, limit: 1000, snapshot: `eval${snapshots++}` } as LsTasksOptions)],
    ];
    const rows: BenchResult[] = [];
    for (const [name, evaluate] of cases) {
      const samples: Array<{ wall: number; node: number; redis: number }> = [];
      for (let rep = 0; rep < reps + 1; rep++) {
        await broker.tasks.submit(queueId, [sweepTask(TASKS + rep)]); // a new revision: nothing cached
        const cpu = process.cpuUsage();
        const redisBefore = await redisCpuMs(admin);
        const start = nowMs();
        await evaluate();
        const wall = nowMs() - start;
        const used = process.cpuUsage(cpu);
        const sample = { wall, node: (used.user + used.system) / 1000, redis: (await redisCpuMs(admin)) - redisBefore };
        if (rep > 0) samples.push(sample); // the first warms the JIT
        log(`${name}: ${rep === 0 ? "warm-up" : `#${rep}`} wall ${wall.toFixed(0)} ms, node cpu ${sample.node.toFixed(0)} ms, redis cpu ${sample.redis.toFixed(0)} ms`);
      }
      const of = (key: "wall" | "node" | "redis") => median(samples.map((s) => s[key]));
      rows.push({ name: `eval 100k: ${name}`, value: of("wall"), unit: `ms (cpu: node ${of("node").toFixed(0)}, redis ${of("redis").toFixed(0)} ms)` });
    }
    return rows;
  } finally {
    await broker.close();
    redis.disconnect();
    admin.disconnect();
    await own?.[Symbol.asyncDispose]();
  }
}
