/**
 * Time inside Redis per task of two source trees, side by side on one server: `npx tsx bench/compare-trees.ts`.
 * Not a benchmark module (the harness runs only *.bench.ts); it backs the script changes in docs/benchmarks.md.
 *
 * A change to the Lua scripts moves the throughput by a few percent, less than the machine's noise between runs.
 * Here both trees run in one process on one Redis (their function libraries have different names, their keys
 * different prefixes), in alternating blocks, and what is compared is the time Redis spent in FCALL (INFO
 * commandstats), which the client's CPU does not blur. Set up the base tree once:
 *
 *   git worktree add /tmp/base <rev> && ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npx tsx scripts/build-lua.ts)
 *   BASE=/tmp/base npx tsx bench/compare-trees.ts
 *
 * Environment: BASE (the other tree, required), BLOCKS (blocks a side, default 10), BLOCK (tasks a block, 2,000).
 */
import { Redis } from "ioredis";
import { sweepTask } from "./lib/fixtures.js";
import { commandStats, commandStatsDelta, startRedis } from "./lib/redis.js";
import { median } from "./lib/stats.js";
import { pool } from "./lib/timing.js";
import type * as BrokerModule from "../src/broker/broker.js";
import type * as DirectModule from "../src/broker/direct.js";

type DirectLabtasker = DirectModule.DirectLabtasker;

const BASE = process.env.BASE;
const BLOCKS = Number(process.env.BLOCKS ?? 10);
const BLOCK = Number(process.env.BLOCK ?? 2_000);
const SUBMITS_IN_FLIGHT = 50;
const FETCH_LANES = 8;

interface Side {
  label: string;
  api: DirectLabtasker;
  close(): Promise<void>;
}

/** A queue on `url` through the broker of the source tree at `root`. */
async function side(label: string, root: string, url: string, keyPrefix: string): Promise<Side> {
  // The other tree's modules, typed as this tree's: the two differ in their scripts, not their API.
  const { Broker } = (await import(`${root}/src/broker/broker.ts`)) as typeof BrokerModule;
  const { DirectLabtasker } = (await import(`${root}/src/broker/direct.ts`)) as typeof DirectModule;
  const redis = new Redis(url);
  const broker = new Broker({ redis, keyPrefix });
  await broker.queues.create({ queueName: "sweep", password: "bench-password" });
  const api = new DirectLabtasker(broker, { queueName: "sweep", password: "bench-password" });
  await api.getQueue();
  return { label, api, close: async () => { await broker.close(); redis.disconnect(); } };
}

/** Microseconds Redis spent in FCALL per task while `work` ran. */
async function fcallMicrosPerTask(admin: Redis, work: () => Promise<void>): Promise<number> {
  await admin.config("RESETSTAT");
  const before = await commandStats(admin);
  await work();
  const delta = commandStatsDelta(before, await commandStats(admin));
  return (delta.get("fcall")?.usec ?? 0) / BLOCK;
}

/** Each lane reports its finished task inside its next fetch, as `labtasker loop` and the store benchmark do. */
async function drain(api: DirectLabtasker): Promise<void> {
  let claimed = 0;
  await pool(FETCH_LANES, FETCH_LANES, async () => {
    let previous: string | null = null;
    while (claimed < BLOCK) {
      claimed++;
      const task = await api.fetchTask(previous ? { report: { taskId: previous, status: "success" } } : {});
      previous = task?.taskId ?? null;
    }
    if (previous) await api.reportTaskStatus(previous, "success");
  });
}

async function main(): Promise<void> {
  if (!BASE) throw new Error("set BASE to the source tree to compare with (see the header of this file)");
  await using server = await startRedis();
  const admin = new Redis(server.url);
  const sides = [await side("base", BASE, server.url, "base"), await side("this tree", process.cwd(), server.url, "this")];
  const submit = new Map<Side, number[]>(sides.map((s) => [s, []]));
  const fetchReport = new Map<Side, number[]>(sides.map((s) => [s, []]));
  let next = 0;
  try {
    for (let block = 0; block < BLOCKS; block++) {
      // ABBA: each side goes first in every other block, so a drift in the machine's load hits both alike.
      for (const s of block % 2 === 0 ? sides : [...sides].reverse()) {
        const first = next;
        next += BLOCK;
        submit.get(s)!.push(await fcallMicrosPerTask(admin, () => pool(BLOCK, SUBMITS_IN_FLIGHT, (i) => s.api.submitTask(sweepTask(first + i)))));
        fetchReport.get(s)!.push(await fcallMicrosPerTask(admin, () => drain(s.api)));
      }
    }
  } finally {
    for (const s of sides) await s.close();
    admin.disconnect();
  }
  const [base, ours] = sides as [Side, Side];
  for (const [name, values] of [[`submit, ${SUBMITS_IN_FLIGHT} in flight`, submit], [`fetch + report, ${FETCH_LANES} lanes`, fetchReport]] as const) {
    const a = median(values.get(base)!);
    const b = median(values.get(ours)!);
    console.log(`${name.padEnd(26)} µs in Redis per task: base ${a.toFixed(1)}, this tree ${b.toFixed(1)} (${(b / a).toFixed(2)}x)`);
  }
}

await main();
