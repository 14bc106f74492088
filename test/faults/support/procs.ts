/**
 * Real processes for the fault suite: redis-server (through src/store/embeddedRedis.ts), `labtasker-server serve`
 * and `labtasker loop`, each with its output in a log file of the scenario's work directory, and ways to kill them
 * hard (SIGKILL of a loop and of the command it is running) or stop them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from "../../../src/store/embeddedRedis.js";

export const ROOT = resolve(import.meta.dirname, "../../..");
export const SERVER_BIN = join(ROOT, "dist/http/main.js");
export const CLI_BIN = join(ROOT, "dist/cli/main.js");

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. Never sleeps blindly. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, { timeoutMs = 30_000, intervalMs = 100 } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await sleep(intervalMs);
  }
}

/** A child process whose stdout and stderr go to one log file. */
export class Proc {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolveExit) =>
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolveExit(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /**
   * SIGKILL to this process and to every descendant (a loop's command runs in a process group of its own, so killing
   * the loop alone would leave it running). Children are stopped first so none can react to the parent's death.
   */
  killTree(): number[] {
    if (!this.running) return [];
    const pids = [this.pid, ...descendants(this.pid)];
    for (const pid of pids) trySignal(pid, "SIGSTOP");
    for (const pid of pids.reverse()) trySignal(pid, "SIGKILL");
    return pids;
  }

  /** SIGSTOP (or SIGCONT) to this process and its descendants: a machine that freezes, then wakes up. */
  freezeTree(signal: "SIGSTOP" | "SIGCONT"): void {
    for (const pid of [this.pid, ...descendants(this.pid)]) trySignal(pid, signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.killTree(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Every descendant of `pid`, from /proc (children of children too). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Spawns a process with stdout and stderr appended to `logFile` (which survives restarts of the same role). */
export function spawnLogged(name: string, file: string, args: string[], logFile: string, options: SpawnOptions = {}): Proc {
  const fd = openSync(logFile, "a");
  const child = spawn(file, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  return new Proc(name, child, logFile);
}

/** A clean environment for our binaries: no LABTASKER_* settings of the parent leak in. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("LABTASKER_") || ["QUEUE_NAME", "PASSWORD", "REDIS_URL", "API_PORT", "API_HOST", "PERIODIC_TASK_INTERVAL", "NODE_OPTIONS"].includes(name)) delete env[name];
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

export interface RedisHandle {
  url: string;
  port: number;
  dataDir: string;
  current: EmbeddedRedis;
  /** Crash: SIGKILL, no AOF flush beyond what the fsync policy already did. */
  crash(): Promise<void>;
  /** Starts redis-server again on the same port and data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** redis-server with AOF in `dataDir` (src/store/embeddedRedis.ts), restartable on the same port. */
export async function startRedis(options: { dataDir: string; appendFsync?: "always" | "everysec"; binary?: string }): Promise<RedisHandle> {
  const port = await freePort();
  const start = () => startEmbeddedRedis({ dataDir: options.dataDir, port, appendFsync: options.appendFsync ?? "everysec", binary: options.binary, startTimeoutMs: 30_000 });
  const handle: RedisHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dataDir: options.dataDir,
    current: await start(),
    async crash() {
      if (handle.current.pid) trySignal(handle.current.pid, "SIGKILL");
      await handle.current.stop();
    },
    async restart() {
      handle.current = await start();
    },
    async stop() {
      await handle.current.stop();
    },
  };
  return handle;
}

export interface ServerHandle {
  proc: Proc;
  port: number;
  url: string;
  /** Starts it again (same port, same log file) after it exited. */
  restart(): Promise<void>;
}

/** `labtasker-server serve` on a free port against `redisUrl` (`env`: settings added to its clean environment); resolves once it answers /health. */
export async function startServer(options: { name: string; redisUrl: string; logDir: string; port?: number; sweepInterval?: number; keyPrefix?: string; env?: NodeJS.ProcessEnv }): Promise<ServerHandle> {
  const port = options.port ?? (await freePort());
  const logFile = join(options.logDir, `${options.name}.log`);
  const launch = async () => {
    const proc = spawnLogged(
      options.name,
      process.execPath,
      [SERVER_BIN, "serve", "--host", "127.0.0.1", "--port", String(port), "--redis-url", options.redisUrl, "--sweep-interval", String(options.sweepInterval ?? 0.5), "--key-prefix", options.keyPrefix ?? "labtasker"],
      logFile,
      { env: cleanEnv(options.env) },
    );
    await waitFor(`${options.name} to answer on port ${port}`, async () => {
      if (!proc.running) throw new Error(`${options.name} exited: ${proc.log().slice(-2000)}`);
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      return response.ok;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    return proc;
  };
  const handle: ServerHandle = {
    proc: await launch(),
    port,
    url: `http://127.0.0.1:${port}`,
    async restart() {
      handle.proc = await launch();
    },
  };
  return handle;
}

export interface LoopSpec {
  /** A LABTASKER_ROOT with client.toml ({@link writeClientConfig}). */
  root: string;
  /** The loop's arguments after `loop` (e.g. `["--", "sh", "job.sh"]`). */
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/** `labtasker loop ...` as its own process. */
export function startLoop(name: string, spec: LoopSpec): Proc {
  return spawnLogged(name, process.execPath, [CLI_BIN, "loop", ...spec.args], spec.logFile, {
    env: cleanEnv({ LABTASKER_ROOT: spec.root, ...spec.env }),
    cwd: spec.root,
  });
}

/** A client root with client.toml in v1's layout: server, queue, and the heartbeat interval (seconds). */
export function writeClientConfig(root: string, options: { apiBaseUrl?: string; redisUrl?: string; queueName: string; password: string; heartbeatInterval: number }): string {
  mkdirSync(root, { recursive: true });
  const lines = [
    "[endpoint]",
    `api_base_url = "${options.apiBaseUrl ?? "http://127.0.0.1:9321"}"`,
    "",
    "[queue]",
    `queue_name = "${options.queueName}"`,
    `password = "${options.password}"`,
    "",
    "[task]",
    `heartbeat_interval = ${options.heartbeatInterval}`,
  ];
  if (options.redisUrl) lines.unshift(`redis_url = "${options.redisUrl}"`, "");
  writeFileSync(join(root, "client.toml"), `${lines.join("\n")}\n`);
  return root;
}

/** A TypeScript program of test/faults/bin as its own process (`node --import tsx`). */
export function startProgram(name: string, script: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): Proc {
  return spawnLogged(name, process.execPath, ["--import", "tsx", join(ROOT, "test/faults/bin", script), ...args], logFile, { env: cleanEnv(env), cwd: ROOT });
}
