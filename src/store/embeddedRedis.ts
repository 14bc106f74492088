import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { Redis } from "ioredis";

/** Options of {@link startEmbeddedRedis}. */
export interface EmbeddedRedisOptions {
  /** Directory for the AOF and RDB files; created when missing. */
  dataDir: string;
  /**
   * TCP port on 127.0.0.1.
   * @defaultValue a free port chosen by the operating system
   */
  port?: number;
  /**
   * The `redis-server` binary to run.
   * @defaultValue `LABTASKER_REDIS_SERVER` from the environment, else `redis-server` on the PATH
   */
  binary?: string;
  /**
   * AOF fsync policy: `always` loses no acknowledged write, `everysec` at most about one second of writes.
   * @defaultValue "everysec"
   */
  appendFsync?: "always" | "everysec" | "no";
  /** How long to wait for the server to answer PING. @defaultValue 10000 ms */
  startTimeoutMs?: number;
}

/** A redis-server child process owned by this process. */
export interface EmbeddedRedis extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number | undefined;
  /** Stops the server (SHUTDOWN, which flushes the AOF); idempotent. */
  stop(): Promise<void>;
}

/** Raised when no redis-server binary can be started; the message says how to get one. */
export class RedisBinaryNotFoundError extends Error {
  constructor(binary: string) {
    super(
      `Cannot start '${binary}': no redis-server binary was found. ` +
        "Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`), " +
        "set LABTASKER_REDIS_SERVER to its path, or pass --redis-url to use an existing Redis.",
    );
    this.name = "RedisBinaryNotFoundError";
  }
}

/**
 * The command line of a redis-server on 127.0.0.1: its data in `dir`, AOF with `appendFsync` (or no persistence at
 * all with `null`), no RDB snapshots, and the embedded default's `hash-max-listpack-value`.
 */
export function redisServerArgs(port: number, dir: string, appendFsync: "always" | "everysec" | "no" | null): string[] {
  const persistence = appendFsync === null ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", appendFsync];
  return [
    "--bind", "127.0.0.1",
    "--port", String(port),
    "--dir", dir,
    ...persistence,
    "--save", "",
    "--protected-mode", "yes",
    "--daemonize", "no",
    "--hash-max-listpack-value", "512",
    "--loglevel", "warning",
    "--logfile", "",
  ];
}

/** Asks the operating system for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `redis-server` bound to 127.0.0.1 with AOF persistence in `dataDir`, and resolves once it answers PING.
 *
 * The child gets its configuration on the command line (no config file), so nothing outside `dataDir` is touched.
 * Hashes keep the compact listpack encoding for values up to 512 bytes: a task's `args` JSON is usually
 * longer than Redis's default limit of 64 bytes, and the compact encoding halves the memory a task takes.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = options.binary ?? process.env.LABTASKER_REDIS_SERVER ?? "redis-server";
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const args = redisServerArgs(port, dataDir, options.appendFsync ?? "everysec");
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));

  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  const spawnError = await new Promise<Error | undefined>((resolveSpawn) => {
    child.once("error", (error) => resolveSpawn(error));
    child.once("spawn", () => resolveSpawn(undefined));
  });
  if (spawnError) {
    if ((spawnError as NodeJS.ErrnoException).code === "ENOENT") throw new RedisBinaryNotFoundError(binary);
    throw spawnError;
  }

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(url, child, exited, options.startTimeoutMs ?? 10_000, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return handle(child, exited, url, port, dataDir);
}

async function waitUntilAnswering(
  url: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined || child.exitCode !== null) {
      throw new Error(`redis-server exited with code ${exitCode ?? child.exitCode} before answering:\n${output()}`);
    }
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      // While the AOF loads, Redis answers LOADING: keep waiting until PING succeeds.
      await probe.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    } finally {
      probe.disconnect();
    }
  }
  throw new Error(`redis-server did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

function handle(
  child: ChildProcess,
  exited: Promise<number | null>,
  url: string,
  port: number,
  dataDir: string,
): EmbeddedRedis {
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM makes redis-server flush the AOF and exit cleanly; SIGKILL only if it hangs.
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  return { url, port, dataDir, pid: child.pid, stop, [Symbol.asyncDispose]: stop };
}
