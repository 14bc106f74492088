/**
 * `labtasker-server serve` on a lab's Redis that it does not control: ACL users with less than everything, a password
 * in the URL, an eviction policy that can delete tasks, and a stop while Redis is down. Each case runs the real
 * binary against a redis-server of its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { requiredAcl } from "../../src/store/access.js";
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from "../../src/store/embeddedRedis.js";

const main = join(import.meta.dirname, "../../dist/http/main.js");

interface Serve {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function serve(redisUrl: string, ...flags: string[]): Promise<Serve> {
  return freePort().then((port) => {
    const child = spawn(process.execPath, [main, "serve", "--host", "127.0.0.1", "--port", String(port), "--redis-url", redisUrl, ...flags], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, port, output: () => output, exited };
  });
}

/** Waits until the server answers /health, or throws with its output when it exits first. */
async function started(server: Serve): Promise<Serve> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`serve exited early:\n${server.output()}`);
    if (await fetch(`http://127.0.0.1:${server.port}/health`).then((r) => r.ok, () => false)) return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`serve did not answer:\n${server.output()}`);
}

/** Creates a queue, submits and fetches a task, and reports it: the commands a server needs, end to end. */
async function roundTrip(port: number): Promise<void> {
  const base = `http://127.0.0.1:${port}/api/v1`;
  const created = await fetch(`${base}/queues`, { method: "POST", body: JSON.stringify({ queue_name: "lab", password: "pw" }) });
  expect(created.status).toBe(201);
  const headers = { authorization: `Basic ${Buffer.from("lab:pw").toString("base64")}` };
  const post = (path: string, body: unknown) => fetch(`${base}/queues/me${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  expect((await post("/tasks", { args: { lr: 0.1 } })).status).toBe(201);
  const fetched = (await (await post("/tasks/next", {})).json()) as { task: { task_id: string } };
  expect((await post(`/tasks/${fetched.task.task_id}/status`, { status: "success", summary: { acc: 1 } })).status).toBe(200);
}

describe("serve on a lab's Redis", () => {
  let redis: EmbeddedRedis;
  let admin: Redis;
  let dataDir: string;
  const running: Serve[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "labtasker-lab-redis-"));
    redis = await startEmbeddedRedis({ dataDir });
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    for (const server of running.splice(0)) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    await admin.flushall();
    await admin.config("SET", "maxmemory-policy", "noeviction");
    await admin.config("SET", "maxmemory", "0");
  });
  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const url = (user: string, password: string) => `redis://${user}:${password}@127.0.0.1:${redis.port}/0`;
  const launch = async (redisUrl: string, ...flags: string[]) => {
    const server = await serve(redisUrl, ...flags);
    running.push(server);
    return server;
  };

  it("runs with exactly the ACL docs/deploy.md gives, and never prints the password", async () => {
    await admin.call("ACL", "SETUSER", "exact", "on", ">s3cret-pw", ...requiredAcl("labtasker").split(" "));
    const server = await started(await launch(url("exact", "s3cret-pw")));
    await roundTrip(server.port);
    const health = await (await fetch(`http://127.0.0.1:${server.port}/health/full?details=true`)).text();
    expect(JSON.parse(health)).toMatchObject({ status: "healthy", warnings: [] });
    expect(server.output()).toContain("redis://exact:***@");
    expect(server.output() + health).not.toContain("s3cret-pw");
  });

  it("works without INFO: one warning of its own, no ioredis warning, no stack trace", async () => {
    await admin.call("ACL", "SETUSER", "noinfo", "on", ">pw", "~labtasker:*", "+@all", "-@dangerous");
    const server = await started(await launch(url("noinfo", "pw")));
    await roundTrip(server.port);
    const lines = server.output().split("\n").filter(Boolean);
    expect(lines.filter((line) => line.includes("Warning:"))).toHaveLength(1);
    expect(server.output()).toMatch(/may not run INFO, so its maxmemory-policy is unknown/);
    expect(server.output()).not.toMatch(/ready check|ioredis|\n\s+at /);
  });

  it("without access to its key prefix: one line naming the missing permission, exit 1", async () => {
    await admin.call("ACL", "SETUSER", "elsewhere", "on", ">pw", "~other:*", "+@all");
    const server = await launch(url("elsewhere", "pw"));
    expect(await server.exited).toBe(1);
    const lines = server.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^labtasker-server: Redis user 'elsewhere' lacks access to the keys 'labtasker:\*'/);
    expect(lines[0]).toContain("ACL SETUSER elsewhere ~labtasker:*");
  });

  it("without scripts: one line naming the command", async () => {
    await admin.call("ACL", "SETUSER", "noscripts", "on", ">pw", "~labtasker:*", "+@all", "-@scripting");
    const server = await launch(url("noscripts", "pw"));
    expect(await server.exited).toBe(1);
    const lines = server.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/lacks a command the server needs \(scripts\): NOPERM .*'(fcall|evalsha)'/i);
  });

  it("wrong password: one line, the password masked", async () => {
    await admin.call("ACL", "SETUSER", "someone", "on", ">right", "~*", "+@all");
    const server = await launch(url("someone", "wrong-secret"));
    expect(await server.exited).toBe(1);
    expect(server.output().trim()).toMatch(/^labtasker-server: Redis at redis:\/\/someone:\*\*\*@127\.0\.0\.1:\d+\/0 refused the credentials: WRONGPASS/);
    expect(server.output()).not.toContain("wrong-secret");
  });

  it("allkeys-lru with a maxmemory: refuses without --allow-eviction; with it, one warning, also in /health/full", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    await admin.config("SET", "maxmemory", String(1 << 30));
    const refused = await launch(redis.url);
    expect(await refused.exited).toBe(1);
    expect(refused.output().trim().split("\n")).toHaveLength(1);
    expect(refused.output()).toMatch(/maxmemory-policy is allkeys-lru .*tasks and queues included.*--allow-eviction/);

    const server = await started(await launch(redis.url, "--allow-eviction"));
    await roundTrip(server.port);
    const warnings = server.output().split("\n").filter((line) => /allkeys-lru/.test(line));
    expect(warnings).toHaveLength(1);
    expect(server.output()).not.toMatch(/IMPORTANT|Eviction policy is/);
    const health = (await (await fetch(`http://127.0.0.1:${server.port}/health/full?details=true`)).json()) as { warnings: string[] };
    expect(health.warnings).toHaveLength(1);
    expect(health.warnings[0]).toMatch(/allkeys-lru/);
  });

  it("allkeys-lru without a maxmemory: starts, with one warning", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    const server = await started(await launch(redis.url));
    expect(server.output().split("\n").filter((line) => /allkeys-lru/.test(line))).toHaveLength(1);
    expect(server.output()).toMatch(/maxmemory is not set yet/);
  });

  it("/health/full?details=true and /health/sweep say when the sweep last ran", async () => {
    const server = await started(await launch(redis.url, "--sweep-interval", "0.2"));
    await new Promise((r) => setTimeout(r, 600));
    const health = (await (await fetch(`http://127.0.0.1:${server.port}/health/full?details=true`)).json()) as { sweep: { last_run: string; seconds_ago: number; interval_seconds: number; late: boolean } };
    expect(health.sweep.interval_seconds).toBe(0.2);
    expect(health.sweep.late).toBe(false);
    expect(health.sweep.seconds_ago).toBeLessThan(1);
    expect(Date.now() - Date.parse(health.sweep.last_run)).toBeLessThan(1000);
    expect((await fetch(`http://127.0.0.1:${server.port}/health/sweep`)).status).toBe(200);
    // v1's answer without it: labtasker 1.0.1's client warns about fields it does not know.
    expect(await (await fetch(`http://127.0.0.1:${server.port}/health/full`)).json()).toEqual({ status: "healthy", database: "connected" });
  });
});

describe("stopping with Redis down", () => {
  it("SIGTERM: gone within the 10 s bound, the request in flight answered 503, one line and exit 1 say it was not clean", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "labtasker-stop-"));
    const redis = await startEmbeddedRedis({ dataDir });
    const server = await started(await serve(redis.url));
    try {
      const base = `http://127.0.0.1:${server.port}/api/v1`;
      await fetch(`${base}/queues`, { method: "POST", body: JSON.stringify({ queue_name: "down", password: "pw" }) });
      await redis.stop();
      const headers = { authorization: `Basic ${Buffer.from("down:pw").toString("base64")}` };
      const inFlight = fetch(`${base}/queues/me/tasks`, { method: "POST", headers, body: '{"args":{"a":1}}' }).then((r) => r.status, (e: Error) => e.message);
      await new Promise((r) => setTimeout(r, 500));
      const signalled = Date.now();
      server.child.kill("SIGTERM");
      const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r("still running"), 15_000))]);
      const took = Date.now() - signalled;
      expect(code).toBe(1);
      expect(took).toBeLessThan(10_000);
      expect(await inFlight).toBe(503);
      const notClean = server.output().split("\n").filter((line) => line.includes("Stop not clean"));
      expect(notClean).toHaveLength(1);
      expect(notClean[0]).toMatch(/answered 503/);
    } finally {
      server.child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
