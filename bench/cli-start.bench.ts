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
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { Broker } from "../src/broker/broker.js";
import { saveClientConfig } from "../src/config/clientConfig.js";
import { createApp } from "../src/http/app.js";
import { startRedis } from "./lib/redis.js";
import { median, ratioOf } from "./lib/stats.js";
import { nowMs } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const GOAL_MS = 150;
const WARMUP = 3;
const CLI = resolve(import.meta.dirname, "../dist/cli/main.js");
const PYTHON_CLI = resolve(import.meta.dirname, "../test/compat/.venv/bin/labtasker");

/** Runs a command to its end and returns its wall time in ms; rejects on a non-zero exit. */
function timed(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const start = nowMs();
    const child = spawn(file, args, { env, cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const elapsed = nowMs() - start;
      if (code === 0) resolvePromise(elapsed);
      else reject(new Error(`${file} ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** The median wall time of `runs` runs after {@link WARMUP} unmeasured ones. */
async function coldStart(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, runs: number): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await timed(file, args, env, cwd);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(file, args, env, cwd));
  return median(times);
}

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
  const redis = new Redis(redisUrl);
  const broker = new Broker({ redis, keyPrefix: `bench-cli-${Math.random().toString(36).slice(2, 10)}` });
  const dir = mkdtempSync(join(tmpdir(), "labtasker-cli-bench-"));
  let server: Server | undefined;
  try {
    await broker.queues.create({ queueName: "bench", password: "pw" });
    const { app } = createApp({ broker });
    server = await new Promise<Server>((r) => {
      const s = app.listen(0, "127.0.0.1", () => r(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // One client.toml in v1's layout serves both CLIs.
    const root = join(dir, ".labtasker");
    saveClientConfig(root, { apiBaseUrl: url, queueName: "bench", password: "pw" });
    const env: NodeJS.ProcessEnv = { ...process.env, LABTASKER_ROOT: root };
    for (const name of ["LABTASKER_API_BASE_URL", "LABTASKER_QUEUE_NAME", "LABTASKER_PASSWORD", "LABTASKER_REDIS_URL", "LABTASKER_KEY_PREFIX"]) delete env[name];

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
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
    }
    await broker.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
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
