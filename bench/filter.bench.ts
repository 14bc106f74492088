/**
 * Filter benchmark: 100,000 task documents (the broker's shape) filtered with the three-clause filter of the
 * issue, `args.lr > 0.01 and "v1" in list(metadata.tags) and created_at >= date("1 day ago")`, by the compiled
 * JavaScript predicate (what `test()` runs), against a hand-written predicate doing the same checks. Also: the
 * compile time, the same query given as a Mongo document, the JSONata reference evaluator, and a v1 `task ls`
 * sort of the same documents. Medians over several runs after a warm-up.
 *
 * Run: `npx tsx bench/filter.bench.ts`.
 */
import { pathToFileURL } from "node:url";
import { compileFilter, sortDocuments, toWireFilter, DEFAULT_TASK_LS_SORT } from "../src/filter/index.js";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  anchor?: string;
  ratio?: number;
  goal?: string;
}

const DOCUMENTS = 100_000;
const RUNS = 15;
const FILTER = 'args.lr > 0.01 and "v1" in list(metadata.tags) and created_at >= date("1 day ago")';
const NOW = new Date("2025-07-30T12:00:00Z");
const DAY = 86_400_000;

/** Deterministic pseudo-random numbers (mulberry32), so every run filters the same documents. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tasks as the broker builds them (v1's document shape), with a mix that makes each clause select. */
export function makeTasks(count: number): Array<Record<string, unknown>> {
  const next = random(42);
  const tagSets = [["v1"], ["v2"], ["v1", "exp"], [], ["baseline", "v1"], ["v3", "exp"]];
  const tasks: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const created = new Date(NOW.getTime() - Math.floor(next() * 3 * DAY));
    tasks.push({
      _id: `task-${i}`,
      task_id: `task-${i}`,
      queue_id: "queue",
      status: ["pending", "running", "success", "failed"][i % 4],
      task_name: i % 7 === 0 ? null : `grid-${i}`,
      created_at: created,
      start_time: null,
      last_heartbeat: null,
      last_modified: created,
      heartbeat_timeout: 60,
      task_timeout: null,
      max_retries: 3,
      retries: 0,
      priority: 10 + (i % 3),
      metadata: { tags: tagSets[i % tagSets.length], group: i % 2 === 0 ? "A" : "B" },
      args: { lr: [0.1, 0.01, 0.001, 0.05][i % 4], model: i % 2 === 0 ? "resnet" : "vit", seed: i },
      cmd: "python train.py",
      summary: {},
      worker_id: null,
    });
  }
  return tasks;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Median milliseconds of `runs` timed calls after `warmup` untimed ones; `check` guards against dead code. */
function time(runs: number, warmup: number, body: () => number, check: (result: number) => void): number {
  for (let i = 0; i < warmup; i++) check(body());
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = body();
    samples.push(performance.now() - start);
    check(result);
  }
  return median(samples);
}

export async function run(): Promise<BenchResult[]> {
  const tasks = makeTasks(DOCUMENTS);
  const cutoff = NOW.getTime() - DAY;
  const handWritten = (doc: Record<string, unknown>): boolean => {
    const args = doc.args as { lr?: unknown };
    const metadata = doc.metadata as { tags?: unknown };
    const created = doc.created_at;
    return (
      typeof args.lr === "number" &&
      args.lr > 0.01 &&
      Array.isArray(metadata.tags) &&
      metadata.tags.includes("v1") &&
      created instanceof Date &&
      created.getTime() >= cutoff
    );
  };
  const count = (predicate: (doc: Record<string, unknown>) => boolean) => (): number => {
    let matches = 0;
    for (const task of tasks) if (predicate(task)) matches++;
    return matches;
  };
  const expected = count(handWritten)();
  const same = (label: string) => (result: number): void => {
    if (result !== expected) throw new Error(`${label} matched ${result} documents, the hand-written predicate ${expected}`);
  };

  const compileSamples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    compileFilter(FILTER, { now: () => NOW });
    compileSamples.push(performance.now() - start);
  }
  const compileMicros = median(compileSamples.slice(50)) * 1000;

  const filter = compileFilter(FILTER, { now: () => NOW });
  const documentFilter = compileFilter(JSON.parse(JSON.stringify(toWireFilter(FILTER, { now: () => NOW }))) as Record<string, unknown>);
  const baseline = time(RUNS, 5, count(handWritten), same("hand-written"));
  const compiled = time(RUNS, 5, count((doc) => filter.test(doc)), same("compiled Python filter"));
  const fromDocument = time(RUNS, 5, count((doc) => documentFilter.test(doc)), same("compiled Mongo document"));

  // The JSONata reference evaluator is asynchronous and far slower; time 5,000 documents and scale to 100,000.
  const sample = tasks.slice(0, 5000);
  const sampleExpected = sample.filter(handWritten).length;
  const jsonataSamples: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    let matches = 0;
    for (const task of sample) if (await filter.evaluateJsonata(task)) matches++;
    if (i > 0) jsonataSamples.push(performance.now() - start);
    if (matches !== sampleExpected) throw new Error(`JSONata matched ${matches} of 5000, expected ${sampleExpected}`);
  }
  const jsonataPer100k = median(jsonataSamples) * (DOCUMENTS / sample.length);

  const sorted = time(5, 1, () => sortDocuments(tasks, DEFAULT_TASK_LS_SORT).length, (result) => {
    if (result !== DOCUMENTS) throw new Error("sort lost documents");
  });

  const anchor = "hand-written JS predicate";
  return [
    { name: "filter 100k tasks, compiled predicate (test)", value: compiled, unit: "ms", anchor, ratio: compiled / baseline, goal: "<= 150 ms, <= 20x" },
    { name: "filter 100k tasks, same query as Mongo document", value: fromDocument, unit: "ms", anchor, ratio: fromDocument / baseline },
    { name: "filter 100k tasks, hand-written JS predicate", value: baseline, unit: "ms" },
    { name: "filter 100k tasks, JSONata reference (from 5k)", value: jsonataPer100k, unit: "ms", anchor, ratio: jsonataPer100k / baseline },
    { name: "compile the three-clause filter (with date())", value: compileMicros, unit: "µs" },
    { name: "sort 100k tasks, task ls default order", value: sorted, unit: "ms" },
  ];
}

function printTable(results: BenchResult[]): void {
  const rows = results.map((result) => [
    result.name,
    `${result.value.toFixed(result.value < 10 ? 2 : 1)} ${result.unit}`,
    result.ratio === undefined ? "" : `${result.ratio.toFixed(1)}x`,
    result.goal ?? "",
  ]);
  const header = ["benchmark", "median", "vs hand-written", "goal"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join("  ");
  console.log(line(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of rows) console.log(line(row));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await run());
}
