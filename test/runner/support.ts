/**
 * Shared harness of the loop tests: a labtasker server on the real clock (heartbeats and timeouts are about real
 * time here), or direct mode on the test Redis; a scratch directory with its own LABTASKER_ROOT and client.toml; and
 * the real CLI (`node dist/cli/main.js loop ...`, built by the global setup), spawned asynchronously because the
 * server answering it runs in this process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { saveClientConfig } from "../../src/config/clientConfig.js";
import { createApp } from "../../src/http/app.js";
import type { Task } from "../../src/core/model.js";
import { createTestBroker, orDispose, redisUrl, type TestBroker } from "../support/redis.js";

export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
export const RUNNER_DIST = resolve(import.meta.dirname, "../../dist/runner/index.js");

/** Polls `probe` until it returns a truthy value (returned) or `timeoutMs` passes (throws, naming `what`). */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface LoopProcess {
  child: ChildProcess;
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the process has exited and its pipes are drained. */
  done: Promise<CliRun>;
}

export interface LoopHarness extends AsyncDisposable {
  /** Scratch directory: the working directory of the loops. */
  dir: string;
  /** LABTASKER_ROOT (client.toml, logs/run/...). */
  root: string;
  env: NodeJS.ProcessEnv;
  /** The queue, straight through the broker (for setup and assertions). */
  api: DirectLabtasker;
  broker: TestBroker["broker"];
  queueName: string;
  /** Starts `labtasker <args>`; without `input`, stdin is /dev/null. */
  start(args: readonly string[], options?: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string }): LoopProcess;
  /** Runs `labtasker <args>` to its end (killed after `timeoutMs`). */
  run(args: readonly string[], options?: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<CliRun>;
  /** Every task of the queue, oldest first. */
  tasks(): Promise<Task[]>;
  /** The run directories under `root/logs/run`, in the order their runs started. */
  runDirs(): string[];
}

/** The environment of the commands: this process's, minus any labtasker settings that would leak in. */
function cleanEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LABTASKER_ROOT: root };
  for (const name of Object.keys(env)) if (name.startsWith("LABTASKER_") && name !== "LABTASKER_ROOT") delete env[name];
  delete env.NO_COLOR;
  return env;
}

function startCli(args: readonly string[], options: { input?: string; env: NodeJS.ProcessEnv; cwd: string }): LoopProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output.stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output.stderr += chunk));
  if (options.input !== undefined) child.stdin!.end(options.input);
  const done = new Promise<CliRun>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, ...output }));
  });
  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    done,
  };
}

async function listen(broker: TestBroker["broker"]): Promise<{ url: string; close(): Promise<void> }> {
  const { app, openStreams } = createApp({ broker });
  const server: Server = await new Promise((resolvePromise) => {
    const s = app.listen(0, "127.0.0.1", () => resolvePromise(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const stream of openStreams) stream.end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface HarnessOptions {
  /** `server` (the HTTP app in this process) or `direct` (the CLI talks to Redis). @defaultValue "server" */
  mode?: "server" | "direct";
  /** `[task] heartbeat_interval` in client.toml, seconds. @defaultValue 10 (the template's) */
  heartbeatInterval?: number;
}

/** A fresh queue, a scratch directory with a configured client, and the CLI to run loops with. */
export async function loopHarness(options: HarnessOptions = {}): Promise<LoopHarness> {
  const test = createTestBroker({ now: () => Date.now() });
  return orDispose(test, () => harnessOn(test, options));
}

async function harnessOn(test: TestBroker, options: HarnessOptions): Promise<LoopHarness> {
  const queueName = `loop${Math.random().toString(36).slice(2, 10)}`;
  await test.broker.queues.create({ queueName, password: "pw" });
  const api = new DirectLabtasker(test.broker, { queueName, password: "pw" });
  const dir = mkdtempSync(join(tmpdir(), "labtasker-loop-test-"));
  const root = join(dir, ".labtasker");
  const env = cleanEnv(root);
  let server: { url: string; close(): Promise<void> } | null = null;
  if (options.mode === "direct") {
    saveClientConfig(root, { apiBaseUrl: "http://127.0.0.1:1/", queueName, password: "pw", redisUrl: redisUrl(), heartbeatInterval: options.heartbeatInterval });
    env.LABTASKER_KEY_PREFIX = test.prefix;
  } else {
    const listening = await listen(test.broker);
    server = listening;
    await orDispose({ [Symbol.asyncDispose]: () => listening.close() }, () =>
      saveClientConfig(root, { apiBaseUrl: listening.url, queueName, password: "pw", heartbeatInterval: options.heartbeatInterval }),
    );
  }
  const processes: ChildProcess[] = [];
  const start: LoopHarness["start"] = (args, runOptions = {}) => {
    const started = startCli(args, { input: runOptions.input, env: { ...env, ...runOptions.env }, cwd: runOptions.cwd ?? dir });
    processes.push(started.child);
    return started;
  };
  return {
    dir,
    root,
    env,
    api,
    broker: test.broker,
    queueName,
    start,
    async run(args, runOptions = {}) {
      const started = start(args, runOptions);
      const timer = setTimeout(() => started.child.kill("SIGKILL"), runOptions.timeoutMs ?? 25_000);
      try {
        return await started.done;
      } finally {
        clearTimeout(timer);
      }
    },
    async tasks() {
      const page = await api.lsTasks({ limit: 1000, sort: [["created_at", 1]] });
      return page.content;
    },
    runDirs() {
      const parent = join(root, "logs", "run");
      try {
        const started = (dir: string) => String((JSON.parse(readFileSync(join(dir, "task_info.json"), "utf8")) as { start_time: string }).start_time);
        return readdirSync(parent)
          .map((name) => join(parent, name))
          .sort((a, b) => started(a).localeCompare(started(b)));
      } catch {
        return [];
      }
    },
    async [Symbol.asyncDispose]() {
      for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await server?.close();
      await test[Symbol.asyncDispose]();
      if (!process.env.LABTASKER_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}
