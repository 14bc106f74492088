/**
 * The v2 API against labtasker 2.8.0's own server (SQLite), both driven by the official 2.8.0 Python client
 * (test/compat-v2/.venv) on this machine in the same run: submit, and claim + complete, throughput from PROCESSES
 * client processes on one queue, and the claim's p50/p99 latency. Goal: at least 5x 2.8.0's throughput.
 *
 * Each phase starts in all client processes at once, after every one has imported the client: a process's start-up
 * costs about as much CPU as a hundred submits, and on a small machine it would otherwise be measured as part of
 * the other processes' submit phase (against the faster server most of all, whose phase is the shorter).
 */
import { spawn, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { freePort } from "../src/store/embeddedRedis.js";
import { waitForHealth } from "./lib/health.js";
import { median, percentile } from "./lib/stats.js";
import { startRedis } from "./lib/redis.js";
import { startReplayServer } from "./lib/replayServer.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..");
const venv = join(root, "test/compat-v2/.venv/bin");
const driver = join(root, "bench/python/v2_driver.py");
/** Tasks per client process per phase (env BENCH_V2_TASKS): enough for a steady state, few enough for seconds. */
const TASKS = Number(process.env.BENCH_V2_TASKS ?? 200);
/** Client processes at once, all on one queue, as several workers share one queue. */
const PROCESSES = 4;
/**
 * Untimed rounds on each server before the measured ones (env BENCH_V2_WARMUP): a server runs for days, and what a
 * sweep meets is its steady state. Our server's first round is its JIT's warm-up (its CPU per task fell from about
 * 1.7 ms in the first of three rounds to 1.1 ms in the third); 2.8.0's server has no JIT to warm, and gets the same
 * round anyway.
 */
const WARMUP = Number(process.env.BENCH_V2_WARMUP ?? 1);

/**
 * With BENCH_V2_CEILING=1, a third target: a no-op server that answers claim and complete from memory
 * (bench/lib/replayServer.ts, in this process), so the client's own ceiling shows beside the two real servers.
 * Submits (PUT .../tasks/<id>, the client picks the id) are forwarded to our server, so only claim + complete has a
 * ceiling figure.
 */
const CEILING = process.env.BENCH_V2_CEILING === "1";
const REPLAYED = /^POST .*\/queues\/Q\/tasks(\/claim|\/T\/complete)$/;

type Kind = "ours" | "theirs" | "noop";

interface DriverResult {
  submit: number[];
  claim: number[];
  complete: number[];
  submit_wall: number;
  cycle_wall: number;
  /** CPU seconds all client processes spent, per phase. */
  submit_cpu: number;
  cycle_cpu: number;
  /** CPU seconds the server process spent over both phases (from /proc; NaN where /proc is missing). */
  server_cpu: number;
}

/** Scrubs the runner's labtasker settings so neither server nor client picks up another context. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("LABTASKER_")));
  return { ...env, NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" };
}

async function startServer(kind: Kind, redisUrl: string, dataDir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = kind === "ours"
    ? spawn(process.execPath, [join(root, "dist/http/main.js"), "serve", "--host", "127.0.0.1", "--port", String(port), "--redis-url", redisUrl, "--key-prefix", `bench-v2-${port}`], { stdio: "ignore", env: cleanEnv() })
    : spawn(join(venv, "labtasker-server"), ["serve", "--connection", "http", "--host", "127.0.0.1", "--port", String(port), "--database", join(dataDir, `db-${port}.sqlite`)], {
        stdio: "ignore",
        cwd: dataDir,
        env: cleanEnv(),
      });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child);
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/** User + system CPU seconds of a process so far, from /proc/<pid>/stat; NaN where it cannot be read. */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return Number.NaN;
  }
}

/** One driver process, driven phase by phase over its stdin and stdout (bench/python/v2_driver.py). */
function startDriver(url: string, queue: string, env: NodeJS.ProcessEnv) {
  const child = spawn(join(venv, "python"), [driver, url, queue, String(TASKS)], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    /** The driver's next line; throws with its stderr when it ended instead. */
    async next(expected?: string): Promise<string> {
      const line = await lines.next();
      if (line.done || (expected !== undefined && line.value !== expected)) {
        const code = await exited;
        throw new Error(`v2 driver: expected ${expected ?? "its result"}, got ${line.done ? `exit ${code}` : line.value}\n${stderr}`);
      }
      return line.value;
    },
    start(): void {
      child.stdin.write("go\n");
    },
    async result(): Promise<Omit<DriverResult, "server_cpu">> {
      const result = JSON.parse(await this.next()) as Omit<DriverResult, "server_cpu">;
      await exited;
      return result;
    },
    kill(): void {
      child.kill("SIGKILL");
    },
  };
}

/**
 * Creates a fresh queue, then runs PROCESSES drivers on it, each phase started in all of them at once once every
 * driver is ready for it (no driver's start-up or submits overlap another's measured phase); per-op times are
 * pooled, walls are the slowest driver's.
 */
async function drive(url: string, serverPid: number, queue: string): Promise<DriverResult> {
  const env = cleanEnv();
  await exec(join(venv, "python"), [driver, url, queue, "create"], { env });
  const drivers = Array.from({ length: PROCESSES }, () => startDriver(url, queue, env));
  try {
    await Promise.all(drivers.map((d) => d.next("ready")));
    const serverBefore = await cpuSeconds(serverPid);
    for (const d of drivers) d.start();
    await Promise.all(drivers.map((d) => d.next("submitted")));
    for (const d of drivers) d.start();
    const runs = await Promise.all(drivers.map((d) => d.result()));
    const serverCpu = (await cpuSeconds(serverPid)) - serverBefore;
    return {
      submit: runs.flatMap((r) => r.submit),
      claim: runs.flatMap((r) => r.claim),
      complete: runs.flatMap((r) => r.complete),
      submit_wall: Math.max(...runs.map((r) => r.submit_wall)),
      cycle_wall: Math.max(...runs.map((r) => r.cycle_wall)),
      submit_cpu: runs.reduce((sum, r) => sum + r.submit_cpu, 0),
      cycle_cpu: runs.reduce((sum, r) => sum + r.cycle_cpu, 0),
      server_cpu: serverCpu,
    };
  } catch (error) {
    for (const d of drivers) d.kill();
    throw error;
  }
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? ((m: string) => console.error(m));
  if (!existsSync(join(venv, "labtasker-server"))) {
    log("skipped: the 2.8.0 client's venv is missing (run test/compat-v2/setup_venv.sh)");
    return [];
  }
  if (!existsSync(join(root, "dist/http/main.js"))) throw new Error("dist/ is missing: run npm run build");
  const reps = options.repetitions ?? 5;
  const redis = options.redisUrl ? null : await startRedis();
  const redisUrl = options.redisUrl ?? redis!.url;
  const dataDir = await mkdtemp(join(tmpdir(), "labtasker-bench-v2-"));
  const samples: Record<Kind, DriverResult[]> = { ours: [], theirs: [], noop: [] };
  try {
    const ours = await startServer("ours", redisUrl, dataDir);
    const theirs = await startServer("theirs", redisUrl, dataDir);
    const replay = CEILING ? await startReplayServer(ours.url, (kind) => REPLAYED.test(kind)) : null;
    const noop = replay ? { url: replay.url, pid: process.pid } : null;
    try {
      for (let round = 1; round <= WARMUP; round++) {
        for (const kind of ["ours", "theirs"] as const) {
          const server = kind === "ours" ? ours : theirs;
          await drive(server.url, server.pid, `warmup-${kind}-${round}`);
          log(`warm-up ${round}/${WARMUP} ${kind}: done (not measured)`);
        }
      }
      for (let rep = 1; rep <= reps; rep++) {
        // Alternate which server goes first so machine noise falls on both alike.
        const order: Kind[] = rep % 2 ? ["ours", "theirs"] : ["theirs", "ours"];
        if (noop) order.push("noop");
        for (const kind of order) {
          const server = kind === "ours" ? ours : kind === "theirs" ? theirs : noop!;
          const result = await drive(server.url, server.pid, `bench-${kind}-${rep}`);
          samples[kind].push(result);
          const ops = TASKS * PROCESSES;
          log(`#${rep} ${kind}: submit ${((TASKS * PROCESSES) / result.submit_wall).toFixed(0)}/s, claim+complete ${((TASKS * PROCESSES) / result.cycle_wall).toFixed(0)}/s, claim p50 ${(percentile(result.claim, 50) * 1000).toFixed(2)} ms; client CPU/task: submit ${((result.submit_cpu / ops) * 1000).toFixed(2)} ms, claim+complete ${((result.cycle_cpu / ops) * 1000).toFixed(2)} ms; server CPU/task (both phases) ${((result.server_cpu / ops) * 1000).toFixed(2)} ms`);
        }
      }
    } finally {
      await replay?.stop();
      await ours.stop();
      await theirs.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await redis?.stop();
  }
  const anchor = "labtasker 2.8.0 server";
  const throughput = (kind: Kind, wall: "submit_wall" | "cycle_wall") => median(samples[kind].map((s) => (TASKS * PROCESSES) / s[wall]));
  const latency = (kind: Kind, op: "submit" | "claim" | "complete", p: number) => median(samples[kind].map((s) => percentile(s[op], p) * 1000));
  const rows: BenchResult[] = [];
  for (const [name, wall] of [["submit", "submit_wall"], ["claim + complete", "cycle_wall"]] as const) {
    const value = throughput("ours", wall);
    const anchorValue = throughput("theirs", wall);
    rows.push({ name: `v2 ${name}, 2.8.0 client, ${PROCESSES} processes`, value, unit: "tasks/s", anchor, anchorValue, ratio: value / anchorValue, goal: ">= 5x", pass: value / anchorValue >= 5 });
  }
  for (const [op, p] of [["claim", 50], ["claim", 99], ["submit", 50], ["complete", 50]] as const) {
    const value = latency("ours", op, p);
    const anchorValue = latency("theirs", op, p);
    rows.push({ name: `v2 ${op} latency p${p}`, value, unit: "ms", anchor, anchorValue, ratio: value / anchorValue });
  }
  if (CEILING) {
    const value = throughput("ours", "cycle_wall");
    const anchorValue = throughput("noop", "cycle_wall");
    rows.push({ name: "v2 claim + complete, ours vs the client's ceiling", value, unit: "tasks/s", anchor: "no-op server (replayed answers)", anchorValue, ratio: value / anchorValue });
    rows.push({ name: "v2 claim latency p50, no-op server", value: latency("noop", "claim", 50), unit: "ms" });
  }
  // Where the time goes: CPU per task of the client processes (per phase) and of the server process (both phases).
  const perTask = (kind: Kind, field: "submit_cpu" | "cycle_cpu" | "server_cpu") => median(samples[kind].map((s) => (s[field] / (TASKS * PROCESSES)) * 1000));
  for (const [name, field] of [["client CPU per submit", "submit_cpu"], ["client CPU per claim + complete", "cycle_cpu"], ["server CPU per task (submit + claim + complete)", "server_cpu"]] as const) {
    const value = perTask("ours", field);
    const anchorValue = perTask("theirs", field);
    rows.push({ name: `v2 ${name}`, value, unit: "ms", anchor, anchorValue, ratio: value / anchorValue });
  }
  return rows;
}
