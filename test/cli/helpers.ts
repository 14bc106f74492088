/**
 * End-to-end harness for the CLI: the real binary (`node dist/cli/main.js`, built by the global setup) against a
 * real server (the HTTP app in this process, on a free port, with its own key prefix on the test Redis) or directly
 * on Redis. Every harness has its own LABTASKER_ROOT with a client.toml written by `saveClientConfig`, and a bin
 * directory where `labtasker` and `lt` run the binary, so shell scripts from the seeds run as written.
 *
 * Commands are spawned asynchronously: the server answering them runs in this process's event loop.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { saveClientConfig } from "../../src/config/clientConfig.js";
import type { Task } from "../../src/core/model.js";
import { startTestServerWithQueue } from "../support/http.js";
import { createTestBroker, orDispose, redisUrl } from "../support/redis.js";

export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed; without it stdin is /dev/null (not a terminal, no data). */
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kills the process (SIGKILL) after this many ms. @defaultValue 20000 */
  timeoutMs?: number;
}

/** Runs a program and collects its output; never rejects on a non-zero exit. */
export function execute(file: string, args: readonly string[], options: RunOptions & { env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

export interface CliHarness extends AsyncDisposable {
  /** The LABTASKER_ROOT of this harness (holds client.toml). */
  root: string;
  /** A scratch directory, the working directory of commands. */
  dir: string;
  /** The environment commands run with (PATH starts with the bin directory holding `labtasker` and `lt`). */
  env: NodeJS.ProcessEnv;
  /** `labtasker <args>`. */
  run(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** A bash script, as a user would type it. */
  sh(script: string, options?: RunOptions): Promise<RunResult>;
  /** The queue, read and changed through the API (not through the CLI). */
  api: DirectLabtasker;
  queueName: string;
  /** Every task of the queue, oldest first. */
  tasks(): Promise<Task[]>;
}

function scratch(): { dir: string; root: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), "labtasker-cli-test-"));
  const root = join(dir, ".labtasker");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const name of ["labtasker", "lt"]) {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(file, 0o755);
  }
  return { dir, root, bin };
}

function baseEnv(bin: string, root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, LABTASKER_ROOT: root };
  // The parent's own settings must not leak into the commands under test.
  for (const name of ["LABTASKER_API_BASE_URL", "LABTASKER_QUEUE_NAME", "LABTASKER_PASSWORD", "LABTASKER_REDIS_URL", "LABTASKER_KEY_PREFIX", "QUEUE_NAME", "PASSWORD", "NO_COLOR", "FORCE_COLOR", "CI", "PAGER", "VISUAL", "EDITOR", "LABTASKER_DEBUG"]) {
    delete env[name];
  }
  return env;
}

function harness(parts: { dir: string; root: string; env: NodeJS.ProcessEnv; api: DirectLabtasker; queueName: string; dispose: () => PromiseLike<void> }): CliHarness {
  const { dir, root, env, api, queueName } = parts;
  const merge = (options: RunOptions) => ({ ...options, cwd: options.cwd ?? dir, env: { ...env, ...options.env } });
  return {
    root,
    dir,
    env,
    api,
    queueName,
    run: (args, options = {}) => execute(process.execPath, [CLI, ...args], merge(options)),
    sh: (script, options = {}) => execute("bash", ["-euo", "pipefail", "-c", script], merge(options)),
    async tasks() {
      const tasks: Task[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await api.lsTasks({ limit: 1000, offset, sort: [["created_at", 1]] });
        tasks.push(...page.content);
        if (page.content.length < 1000) return tasks;
      }
    },
    async [Symbol.asyncDispose]() {
      await parts.dispose();
      if (!process.env.LABTASKER_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A server with one queue and a configured client. The server's clock is the real one (tests that need old tasks
 * move it with `server.clock.ms`).
 */
export async function cliWithServer() {
  const server = await startTestServerWithQueue();
  return orDispose(server, () => cliOn(server));
}

async function cliOn(server: Awaited<ReturnType<typeof startTestServerWithQueue>>) {
  // The CLI runs in real time (`date("3 hours ago")` reads the real clock), so the server's clock follows it;
  // setting `clock.ms` shifts it (tests that need old tasks), and it keeps running from there.
  let offset = 0;
  Object.defineProperty(server.clock, "ms", {
    get: () => Date.now() + offset,
    set: (value: number) => {
      offset = value - Date.now();
    },
  });
  const { dir, root, bin } = scratch();
  saveClientConfig(root, { apiBaseUrl: server.url, queueName: server.queueName, password: "pw" });
  const api = new DirectLabtasker(server.broker, { queueName: server.queueName, password: "pw" });
  const cli = harness({
    dir,
    root,
    env: baseEnv(bin, root),
    api,
    queueName: server.queueName,
    dispose: () => server[Symbol.asyncDispose](),
  });
  return Object.assign(cli, { server });
}

/**
 * Direct mode: no server; the client's config has `redis_url` and the test's key prefix comes from
 * LABTASKER_KEY_PREFIX, so the commands see only this test's keys.
 */
export async function cliDirect() {
  const test = createTestBroker({ now: () => Date.now() });
  return orDispose(test, () => cliDirectOn(test));
}

async function cliDirectOn(test: ReturnType<typeof createTestBroker>) {
  const queueName = `direct${Math.random().toString(36).slice(2, 10)}`;
  await test.broker.queues.create({ queueName, password: "pw" });
  const { dir, root, bin } = scratch();
  saveClientConfig(root, { apiBaseUrl: "http://127.0.0.1:1/", queueName, password: "pw", redisUrl: redisUrl() });
  const env = { ...baseEnv(bin, root), LABTASKER_KEY_PREFIX: test.prefix };
  const api = new DirectLabtasker(test.broker, { queueName, password: "pw" });
  return Object.assign(harness({ dir, root, env, api, queueName, dispose: () => test[Symbol.asyncDispose]() }), { test });
}

/** Expects an exit code; on a mismatch the failure shows the command's stderr and stdout. */
export function expectCode(result: RunResult, code: number): void {
  expect({ code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({ code, stderr: expect.any(String), stdout: expect.any(String) });
}

/** Task ids in `text` (`t_` + 12 characters), in order. */
export function ids(text: string): string[] {
  return text.match(/(?<![\w-])t_[A-Za-z0-9_-]{12}(?![\w-])/g) ?? [];
}

/** Queue and worker ids in `text` (UUIDs), in order. */
export function uuids(text: string): string[] {
  return text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];
}

/**
 * Puts a pending task in `status` through the API: fetched, then reported. A failure goes back to pending while
 * retries remain, so "failed" is reported until the task has none left.
 */
export async function settle(api: DirectLabtasker, taskId: string, status: "running" | "success" | "failed", summary?: Record<string, number>): Promise<void> {
  for (;;) {
    const task = await api.fetchTask({ extraFilter: { _id: taskId } });
    if (task?.taskId !== taskId) throw new Error(`task ${taskId} could not be fetched`);
    if (status === "running") return;
    await api.reportTaskStatus(taskId, status, { summary: summary ?? null });
    if ((await api.getTask(taskId)).status === status) return;
  }
}
