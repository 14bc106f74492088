/**
 * Harness of the SDK tests: a fresh queue on the test Redis (a key prefix of its own), reached by the SDK exactly as
 * a user reaches it, through `connect()`: over HTTP to our server (the app in this process, on a free port) or
 * directly on Redis. Next to it, a `setup` API straight on a broker of the harness, for arranging and checking the
 * queue without going through the code under test; its clock can be moved (`skew`) to make tasks look old.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach } from "vitest";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { createApp } from "../../src/http/app.js";
import type { Task } from "../../src/core/model.js";
import { closeDefaultClient, configure, connect, type ConnectOptions, type LabtaskerClient, type LoopLogger } from "../../src/index.js";
import { createTestBroker, redisUrl } from "../support/redis.js";

export type Transport = "direct" | "http";
export const TRANSPORTS: Transport[] = ["direct", "http"];

export const DIST_ROOT = resolve(import.meta.dirname, "../../dist/index.js");
export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
export const TSX = resolve(import.meta.dirname, "../../node_modules/tsx/dist/cli.mjs");
export const REPO = resolve(import.meta.dirname, "../..");

export interface SdkQueue extends AsyncDisposable {
  transport: Transport;
  /** The SDK's client, from `connect()`. */
  client: LabtaskerClient;
  /** What `connect()` was given: for more clients, or for child processes (see {@link envFor}). */
  connectOptions: ConnectOptions;
  /** The queue through the harness's broker, bypassing the SDK. */
  setup: DirectLabtasker;
  /** Milliseconds added to the clock of the harness's broker (and of the server, over HTTP). */
  skew: { ms: number };
  queueName: string;
  password: string;
  /** A scratch LABTASKER_ROOT (loops write logs/run/ there). */
  root: string;
  /** The key prefix of this queue's Redis keys. */
  prefix: string;
  /** The server's URL (HTTP only). */
  url: string | null;
  /** Every task, oldest first. */
  tasks(): Promise<Task[]>;
  /** The HTTP requests the server got so far, as "METHOD /path" (HTTP only). */
  requests: string[];
  /** Stops the HTTP server (open connections dropped), runs `whileDown`, and starts it again on the same port. */
  restartServer(whileDown?: () => Promise<void>): Promise<void>;
}

/** A fresh queue reached through `transport`, with the default client of the module-level functions set to it. */
export async function sdkQueue(transport: Transport): Promise<SdkQueue> {
  const skew = { ms: 0 };
  const test = createTestBroker({ now: () => Date.now() + skew.ms });
  const queueName = `sdk-${Math.random().toString(36).slice(2, 10)}`;
  const password = "pw";
  await test.broker.queues.create({ queueName, password });
  const setup = new DirectLabtasker(test.broker, { queueName, password });
  const root = mkdtempSync(join(tmpdir(), "labtasker-sdk-test-"));
  let server: Server | null = null;
  let openStreams: Set<{ end(): void }> | null = null;
  let url: string | null = null;
  const requests: string[] = [];
  const app = transport === "http" ? createApp({ broker: test.broker }) : null;
  const listen = async (port: number) => {
    openStreams = app!.openStreams as unknown as Set<{ end(): void }>;
    server = await new Promise<Server>((done) => {
      const listening = app!.app.listen(port, "127.0.0.1", () => done(listening));
    });
    server.on("request", (request: { method?: string; url?: string }) => requests.push(`${request.method} ${request.url}`));
    return (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    if (!server) return;
    for (const stream of openStreams ?? []) stream.end();
    server.closeAllConnections();
    await new Promise((done) => server!.close(done));
    server = null;
  };
  if (app) url = `http://127.0.0.1:${await listen(0)}`;
  const connectOptions: ConnectOptions =
    transport === "http"
      ? { serverUrl: url, queueName, password, root, useConfig: false, networkAttempts: 2 }
      : { redisUrl: redisUrl(), keyPrefix: test.prefix, queueName, password, root, useConfig: false };
  const client = await connect(connectOptions);
  configure(client);
  return {
    transport,
    client,
    connectOptions,
    setup,
    skew,
    queueName,
    password,
    root,
    prefix: test.prefix,
    url,
    async tasks() {
      return (await setup.lsTasks({ limit: 1000, sort: [["created_at", 1]] })).content;
    },
    requests,
    async restartServer(whileDown) {
      const port = Number(new URL(url!).port);
      await stop();
      await whileDown?.();
      await listen(port);
    },
    async [Symbol.asyncDispose]() {
      configure({});
      await closeDefaultClient();
      await client.close();
      await stop();
      await test[Symbol.asyncDispose]();
      if (!process.env.LABTASKER_TEST_KEEP) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The LABTASKER_* variables that make a child process's configuration reach the queue of `q`. */
export function envFor(q: SdkQueue): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("LABTASKER_")) delete env[name];
  delete env.NO_COLOR;
  env.LABTASKER_ROOT = q.root;
  env.LABTASKER_QUEUE_NAME = q.queueName;
  env.LABTASKER_PASSWORD = q.password;
  if (q.transport === "http") env.LABTASKER_API_BASE_URL = q.url!;
  else {
    env.LABTASKER_REDIS_URL = redisUrl();
    env.LABTASKER_KEY_PREFIX = q.prefix;
  }
  return env;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartedProcess {
  readonly stdout: string;
  readonly stderr: string;
  kill(signal: NodeJS.Signals): void;
  done: Promise<ProcessResult>;
}

const started: Array<{ kill(signal: NodeJS.Signals): void; exited: () => boolean }> = [];
afterEach(() => {
  for (const child of started.splice(0)) if (!child.exited()) child.kill("SIGKILL");
});

/** Starts `node <args>` (asynchronously: the server answering it runs in this process); killed after `timeoutMs`. */
export function startNode(args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): StartedProcess {
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? REPO, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output.stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const done = new Promise<ProcessResult>((done, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, ...output });
    });
  });
  started.push({ kill: (signal) => child.kill(signal), exited: () => child.exitCode !== null || child.signalCode !== null });
  return {
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    kill: (signal) => child.kill(signal),
    done,
  };
}

/** Polls `probe` until it returns a truthy value (returned) or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A logger that keeps the loop's lines, so tests read what it said (and the test output stays clean). */
export function memoryLogger(): LoopLogger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
}

/** Loop options for in-process loops in tests: no signal handlers (they would catch the test runner's), no prompts. */
export function testLoopOptions(q: SdkQueue, log = memoryLogger()) {
  return { handleSignals: false, promptOnFailure: false, log, root: q.root } as const;
}
