/**
 * CLI cold start: wall time from spawning the command to its exit, for `labtasker --help` and for one
 * `labtasker task submit -- --lr=0.1` through our HTTP server (config file read, one request). Goal: under 150 ms
 * median for each. Anchor: the official Python CLI (labtasker 1.0.1 from test/compat/.venv, set up by
 * test/compat/setup_venv.sh) running the same command against the same server (it is wire-compatible), when that
 * venv exists; otherwise the anchor is skipped with a note. For scale: `node -e 0` (Node's own start-up).
 *
 * Each command runs a few times unmeasured first (so the file cache is warm, as on a machine in use), then
 * 3 x repetitions times (at least 10); the figure is the median.
 *
 * Run: `npm run build && npm run bench -- cli-start` (or `npx tsx bench/cli-start.bench.ts` for this module alone).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI, coldStart, startCliServer } from "./lib/cli.js";
import { startRedis } from "./lib/redis.js";
import { ratioOf } from "./lib/stats.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const GOAL_MS = 150;
const PYTHON_CLI = resolve(import.meta.dirname, "../test/compat/.venv/bin/labtasker");

interface Row {
  name: string;
  args: string[];
  anchorArgs: string[];
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const runs = Math.max(10, 3 * (options.repetitions ?? 5));
  const log = options.log ?? (() => undefined);
  const own = options.redisUrl ? undefined : await startRedis();
  const redisUrl = options.redisUrl ?? own!.url;
  try {
    await using server = await startCliServer(redisUrl, "bench", "pw");
    const { env, dir } = server;
    const python = existsSync(PYTHON_CLI);
    if (!python) log(`no ${PYTHON_CLI}: the Python anchor is skipped (run test/compat/setup_venv.sh to create it)`);
    const rows: Row[] = [
      { name: "cold start: `labtasker --help`", args: ["--help"], anchorArgs: ["--help"] },
      { name: "cold start: `labtasker task submit -- --lr=0.1` (HTTP server)", args: ["task", "submit", "--", "--lr=0.1"], anchorArgs: ["task", "submit", "--", "--lr=0.1"] },
    ];
    const results: BenchResult[] = [];
    for (const row of rows) {
      const value = await coldStart(process.execPath, [CLI, ...row.args], env, dir, runs);
      log(`${row.name}: ${value.toFixed(1)} ms`);
      const anchorValue = python ? await coldStart(PYTHON_CLI, row.anchorArgs, env, dir, runs) : undefined;
      if (anchorValue !== undefined) log(`  labtasker 1.0.1 (Python): ${anchorValue.toFixed(1)} ms`);
      results.push({
        name: row.name,
        value,
        unit: "ms",
        ...(anchorValue !== undefined && { anchor: "labtasker 1.0.1 (Python CLI), same command", anchorValue, ratio: ratioOf(value, anchorValue) }),
        goal: `< ${GOAL_MS} ms`,
        pass: value < GOAL_MS,
      });
    }
    results.push({ name: "for scale: `node -e 0` (Node's own start-up)", value: await coldStart(process.execPath, ["-e", "0"], env, dir, runs), unit: "ms" });
    return results;
  } finally {
    await own?.stop();
  }
}

// `npx tsx bench/cli-start.bench.ts`: this module on its own, with its own redis-server.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await run({ log: (message) => process.stderr.write(`${message}\n`) });
  for (const row of rows) {
    const anchor = row.anchorValue === undefined ? "" : ` | ${row.anchor}: ${row.anchorValue.toFixed(1)} ms, ratio ${row.ratio?.toFixed(2)}`;
    console.log(`${row.name}: ${row.value.toFixed(1)} ${row.unit}${anchor}${row.goal ? ` (goal ${row.goal}: ${row.pass ? "pass" : "FAIL"})` : ""}`);
  }
}
