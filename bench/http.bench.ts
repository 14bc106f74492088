/**
 * The HTTP server against labtasker v1.0.1's own server (embedded mode), both driven by the official Python client
 * (test/compat/.venv) on this machine in the same run: submit, and fetch + report, throughput and p50 latency.
 * Goal: at least 10x v1's throughput.
 */
import { spawn, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../src/store/embeddedRedis.js";
import { waitForHealth } from "./lib/health.js";
import { median, percentile } from "./lib/stats.js";
import { startRedis } from "./lib/redis.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..");
const venv = join(root, "test/compat/.venv/bin");
/** v1's embedded database rewrites its whole JSON file on every write, so its cost grows with the queue; a few
 * hundred tasks keep its run to seconds while showing its steady state. */
const TASKS = 100;
/**
 * Client processes at once, each with its own queue of TASKS tasks. One Python process tops out near 600 calls/s
 * (the official client spends about 1 ms of CPU per call, under the GIL), so one process would measure the client;
 * several show what each server sustains. v1's embedded database serializes every request behind one lock.
 */
const PROCESSES = 4;

interface DriverResult {
  submit: number[];
  fetch: number[];
  report: number[];
  submit_wall: number;
  cycle_wall: number;
}

async function startServer(kind: "ours" | "v1", redisUrl: string, dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = kind === "ours"
    ? spawn(process.execPath, [join(root, "dist/http/main.js"), "serve", "--host", "127.0.0.1", "--port", String(port), "--redis-url", redisUrl, "--key-prefix", `bench-${port}`], { stdio: "ignore" })
    : spawn(join(venv, "labtasker-server"), ["serve", "--host", "127.0.0.1", "--port", String(port), "--db-path", join(dataDir, `db-${port}.json`)], {
        stdio: "ignore",
        cwd: dataDir,
        env: { ...process.env, LOG_LEVEL: "WARNING" },
      });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child);
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/** Runs PROCESSES drivers at once; per-op times are pooled, walls are the slowest process's (all start together). */
async function drive(url: string): Promise<DriverResult> {
  const runs = await Promise.all(
    Array.from({ length: PROCESSES }, async () => {
      const { stdout } = await exec(join(venv, "python"), [join(root, "bench/python/http_driver.py"), `${url}/`, String(TASKS), "1"], {
        maxBuffer: 64 * 1024 * 1024,
      });
      return JSON.parse(stdout) as DriverResult;
    }),
  );
  return {
    submit: runs.flatMap((r) => r.submit),
    fetch: runs.flatMap((r) => r.fetch),
    report: runs.flatMap((r) => r.report),
    submit_wall: Math.max(...runs.map((r) => r.submit_wall)),
    cycle_wall: Math.max(...runs.map((r) => r.cycle_wall)),
  };
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? ((m: string) => console.error(m));
  if (!existsSync(join(venv, "labtasker-server"))) {
    log("[bench] http: skipped: the official client's venv is missing (run test/compat/setup_venv.sh)");
    return [];
  }
  if (!existsSync(join(root, "dist/http/main.js"))) throw new Error("dist/ is missing: run npm run build");
  const reps = options.repetitions ?? 5;
  const redis = options.redisUrl ? null : await startRedis();
  const redisUrl = options.redisUrl ?? redis!.url;
  const dataDir = await mkdtemp(join(tmpdir(), "labtasker-bench-v1-"));
  const samples = { ours: [] as DriverResult[], v1: [] as DriverResult[] };
  try {
    const ours = await startServer("ours", redisUrl, dataDir);
    const v1 = await startServer("v1", redisUrl, dataDir);
    try {
      for (let rep = 1; rep <= reps; rep++) {
        // Alternate which server goes first so machine noise falls on both alike.
        for (const kind of rep % 2 ? (["ours", "v1"] as const) : (["v1", "ours"] as const)) {
          const result = await drive(kind === "ours" ? ours.url : v1.url);
          samples[kind].push(result);
          log(`[bench] http #${rep} ${kind}: submit ${((TASKS * PROCESSES) / result.submit_wall).toFixed(0)}/s, fetch+report ${((TASKS * PROCESSES) / result.cycle_wall).toFixed(0)}/s`);
        }
      }
    } finally {
      await ours.stop();
      await v1.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await redis?.stop();
  }
  const throughput = (kind: "ours" | "v1", wall: "submit_wall" | "cycle_wall") => median(samples[kind].map((s) => (TASKS * PROCESSES) / s[wall]));
  const p50 = (kind: "ours" | "v1", op: "submit" | "fetch" | "report") => median(samples[kind].map((s) => percentile(s[op], 50) * 1000));
  const rows: BenchResult[] = [];
  for (const [name, wall] of [["submit", "submit_wall"], ["fetch + report", "cycle_wall"]] as const) {
    const value = throughput("ours", wall);
    const anchorValue = throughput("v1", wall);
    rows.push({ name: `HTTP ${name}, official client, ${PROCESSES} processes`, value, unit: "tasks/s", anchor: "labtasker 1.0.1 server", anchorValue, ratio: value / anchorValue, goal: ">= 10x", pass: value / anchorValue >= 10 });
  }
  for (const op of ["submit", "fetch", "report"] as const) {
    const value = p50("ours", op);
    const anchorValue = p50("v1", op);
    rows.push({ name: `HTTP ${op} latency p50`, value, unit: "ms", anchor: "labtasker 1.0.1 server", anchorValue, ratio: value / anchorValue });
  }
  return rows;
}
