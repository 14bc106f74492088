/**
 * The store benchmarks of the foundation: labtasker-redis's broker (direct mode) against BullMQ on the same
 * redis-server, in the same process, with the same payload (5 args, a priority on every task).
 *
 * - submit: one-by-one, 50 in flight, and bulk; ratio = our tasks/s / BullMQ's jobs/s; goal >= 1.0x.
 * - fetch + report of no-op tasks at concurrency 1 and 8 against a BullMQ Worker with a no-op processor; goal >= 1.0x.
 * - fetch latency (p50, p99) with 1k, 100k and 1M pending tasks, fetching by 5 required fields; goal < 1 ms and flat.
 * - Redis memory per pending task (INFO used_memory delta / tasks) at the server's hash-max-listpack-value and at
 *   Redis's default 64; goal <= 1 KB.
 *
 * Every figure is the median of N repetitions. Throughput repetitions start from an empty server (FLUSHALL) and
 * alternate the two sides in short timed blocks, so both run under the same background load (see compareThroughput).
 * docs/benchmarks.md describes each benchmark and the numbers.
 *
 * BENCH_STORE_PARTS (comma-separated: submit, fetch-report, latency, memory; all when unset) runs only those groups,
 * e.g. `BENCH_STORE_PARTS=fetch-report npx tsx bench/run.ts store --reps 5` for the fetch + report rows alone.
 */
import { createHash } from "node:crypto";
import type { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { DirectLabtasker } from "../src/broker/direct.js";
import { SCRIPTS } from "../src/store/scripts.generated.js";
import {
  ARG_KEYS,
  bullQueue,
  bullWorker,
  flushAll,
  labtaskerQueue,
  sweepJob,
  sweepTask,
  type SweepArgs,
} from "./lib/fixtures.js";
import { configGet, startRedis, usedMemory } from "./lib/redis.js";
import { median, percentile, ratioOf } from "./lib/stats.js";
import { formatNumber } from "./lib/table.js";
import { nowMs, perSecond, pool, settle, timeMs } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

/** Tasks per repetition of each benchmark. */
const COUNT = {
  sequential: 2_000,
  concurrent: 5_000,
  bulk: 20_000,
  fetchReport: { 1: 2_000, 8: 5_000 } as Record<number, number>,
  memory: 100_000,
};
/** Operations per timed block; the two sides alternate block by block. */
const BLOCK = { sequential: 250, concurrent: 500, bulk: 5_000, fetchReport: 500 };
const IN_FLIGHT = 50;
/** Timed fetches per repetition of a latency benchmark (each followed by an untimed submit that keeps N constant). */
const LATENCY_SAMPLES = 1_000;
const LATENCY_WARMUP = 200;
/** Fetches between two SLOWLOG reads (each fetch and submit logs about 25 entries, scripts' commands included). */
const SLOWLOG_CHUNK = 50;
const LATENCY_SIZES = [1_000, 100_000, 1_000_000];
/** Tasks per submitTasks call and calls in flight when filling a large queue. */
const FILL_CHUNK = 10_000;
const FILL_IN_FLIGHT = 2;
const REQUIRED_FIELDS = [...ARG_KEYS];
/** Flat: a latency percentile at a size at most this many times the same percentile at the smallest size. */
const FLAT_FACTOR = 1.5;
const REDIS_DEFAULT_HASH_MAX_LISTPACK_VALUE = 64;

type Log = (message: string) => void;

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log: Log = options.log ?? (() => undefined);
  const reps = options.repetitions ?? 5;
  const own = options.redisUrl === undefined ? await startRedis() : undefined;
  const url = options.redisUrl ?? own!.url;
  try {
    const sizes = options.skipLarge ? LATENCY_SIZES.filter((size) => size < 1_000_000) : LATENCY_SIZES;
    const parts = selectedParts(process.env.BENCH_STORE_PARTS);
    return [
      ...(parts.has("submit") ? await submitBenchmarks(url, reps, log) : []),
      ...(parts.has("fetch-report") ? await fetchReportBenchmarks(url, reps, log) : []),
      ...(parts.has("latency") ? await latencyBenchmarks(url, reps, sizes, log) : []),
      ...(parts.has("memory") ? await memoryBenchmarks(url, reps, log) : []),
    ];
  } finally {
    await flushAll(url);
    await own?.stop();
  }
}

const PARTS = ["submit", "fetch-report", "latency", "memory"] as const;
type Part = (typeof PARTS)[number];

/** The groups of rows to run: those BENCH_STORE_PARTS names, or all of them. */
function selectedParts(list: string | undefined): Set<Part> {
  if (list === undefined || list.trim() === "") return new Set(PARTS);
  const names = list.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !(PARTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new RangeError(`BENCH_STORE_PARTS must name some of ${PARTS.join(", ")} (got ${unknown.join(", ")})`);
  return new Set(names as Part[]);
}

// Throughput: ours vs BullMQ, interleaved in blocks on one server.

/** One side of a throughput comparison, set up on an empty server. */
interface Contender {
  /** Does about `n` operations and resolves to how many it did. */
  block(n: number): Promise<number>;
  close(): Promise<void>;
}

interface Comparison {
  url: string;
  name: string;
  anchor: string;
  /** Operations per side per repetition, done in blocks of `blockSize`. */
  total: number;
  blockSize: number;
  ours: () => Promise<Contender>;
  bull: () => Promise<Contender>;
}

/**
 * Each repetition empties the server, sets up both sides, warms each up with one untimed block, then alternates
 * timed blocks (ours, BullMQ, BullMQ, ours, ...) until each has done `total` operations. Alternating in blocks of a
 * fraction of a second puts both sides under the same background load, which on a shared 2-core machine swings
 * several-fold within seconds. A repetition yields both throughputs and their ratio; the row holds the median of
 * each (the ratio column is the median of the per-repetition ratios).
 */
async function compareThroughput(spec: Comparison, reps: number, log: Log): Promise<BenchResult> {
  const ours: number[] = [];
  const bull: number[] = [];
  const ratios: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    await flushAll(spec.url);
    const sides = [await spec.ours(), await spec.bull()] as const;
    try {
      const done = [0, 0];
      const ms = [0, 0];
      for (const side of sides) await side.block(Math.min(spec.blockSize, 200));
      await settle();
      for (let turn = 0; done[0]! < spec.total || done[1]! < spec.total; turn++) {
        // ABBA order: which side goes first alternates every turn and every repetition.
        const order = (turn + rep) % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          const n = Math.min(spec.blockSize, spec.total - done[i]!);
          if (n <= 0) continue;
          const start = nowMs();
          done[i]! += await sides[i]!.block(n);
          ms[i]! += nowMs() - start;
        }
      }
      ours.push(perSecond(done[0]!, ms[0]!));
      bull.push(perSecond(done[1]!, ms[1]!));
      ratios.push(ours.at(-1)! / bull.at(-1)!);
      log(`${spec.name} #${rep + 1}: ours ${formatNumber(ours.at(-1))}, BullMQ ${formatNumber(bull.at(-1))} tasks/s (${ratios.at(-1)!.toFixed(2)}x)`);
    } finally {
      for (const side of sides) await side.close();
    }
  }
  const ratio = median(ratios);
  return {
    name: spec.name,
    value: median(ours),
    unit: "tasks/s",
    anchor: spec.anchor,
    anchorValue: median(bull),
    ratio,
    goal: ">= 1.0x",
    pass: ratio >= 1,
  };
}

async function ourContender(url: string, block: (api: DirectLabtasker, n: number) => Promise<number>, prefill = 0): Promise<Contender> {
  const fixture = await labtaskerQueue(url);
  for (let start = 0; start < prefill; start += FILL_CHUNK) {
    await fixture.api.submitTasks(Array.from({ length: Math.min(FILL_CHUNK, prefill - start) }, (_, i) => sweepTask(start + i)));
  }
  return {
    block: (n) => block(fixture.api, n),
    close: async () => {
      await fixture[Symbol.asyncDispose]();
    },
  };
}

async function bullContender(url: string, block: (queue: Queue<SweepArgs>, n: number) => Promise<number>): Promise<Contender> {
  const fixture = await bullQueue(url);
  return {
    block: (n) => block(fixture.queue, n),
    close: async () => {
      await fixture[Symbol.asyncDispose]();
    },
  };
}

async function submitBenchmarks(url: string, reps: number, log: Log): Promise<BenchResult[]> {
  const n = Math.max(COUNT.sequential, COUNT.concurrent, COUNT.bulk) + 1_000;
  const tasks = Array.from({ length: n }, (_, i) => sweepTask(i));
  const jobs = Array.from({ length: n }, (_, i) => sweepJob(i));
  // Each side walks through the same payloads in the same order.
  const cursor = () => {
    let next = 0;
    return (count: number) => {
      const first = next;
      next += count;
      if (next > n) throw new Error("submit benchmark ran out of payloads");
      return first;
    };
  };
  const add = (queue: Queue<SweepArgs>, i: number) => queue.add(jobs[i]!.name, jobs[i]!.data, jobs[i]!.opts);
  return [
    await compareThroughput({
      url,
      name: "submit one-by-one",
      anchor: "BullMQ queue.add",
      total: COUNT.sequential,
      blockSize: BLOCK.sequential,
      ours: () => {
        const take = cursor();
        return ourContender(url, async (api, count) => {
          const first = take(count);
          for (let i = first; i < first + count; i++) await api.submitTask(tasks[i]!);
          return count;
        });
      },
      bull: () => {
        const take = cursor();
        return bullContender(url, async (queue, count) => {
          const first = take(count);
          for (let i = first; i < first + count; i++) await add(queue, i);
          return count;
        });
      },
    }, reps, log),
    await compareThroughput({
      url,
      name: `submit concurrent (${IN_FLIGHT} in flight)`,
      anchor: `BullMQ queue.add, ${IN_FLIGHT} in flight`,
      total: COUNT.concurrent,
      blockSize: BLOCK.concurrent,
      ours: () => {
        const take = cursor();
        return ourContender(url, async (api, count) => {
          const first = take(count);
          await pool(count, IN_FLIGHT, (i) => api.submitTask(tasks[first + i]!));
          return count;
        });
      },
      bull: () => {
        const take = cursor();
        return bullContender(url, async (queue, count) => {
          const first = take(count);
          await pool(count, IN_FLIGHT, (i) => add(queue, first + i));
          return count;
        });
      },
    }, reps, log),
    await compareThroughput({
      url,
      name: `submit bulk (${formatNumber(BLOCK.bulk)} a call)`,
      anchor: "BullMQ queue.addBulk",
      total: COUNT.bulk,
      blockSize: BLOCK.bulk,
      ours: () => {
        const take = cursor();
        return ourContender(url, async (api, count) => {
          const first = take(count);
          await api.submitTasks(tasks.slice(first, first + count));
          return count;
        });
      },
      bull: () => {
        const take = cursor();
        return bullContender(url, async (queue, count) => {
          const first = take(count);
          await queue.addBulk(jobs.slice(first, first + count));
          return count;
        });
      },
    }, reps, log),
  ];
}

async function fetchReportBenchmarks(url: string, reps: number, log: Log): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const concurrency of [1, 8]) {
    const total = COUNT.fetchReport[concurrency]!;
    // Both queues hold the same number of tasks; BullMQ's worker may finish up to `concurrency` jobs more than a
    // block asks for (those it holds when paused), which the margin covers.
    const prefill = total + 200 + concurrency * (Math.ceil(total / BLOCK.fetchReport) + 2);
    results.push(await compareThroughput({
      url,
      name: `fetch + report, concurrency ${concurrency}`,
      anchor: `BullMQ Worker, concurrency ${concurrency}`,
      total,
      blockSize: BLOCK.fetchReport,
      // Each of our workers reports its finished task inside the next fetch (one round trip per task), as a BullMQ
      // worker's moveToFinished hands back the next job; a lane keeps its claimed task across blocks.
      ours: () => {
        const held: Array<string | null> = Array.from({ length: concurrency }, () => null);
        return ourContender(url, async (api, count) => {
          let remaining = count;
          let lane = 0;
          await pool(concurrency, concurrency, async () => {
            const mine = lane++ % concurrency;
            while (remaining > 0) {
              remaining--;
              const previous = held[mine];
              const task = await api.fetchTask(previous ? { report: { taskId: previous, status: "success" } } : {});
              if (task === null) throw new Error("fetch + report ran out of tasks");
              held[mine] = task.taskId;
            }
          });
          return count;
        }, prefill);
      },
      bull: async () => {
        const fixture = await bullQueue(url);
        for (let start = 0; start < prefill; start += FILL_CHUNK) {
          await fixture.queue.addBulk(Array.from({ length: Math.min(FILL_CHUNK, prefill - start) }, (_, i) => sweepJob(start + i)));
        }
        const { worker, completed, count } = await bullWorker(url, concurrency);
        let running: Promise<void> | undefined;
        return {
          async block(n) {
            const before = count();
            // The worker runs only during its blocks: started (first block) or resumed, then paused, which waits
            // for the jobs it holds.
            if (running === undefined) running = worker.run();
            else worker.resume();
            await completed(before + n);
            await worker.pause();
            return count() - before;
          },
          async close() {
            await worker.close();
            await running;
            await fixture[Symbol.asyncDispose]();
          },
        };
      },
    }, reps, log));
  }
  return results;
}

// Fetch latency at a pending-queue size.

/** Fills the queue with `count` pending tasks by bulk submits, a few calls in flight; returns the milliseconds. */
async function fill(api: DirectLabtasker, count: number, log: Log): Promise<number> {
  const chunks = Math.ceil(count / FILL_CHUNK);
  return timeMs(() => pool(chunks, FILL_IN_FLIGHT, async (chunk) => {
    const start = chunk * FILL_CHUNK;
    const size = Math.min(FILL_CHUNK, count - start);
    await api.submitTasks(Array.from({ length: size }, (_, i) => sweepTask(start + i)));
    if (chunks >= 20 && (chunk + 1) % Math.ceil(chunks / 10) === 0) log(`  filled ${formatNumber((chunk + 1) * FILL_CHUNK)} of ${formatNumber(count)}`);
  }));
}

function sizeLabel(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : size >= 1_000 ? `${size / 1_000}k` : String(size);
}

/** Percentiles of one latency measurement, in ms: as the client sees it, and inside Redis (SLOWLOG). */
interface Latency {
  p50: number;
  p99: number;
  redisP50: number;
  redisP99: number;
}

/**
 * Fetch latency with `size` pending tasks. Each sample times one fetch by the 5 required fields as the caller sees it
 * (Node, ioredis, the network and Redis), then submits one task untimed, so the queue keeps `size` pending tasks.
 * Separate rounds read how long Redis spent on each fetch script from SLOWLOG (threshold 0 µs); that figure leaves
 * out the client, the network and most of the scheduling noise of a busy machine, so it shows whether the work
 * itself stays flat.
 */
async function latencyBenchmarks(url: string, reps: number, sizes: readonly number[], log: Log): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // A fetch shows in SLOWLOG as FCALL of its function (Redis 7+) or EVALSHA of its script.
  const fetchIds = new Set([SCRIPTS.fetchTask.functionName, createHash("sha1").update(SCRIPTS.fetchTask.lua).digest("hex")]);
  const admin = new Redis(url);
  const slowlog = { threshold: await configGet(admin, "slowlog-log-slower-than"), length: await configGet(admin, "slowlog-max-len") };
  let baseline: Latency | undefined;
  try {
    for (const size of sizes) {
      const label = sizeLabel(size);
      await flushAll(url);
      await using fixture = await labtaskerQueue(url);
      const { api } = fixture;
      log(`filling ${formatNumber(size)} pending tasks`);
      const fillMs = await fill(api, size, log);
      log(`filled ${formatNumber(size)} in ${(fillMs / 1000).toFixed(1)} s (${formatNumber(perSecond(size, fillMs))} tasks/s)`);
      await settle(200);

      let next = size;
      const sample = async (): Promise<number> => {
        const start = nowMs();
        const task = await api.fetchTask({ requiredFields: REQUIRED_FIELDS });
        const ms = nowMs() - start;
        if (task === null) throw new Error(`fetch found no task with ${formatNumber(size)} pending`);
        await api.submitTask(sweepTask(next++)); // keeps the pending count at `size`
        return ms;
      };
      for (let i = 0; i < LATENCY_WARMUP; i++) await sample();
      const rounds: Array<{ p50: number; p99: number }> = [];
      for (let rep = 0; rep < reps; rep++) {
        await settle();
        const samples: number[] = [];
        for (let i = 0; i < LATENCY_SAMPLES; i++) samples.push(await sample());
        rounds.push({ p50: percentile(samples, 50), p99: percentile(samples, 99) });
        log(`fetch @${label} #${rep + 1}: p50 ${rounds.at(-1)!.p50.toFixed(3)} ms, p99 ${rounds.at(-1)!.p99.toFixed(3)} ms`);
      }
      // Time inside Redis, in separate rounds: SLOWLOG then logs every command, those run by scripts too, which
      // slows each one a little (alike at every size), so the client-side rounds above run without it.
      const redisRounds: Array<{ p50: number; p99: number }> = [];
      await admin.config("SET", "slowlog-max-len", String(SLOWLOG_CHUNK * 40));
      await admin.config("SET", "slowlog-log-slower-than", "0");
      for (let rep = 0; rep < reps; rep++) {
        const inRedis: number[] = [];
        for (let chunk = 0; chunk < LATENCY_SAMPLES / SLOWLOG_CHUNK; chunk++) {
          await admin.slowlog("RESET");
          for (let i = 0; i < SLOWLOG_CHUNK; i++) await sample();
          const entries = (await admin.slowlog("GET", SLOWLOG_CHUNK * 40)) as Array<[number, number, number, string[]]>;
          const fetches = entries.filter((entry) => fetchIds.has(entry[3][1] ?? "")).map((entry) => entry[2] / 1000);
          if (fetches.length !== SLOWLOG_CHUNK) throw new Error(`SLOWLOG holds ${fetches.length} fetches of ${SLOWLOG_CHUNK}`);
          inRedis.push(...fetches);
        }
        redisRounds.push({ p50: percentile(inRedis, 50), p99: percentile(inRedis, 99) });
        log(`fetch @${label} in Redis #${rep + 1}: p50 ${redisRounds.at(-1)!.p50.toFixed(3)} ms, p99 ${redisRounds.at(-1)!.p99.toFixed(3)} ms`);
      }
      await admin.config("SET", "slowlog-log-slower-than", slowlog.threshold);
      const result: Latency = {
        p50: median(rounds.map((round) => round.p50)),
        p99: median(rounds.map((round) => round.p99)),
        redisP50: median(redisRounds.map((round) => round.p50)),
        redisP99: median(redisRounds.map((round) => round.p99)),
      };
      const anchor = baseline && `ours @${sizeLabel(sizes[0]!)}`;
      const row = (name: string, key: keyof Latency, goal: boolean): BenchResult => {
        const value = result[key];
        const base = baseline?.[key];
        return {
          name: `${name}, ${label} pending`,
          value,
          unit: "ms",
          ...(base !== undefined && { anchor, anchorValue: base, ratio: ratioOf(value, base) }),
          ...(goal && {
            goal: base === undefined ? "< 1 ms" : `< 1 ms, <= ${FLAT_FACTOR}x`,
            pass: value < 1 && (base === undefined || value <= FLAT_FACTOR * base),
          }),
        };
      };
      results.push(
        row("fetch latency p50", "p50", true),
        row("fetch latency p99", "p99", true),
        row("  fetch time in Redis p50", "redisP50", false),
        row("  fetch time in Redis p99", "redisP99", false),
      );
      if (size >= 100_000) results.push({ name: `fill ${label} pending (submitTasks)`, value: fillMs / 1000, unit: "s" });
      baseline ??= result;
    }
  } finally {
    await admin.config("SET", "slowlog-log-slower-than", slowlog.threshold);
    await admin.config("SET", "slowlog-max-len", slowlog.length);
    await admin.slowlog("RESET");
    admin.disconnect();
  }
  return results;
}

// Memory per pending task.

async function memoryBenchmarks(url: string, reps: number, log: Log): Promise<BenchResult[]> {
  const admin = new Redis(url);
  const results: BenchResult[] = [];
  const serverSetting = Number(await configGet(admin, "hash-max-listpack-value"));
  const settings = [...new Set([serverSetting, REDIS_DEFAULT_HASH_MAX_LISTPACK_VALUE])];
  const n = COUNT.memory;
  try {
    for (const setting of settings) {
      const measure = async (side: "ours" | "bull"): Promise<number> => {
        await flushAll(url);
        await admin.config("SET", "hash-max-listpack-value", String(setting));
        if (side === "ours") {
          await using fixture = await labtaskerQueue(url);
          await fixture.api.submitTask(sweepTask(n)); // loads the script, creates the indexes
          await settle();
          const before = await usedMemory(admin);
          await fill(fixture.api, n, () => undefined);
          return ((await usedMemory(admin)) - before) / n;
        }
        await using fixture = await bullQueue(url);
        await fixture.queue.add(sweepJob(n).name, sweepJob(n).data, sweepJob(n).opts);
        await settle();
        const before = await usedMemory(admin);
        for (let start = 0; start < n; start += FILL_CHUNK) {
          await fixture.queue.addBulk(Array.from({ length: Math.min(FILL_CHUNK, n - start) }, (_, i) => sweepJob(start + i)));
        }
        return ((await usedMemory(admin)) - before) / n;
      };
      const ours: number[] = [];
      const bull: number[] = [];
      for (let rep = 0; rep < reps; rep++) {
        ours.push(await measure("ours"));
        bull.push(await measure("bull"));
        log(`memory (hash-max-listpack-value ${setting}) #${rep + 1}: ours ${ours.at(-1)!.toFixed(0)}, BullMQ ${bull.at(-1)!.toFixed(0)} B/task`);
      }
      const value = median(ours);
      const anchorValue = median(bull);
      const origin = setting === serverSetting ? "embedded" : "Redis default";
      results.push({
        name: `memory per pending task, hash-max-listpack-value ${setting} (${origin})`,
        value,
        unit: "B/task",
        anchor: "BullMQ prioritized job",
        anchorValue,
        ratio: ratioOf(value, anchorValue),
        goal: "<= 1 KB",
        pass: value <= 1024,
      });
    }
  } finally {
    await admin.config("SET", "hash-max-listpack-value", String(serverSetting));
    admin.disconnect();
  }
  return results;
}
