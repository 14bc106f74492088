/**
 * A large queue through the CLI, as a user drives it: `task submit --jsonl` of 100,000 tasks, then `task ls -q`,
 * `task ls --fmt jsonl` and `task count` of the same queue, each a fresh process against our HTTP server. The
 * anchors are our own: listing all the tasks should cost about what submitting them did (at most 2x for ids, 3x for
 * records), and counting them about what starting the CLI does (at most 3x `labtasker --help`).
 *
 * Then page time: the 1,000th page of 100 (offset 99,900) against the first, as `POST /api/v1/queues/me/tasks/search`
 * requests, in labtasker's default order over every status and over the pending status alone, at 100k and (unless
 * --skip-1m) at 1M tasks. Paging is O(page) when the ratio stays near 1 (goal <= 1.5x).
 *
 * Run: `npm run build && npm run bench -- listing`.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DirectLabtasker } from "../src/broker/direct.js";
import { CLI, coldStart, startCliServer, timedRun, type CliServer } from "./lib/cli.js";
import { sweepTask } from "./lib/fixtures.js";
import { startRedis } from "./lib/redis.js";
import { median, ratioOf } from "./lib/stats.js";
import { nowMs, pool } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const TASKS = 100_000;
const LARGE = 1_000_000;
const QUEUE = "large-sweep";
const PASSWORD = "bench-password";
/** The page size of the page-time rows, and the page whose cost is compared with the first's. */
const PAGE = 100;
const DEEP_PAGE = 1_000;
/** Requests per page and per repetition, alternating first and deep page so drift hits both alike. */
const PAGE_SAMPLES = 10;
const FILL_CHUNK = 5_000;

interface CliTimes {
  submit: number;
  lsIds: number;
  lsJsonl: number;
  count: number;
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const reps = options.repetitions ?? 5;
  const log = options.log ?? (() => undefined);
  const own = options.redisUrl ? undefined : await startRedis();
  const redisUrl = options.redisUrl ?? own!.url;
  try {
    await using server = await startCliServer(redisUrl, QUEUE, PASSWORD);
    const jsonl = join(server.dir, "sweep.jsonl");
    writeFileSync(jsonl, Array.from({ length: TASKS }, (_, i) => `${JSON.stringify(sweepTask(i))}\n`).join(""));

    const times: CliTimes[] = [];
    for (let rep = 0; rep < reps; rep++) {
      await emptyQueue(server);
      times.push(await cliTimes(server, jsonl));
      const t = times.at(-1)!;
      log(`#${rep + 1}: submit ${s(t.submit)}, ls -q ${s(t.lsIds)}, ls --fmt jsonl ${s(t.lsJsonl)}, count ${t.count.toFixed(0)} ms`);
    }
    const help = await coldStart(process.execPath, [CLI, "--help"], server.env, server.dir, Math.max(10, 3 * reps));
    const submit = median(times.map((t) => t.submit));
    const results: BenchResult[] = [
      { name: "`task submit --jsonl` of 100k tasks (CLI, HTTP server)", value: submit / 1000, unit: "s" },
      cliRow("`task ls -q --no-pager` of 100k tasks", times.map((t) => t.lsIds), submit, "task submit --jsonl of the same 100k", 2),
      cliRow("`task ls --fmt jsonl --no-pager` of 100k tasks", times.map((t) => t.lsJsonl), submit, "task submit --jsonl of the same 100k", 3),
      {
        name: "`task count` at 100k tasks",
        value: median(times.map((t) => t.count)),
        unit: "ms",
        anchor: "cold start of `labtasker --help`",
        anchorValue: help,
        ratio: ratioOf(median(times.map((t) => t.count)), help),
        goal: "<= 3x",
        pass: median(times.map((t) => t.count)) <= 3 * help,
      },
    ];

    results.push(...(await pageRows(server, "100k", reps)));
    if (!options.skipLarge) {
      log(`filling ${LARGE.toLocaleString("en-US")} tasks`);
      await fill(server, TASKS, LARGE);
      results.push(...(await pageRows(server, "1M", reps)));
    }
    await emptyQueue(server);
    return results;
  } finally {
    await own?.stop();
  }
}

function s(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function cliRow(name: string, samples: number[], anchorMs: number, anchor: string, goal: number): BenchResult {
  const value = median(samples);
  return { name, value: value / 1000, unit: "s", anchor, anchorValue: anchorMs / 1000, ratio: ratioOf(value, anchorMs), goal: `<= ${goal}x`, pass: value <= goal * anchorMs };
}

/** Deletes the queue with its tasks and creates it again, empty, under the same name and password. */
async function emptyQueue(server: CliServer): Promise<void> {
  const { queues } = server.broker;
  const queueId = await server.broker.store.queueIdByName(QUEUE);
  if (queueId !== null) await queues.delete(queueId, true);
  await queues.create({ queueName: QUEUE, password: PASSWORD });
}

async function cliTimes(server: CliServer, jsonl: string): Promise<CliTimes> {
  const cli = (...args: string[]) => timedRun(process.execPath, [CLI, ...args], server.env, server.dir);
  return {
    submit: await cli("task", "submit", "--jsonl", jsonl, "--quiet"),
    lsIds: await cli("task", "ls", "-q", "--no-pager"),
    lsJsonl: await cli("task", "ls", "--fmt", "jsonl", "--no-pager"),
    count: await cli("task", "count"),
  };
}

/** Submits tasks `from`..`to`-1 in direct mode, a few batches in flight. */
async function fill(server: CliServer, from: number, to: number): Promise<void> {
  const api = new DirectLabtasker(server.broker, { queueName: QUEUE, password: PASSWORD });
  const chunks = Math.ceil((to - from) / FILL_CHUNK);
  await pool(chunks, 2, async (chunk) => {
    const start = from + chunk * FILL_CHUNK;
    await api.submitTasks(Array.from({ length: Math.min(FILL_CHUNK, to - start) }, (_, i) => sweepTask(start + i)));
  });
}

/** The first and the 1,000th page of 100, over every status and over pending alone. */
async function pageRows(server: CliServer, size: string, reps: number): Promise<BenchResult[]> {
  const search = searchRequest(server);
  const rows: BenchResult[] = [];
  for (const [label, body] of [["every status", {}], ["status pending", { status: "pending" }]] as const) {
    const first: number[] = [];
    const deep: number[] = [];
    for (let i = 0; i < 2; i++) await search({ ...body, offset: (DEEP_PAGE - 1) * PAGE, limit: PAGE }); // warm-up
    for (let i = 0; i < reps * PAGE_SAMPLES; i++) {
      first.push(await search({ ...body, offset: 0, limit: PAGE }));
      deep.push(await search({ ...body, offset: (DEEP_PAGE - 1) * PAGE, limit: PAGE }));
    }
    const value = median(deep);
    const anchorValue = median(first);
    rows.push({
      name: `page 1,000 of 100 at ${size} tasks, ${label} (HTTP)`,
      value,
      unit: "ms",
      anchor: "page 1 of the same listing",
      anchorValue,
      ratio: ratioOf(value, anchorValue),
      goal: "<= 1.5x",
      pass: value <= 1.5 * anchorValue,
    });
  }
  return rows;
}

/** A function that sends one task search with the queue's credentials and returns its wall time in ms. */
function searchRequest(server: CliServer): (body: Record<string, unknown>) => Promise<number> {
  const authorization = `Basic ${Buffer.from(`${QUEUE}:${PASSWORD}`).toString("base64")}`;
  return async (body) => {
    const start = nowMs();
    const response = await fetch(new URL("api/v1/queues/me/tasks/search", server.url), {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const reply = (await response.json()) as { content?: unknown[] };
    const elapsed = nowMs() - start;
    if (!response.ok || reply.content?.length !== PAGE) throw new Error(`search ${JSON.stringify(body)}: ${response.status} ${JSON.stringify(reply).slice(0, 300)}`);
    return elapsed;
  };
}
