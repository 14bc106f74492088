/**
 * The task model's extensions (docs/tasks.md) against the plain paths they must not slow, on one redis-server, each
 * pair measured in alternating blocks (ABBA) so that both sides share the background load:
 *
 * - fetch latency (p50) with 100k waiting (dependency-blocked) tasks in the queue against the same queue without
 *   them: waiting tasks are in no claim index, so a fetch never looks at them; goal <= 1.1x.
 * - bulk submit throughput with dedup (an identity computed per task, checked and registered in the script) against
 *   the plain submit; goal >= 0.8x.
 *
 * Every figure is the median of N repetitions (the ratio: the median of the per-repetition ratios).
 * `npx tsx bench/run.ts taskModel --reps 3`; BENCH_TASK_MODEL_PARTS=fetch or =submit runs one of the two.
 */
import type { DirectLabtasker } from "../src/broker/direct.js";
import { ARG_KEYS, flushAll, labtaskerQueue, sweepTask } from "./lib/fixtures.js";
import { median, percentile } from "./lib/stats.js";
import { formatNumber } from "./lib/table.js";
import { nowMs, perSecond, settle } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

/** Fetchable tasks in each queue of the latency pair (kept constant: each fetch is followed by a submit). */
const PENDING = 10_000;
const WAITING = 100_000;
/** Timed fetches per block, blocks per side and repetition, untimed warm-up fetches per side. */
const FETCH_BLOCK = 250;
const FETCH_BLOCKS = 4;
const FETCH_WARMUP = 200;
/** Tasks per submitTasks call, calls per side and repetition. */
const SUBMIT_BLOCK = 5_000;
const SUBMIT_BLOCKS = 4;
const FILL_CHUNK = 10_000;
const REQUIRED_FIELDS = [...ARG_KEYS];

type Log = (message: string) => void;

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log: Log = options.log ?? (() => undefined);
  const reps = options.repetitions ?? 5;
  if (options.redisUrl === undefined) throw new Error("run through bench/run.ts, which starts the redis-server");
  try {
    const parts = new Set((process.env.BENCH_TASK_MODEL_PARTS ?? "fetch,submit").split(",").map((part) => part.trim()));
    return [
      ...(parts.has("fetch") ? await fetchWithWaiting(options.redisUrl, reps, log) : []),
      ...(parts.has("submit") ? await submitWithDedup(options.redisUrl, reps, log) : []),
    ];
  } finally {
    await flushAll(options.redisUrl);
  }
}

async function fillPending(api: DirectLabtasker, from: number, count: number): Promise<void> {
  for (let start = 0; start < count; start += FILL_CHUNK) {
    await api.submitTasks(Array.from({ length: Math.min(FILL_CHUNK, count - start) }, (_, i) => sweepTask(from + start + i)));
  }
}

async function fetchWithWaiting(url: string, reps: number, log: Log): Promise<BenchResult[]> {
  await flushAll(url);
  await using plain = await labtaskerQueue(url, "bench-plain");
  await using blocked = await labtaskerQueue(url, "bench-blocked");
  // The blocked queue's dependency: claimed and left running (no timeout), so its dependents wait for good.
  const dependency = await blocked.api.submitTask({ args: { blocker: 1 }, priority: 100 });
  if ((await blocked.api.fetchTask({ heartbeatTimeout: null, startHeartbeat: false, etaMax: "1000000" }))?.taskId !== dependency) throw new Error("blocker not claimed");
  log(`filling ${formatNumber(WAITING)} waiting tasks`);
  for (let start = 0; start < WAITING; start += FILL_CHUNK) {
    await blocked.api.submitTasks(Array.from({ length: FILL_CHUNK }, (_, i) => ({ ...sweepTask(1_000_000 + start + i), dependsOn: [dependency] })));
  }
  log(`filling ${formatNumber(PENDING)} pending tasks in each queue`);
  await fillPending(plain.api, 0, PENDING);
  await fillPending(blocked.api, 0, PENDING);
  const waiting = (await blocked.api.countTasks!({ status: "pending" })).pending;
  if (waiting !== WAITING + PENDING) throw new Error(`expected ${WAITING + PENDING} pending in the blocked queue, found ${waiting}`);

  const next = { plain: PENDING, blocked: PENDING };
  const sample = async (side: "plain" | "blocked"): Promise<number> => {
    const { api } = side === "plain" ? plain : blocked;
    const start = nowMs();
    const task = await api.fetchTask({ requiredFields: REQUIRED_FIELDS });
    const ms = nowMs() - start;
    if (task === null || task.waiting) throw new Error(`fetch on ${side} found no ready task`);
    await api.submitTask(sweepTask(next[side]++));
    return ms;
  };
  for (let i = 0; i < FETCH_WARMUP; i++) {
    await sample("plain");
    await sample("blocked");
  }
  const ratios: number[] = [];
  const p50s = { plain: [] as number[], blocked: [] as number[] };
  for (let rep = 0; rep < reps; rep++) {
    await settle();
    const samples = { plain: [] as number[], blocked: [] as number[] };
    for (let block = 0; block < FETCH_BLOCKS; block++) {
      const order: Array<"plain" | "blocked"> = (block + rep) % 2 === 0 ? ["plain", "blocked"] : ["blocked", "plain"];
      for (const side of order) for (let i = 0; i < FETCH_BLOCK; i++) samples[side].push(await sample(side));
    }
    p50s.plain.push(percentile(samples.plain, 50));
    p50s.blocked.push(percentile(samples.blocked, 50));
    ratios.push(p50s.blocked.at(-1)! / p50s.plain.at(-1)!);
    log(`fetch #${rep + 1}: p50 ${p50s.plain.at(-1)!.toFixed(3)} ms without, ${p50s.blocked.at(-1)!.toFixed(3)} ms with ${formatNumber(WAITING)} waiting (${ratios.at(-1)!.toFixed(3)}x)`);
  }
  const ratio = median(ratios);
  return [{
    name: `fetch latency p50, ${formatNumber(PENDING)} pending + ${formatNumber(WAITING)} waiting`,
    value: median(p50s.blocked),
    unit: "ms",
    anchor: "without the waiting tasks",
    anchorValue: median(p50s.plain),
    ratio,
    goal: "<= 1.1x",
    pass: ratio <= 1.1,
  }];
}

async function submitWithDedup(url: string, reps: number, log: Log): Promise<BenchResult[]> {
  const ratios: number[] = [];
  const rates = { plain: [] as number[], dedup: [] as number[] };
  for (let rep = 0; rep < reps; rep++) {
    await flushAll(url);
    await using plain = await labtaskerQueue(url, "bench-plain");
    await using dedup = await labtaskerQueue(url, "bench-dedup");
    const next = { plain: 0, dedup: 0 };
    const block = async (side: "plain" | "dedup"): Promise<number> => {
      const first = next[side];
      next[side] += SUBMIT_BLOCK;
      const tasks = Array.from({ length: SUBMIT_BLOCK }, (_, i) => (side === "dedup" ? { ...sweepTask(first + i), dedup: true } : sweepTask(first + i)));
      const start = nowMs();
      await (side === "plain" ? plain : dedup).api.submitTasks(tasks);
      return nowMs() - start;
    };
    await block("plain");
    await block("dedup");
    await settle();
    const ms = { plain: 0, dedup: 0 };
    for (let turn = 0; turn < SUBMIT_BLOCKS; turn++) {
      const order: Array<"plain" | "dedup"> = (turn + rep) % 2 === 0 ? ["plain", "dedup"] : ["dedup", "plain"];
      for (const side of order) ms[side] += await block(side);
    }
    rates.plain.push(perSecond(SUBMIT_BLOCK * SUBMIT_BLOCKS, ms.plain));
    rates.dedup.push(perSecond(SUBMIT_BLOCK * SUBMIT_BLOCKS, ms.dedup));
    ratios.push(rates.dedup.at(-1)! / rates.plain.at(-1)!);
    log(`submit #${rep + 1}: ${formatNumber(rates.plain.at(-1))} tasks/s plain, ${formatNumber(rates.dedup.at(-1))} with dedup (${ratios.at(-1)!.toFixed(3)}x)`);
  }
  const ratio = median(ratios);
  return [{
    name: `submit bulk (${formatNumber(SUBMIT_BLOCK)} a call) with dedup`,
    value: median(rates.dedup),
    unit: "tasks/s",
    anchor: "the plain submit",
    anchorValue: median(rates.plain),
    ratio,
    goal: ">= 0.8x",
    pass: ratio >= 0.8,
  }];
}
