/**
 * Running our CLI as a user does, against our HTTP server in this process: a server on a free port over a broker,
 * a client.toml in v1's layout that both our CLI and labtasker 1.0.1's read, and wall-time measurement of commands.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { Broker } from "../../src/broker/broker.js";
import { saveClientConfig } from "../../src/config/clientConfig.js";
import { createApp } from "../../src/http/app.js";
import { median } from "./stats.js";
import { nowMs } from "./timing.js";

/** The built CLI (`npm run build`). */
export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

/** Unmeasured runs before the measured ones, so the file cache is warm, as on a machine in use. */
const WARMUP = 3;

export interface CliServer extends AsyncDisposable {
  broker: Broker;
  /** The server's base URL, with a trailing slash. */
  url: string;
  /** A working directory for the commands. */
  dir: string;
  /** The environment under which a CLI reads this server's client.toml (and no LABTASKER_* override). */
  env: NodeJS.ProcessEnv;
}

/** Starts our HTTP server on `redisUrl` under a key prefix of its own, with a queue and a client.toml for it. */
export async function startCliServer(redisUrl: string, queueName: string, password: string): Promise<CliServer> {
  const redis = new Redis(redisUrl);
  const broker = new Broker({ redis, keyPrefix: `bench-cli-${Math.random().toString(36).slice(2, 10)}` });
  const dir = mkdtempSync(join(tmpdir(), "labtasker-cli-bench-"));
  await broker.queues.create({ queueName, password });
  const { app } = createApp({ broker });
  const server = await new Promise<Server>((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const root = join(dir, ".labtasker");
  saveClientConfig(root, { apiBaseUrl: url, queueName, password });
  const env: NodeJS.ProcessEnv = { ...process.env, LABTASKER_ROOT: root };
  for (const name of ["LABTASKER_API_BASE_URL", "LABTASKER_QUEUE_NAME", "LABTASKER_PASSWORD", "LABTASKER_REDIS_URL", "LABTASKER_KEY_PREFIX"]) delete env[name];
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await broker.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  };
  return { broker, url, dir, env, [Symbol.asyncDispose]: close };
}

/** Runs a command to its end (stdout discarded) and returns its wall time in ms; rejects on a non-zero exit. */
export function timedRun(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
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
export async function coldStart(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, runs: number): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await timedRun(file, args, env, cwd);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timedRun(file, args, env, cwd));
  return median(times);
}
