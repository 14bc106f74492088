/**
 * Security against the real server: wrong password and unknown queue give the same 401; one queue's credentials
 * never read or change another queue; passwords are never stored or logged in clear (Redis, server log, loop logs,
 * run directories, task records); the time a wrong password takes does not depend on how much of it was right.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { CLI_BIN, cleanEnv, startRedis, startServer, waitFor, writeClientConfig, type RedisHandle, type ServerHandle } from "./support/procs.js";
import { createQueue, percentile, report, setting, workspace, type QueueHandle, type Workspace } from "./support/scenario.js";

const TIMING_SAMPLES = setting("TIMING_SAMPLES", 40);

describe("security", () => {
  let ws: Workspace;
  let redis: RedisHandle;
  let server: ServerHandle;
  let a: QueueHandle;
  let b: QueueHandle;
  let db: Redis;
  let failed = true;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    ws = workspace("security");
    redis = await startRedis({ dataDir: join(ws.dir, "redis") });
    server = await startServer({ name: "server", redisUrl: redis.url, logDir: ws.logDir });
    a = await createQueue(server.url, "alpha");
    b = await createQueue(server.url, "beta");
    db = new Redis(redis.url);
  });

  afterAll(async () => {
    db?.disconnect();
    await server?.proc.stop();
    await redis?.stop();
    ws?.cleanup(failed);
  });

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

  async function call(method: string, path: string, authorization: string, body?: unknown) {
    const response = await fetch(server.url + path, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text(), headers: Object.fromEntries(response.headers) };
  }

  /** Digest of one queue's keys (everything under its hash slot). */
  async function queueDigest(queueId: string): Promise<string> {
    const keys = (await db.keys(`labtasker:{${queueId}}:*`)).sort();
    const parts: string[] = [];
    for (const key of keys) parts.push(key, ((await db.dumpBuffer(key)) ?? Buffer.alloc(0)).toString("base64"));
    return parts.join("|");
  }

  it("wrong password and unknown queue: the same 401, with no hint which", async () => {
    const cases = {
      wrongPassword: basic(a.queueName, "not-the-password"),
      unknownName: basic("no-such-queue", "not-the-password"),
      unknownId: basic("00000000-0000-4000-8000-000000000000", a.password),
      idWithWrongPassword: basic(a.queueId, "x"),
      otherQueuesPassword: basic(a.queueName, b.password),
      emptyPassword: basic(a.queueName, ""),
    };
    const answers = await Promise.all(Object.values(cases).map((authorization) => call("GET", "/api/v1/queues/me", authorization)));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.text).toBe(answers[0]!.text);
      expect(answer.headers["www-authenticate"]).toBe(answers[0]!.headers["www-authenticate"]);
      expect(Object.keys(answer.headers).sort()).toEqual(Object.keys(answers[0]!.headers).sort());
    }
    figures.unauthorizedBody = answers[0]!.text;
  });

  it("one queue's credentials never read or change another queue", async () => {
    const [taskB] = await b.client.submitTasks([{ args: { secret: "b-only" } }]);
    const workerB = await b.client.createWorker({ workerName: "wb" });
    await b.client.fetchTask({ workerId: workerB, heartbeatTimeout: 600 });
    await a.client.submitTasks([{ args: { mine: 1 } }]);
    const before = await queueDigest(b.queueId);
    const asA = basic(a.queueName, a.password);
    const attempts: Array<[string, string, unknown?]> = [
      ["GET", `/api/v1/queues/me/tasks/${taskB}`],
      ["DELETE", `/api/v1/queues/me/tasks/${taskB}`],
      ["POST", `/api/v1/queues/me/tasks/${taskB}/status`, { status: "success", worker_id: workerB }],
      ["POST", `/api/v1/queues/me/tasks/${taskB}/status`, { status: "cancelled" }],
      ["POST", `/api/v1/queues/me/tasks/${taskB}/heartbeat?worker_id=${workerB}`],
      ["PUT", "/api/v1/queues/me/tasks?reset_pending=true", [{ task_id: taskB, priority: 99 }]],
      ["GET", `/api/v1/queues/me/workers/${workerB}`],
      ["DELETE", `/api/v1/queues/me/workers/${workerB}`],
      ["POST", `/api/v1/queues/me/workers/${workerB}/status`, { status: "suspended" }],
      ["POST", "/api/v1/queues/me/tasks/next", { worker_id: workerB }],
    ];
    const statuses: number[] = [];
    for (const [method, path, body] of attempts) {
      const answer = await call(method, path, asA, body);
      statuses.push(answer.status);
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBeGreaterThanOrEqual(400);
      expect(answer.text).not.toContain("b-only");
    }
    // Listings and events of A show nothing of B.
    const listing = await call("POST", "/api/v1/queues/me/tasks/search", asA, { limit: 1000, extra_filter: { task_id: taskB } });
    expect(listing.status).toBe(200);
    expect(listing.text).not.toContain(taskB!);
    const all = await call("POST", "/api/v1/queues/me/tasks/search", asA, { limit: 1000 });
    expect(all.text).not.toContain("b-only");
    const workers = await call("POST", "/api/v1/queues/me/workers/search", asA, { limit: 1000 });
    expect(workers.text).not.toContain(workerB);
    // Renaming A to B's name is refused.
    expect((await call("PUT", "/api/v1/queues/me", asA, { new_queue_name: b.queueName })).status).toBeGreaterThanOrEqual(400);
    // Nothing of B changed, not a byte.
    expect(await queueDigest(b.queueId)).toBe(before);
    const seen: string[] = [];
    const controller = new AbortController();
    const reading = (async () => {
      try {
        for await (const event of a.client.events({ afterSequence: 0, signal: controller.signal })) seen.push(event.entityId);
      } catch {
        // aborted
      }
    })();
    await b.client.submitTasks([{ args: { during: 1 } }]);
    await a.client.submitTasks([{ args: { during: 1 } }]);
    await waitFor("A's own events", () => seen.length >= 2, { timeoutMs: 10_000 });
    controller.abort();
    await reading;
    expect(seen).not.toContain(taskB);
    expect(seen).not.toContain(workerB);
    const taskAfter = await b.client.getTask(taskB!);
    expect(taskAfter.status).toBe("running");
    expect(taskAfter.workerId).toBe(workerB);
    expect(taskAfter.priority).toBe(10);
    expect((await b.client.getWorker(workerB)).status).toBe("active");
    figures.crossQueueAttempts = attempts.length + 4;
    figures.crossQueueStatuses = [...new Set(statuses)].sort();
  });

  it("passwords are never stored or logged in clear (Redis, server log, loop log, run directories, task records)", async () => {
    // A loop given the password on its command line, as `labtasker --password ... loop` allows, and one from client.toml.
    const root = writeClientConfig(join(ws.dir, "loop-root"), { apiBaseUrl: server.url, queueName: a.queueName, password: a.password, heartbeatInterval: 1 });
    await a.client.submitTasks(Array.from({ length: 3 }, (_, i) => ({ args: { i } })));
    const loopLog = execFileSync(process.execPath, [CLI_BIN, "--queue-name", a.queueName, "--password", a.password, "loop", "-v", "--", "sh", "-c", "echo run"], {
      env: cleanEnv({ LABTASKER_ROOT: root }),
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    // A password change and a queue created through the CLI as well.
    const newPassword = `${a.password}-new`;
    await a.client.updateQueue({ newPassword });
    const passwords = [a.password, b.password, newPassword];
    const encoded = passwords.flatMap((password) => [basic(a.queueName, password).slice(6), Buffer.from(password).toString("base64")]);

    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      for (const secret of [...passwords, ...encoded]) if (text.includes(secret)) leaks.push(`${where} holds ${secret === passwords[0] || secret === passwords[1] || secret === passwords[2] ? "a password" : "an encoded password"}`);
    };
    // Redis: every key and value, and the AOF on disk.
    for (const key of await db.keys("*")) {
      scan(`Redis key ${key}`, key);
      const type = await db.type(key);
      if (type === "string") scan(`Redis ${key}`, (await db.get(key)) ?? "");
      else if (type === "hash") scan(`Redis ${key}`, JSON.stringify(await db.hgetall(key)));
      else if (type === "stream") scan(`Redis ${key}`, JSON.stringify(await db.xrange(key, "-", "+")));
      else if (type === "zset") scan(`Redis ${key}`, JSON.stringify(await db.zrange(key, 0, -1)));
      else if (type === "set") scan(`Redis ${key}`, JSON.stringify(await db.smembers(key)));
      else if (type === "list") scan(`Redis ${key}`, JSON.stringify(await db.lrange(key, 0, -1)));
    }
    const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
    for (const file of files(join(ws.dir, "redis"))) scan(`AOF file ${file}`, readFileSync(file, "latin1"));
    scan("server log", server.proc.log());
    scan("loop output", loopLog);
    for (const file of files(join(root, "logs"))) scan(`run file ${file.slice(root.length)}`, readFileSync(file, "utf8"));
    // Task records (v1 records the loop's command line in `cmd`).
    const tasks = await new HttpLabtasker({ baseUrl: server.url, queueName: a.queueName, password: newPassword }).lsTasks({ limit: 1000 });
    scan("task records", JSON.stringify(tasks.content));
    const stored = await db.hget(`labtasker:{${a.queueId}}:queue`, "password");
    expect(stored).toMatch(/^scrypt\$/);
    figures.secretsLeaked = leaks.length;
    expect([...new Set(leaks)]).toEqual([]);
  });

  it("the time a wrong password takes does not depend on how much of it was right", async () => {
    const real = b.password;
    const groups: Record<string, string> = {
      nothingRight: "X".repeat(real.length),
      halfRight: real.slice(0, real.length / 2) + "X".repeat(real.length - real.length / 2),
      allButLast: real.slice(0, -1) + (real.endsWith("X") ? "Y" : "X"),
      longerPrefix: `${real}X`,
      unknownQueue: "X".repeat(real.length),
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((name) => [name, []]));
    // Interleaved, one at a time, so load drifts hit every group alike.
    for (let i = 0; i < TIMING_SAMPLES; i++) {
      for (const [name, password] of Object.entries(groups)) {
        const user = name === "unknownQueue" ? "no-such-queue" : b.queueName;
        const started = performance.now();
        const answer = await call("GET", "/api/v1/queues/me", basic(user, password));
        samples[name]!.push(performance.now() - started);
        expect(answer.status).toBe(401);
      }
    }
    const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, Math.round(percentile(values, 50) * 10) / 10]));
    const values = Object.values(medians);
    const spread = Math.max(...values) - Math.min(...values);
    figures.wrongPasswordMedianMs = medians;
    figures.wrongPasswordSpreadMs = Math.round(spread * 10) / 10;
    // scrypt dominates (~40 ms); prefix length must not show: medians within 15% of each other (noise on 2 cores).
    expect(spread, `${JSON.stringify(medians)}`).toBeLessThan(Math.min(...values) * 0.15 + 2);
    report("security", figures);
    failed = false;
  });
});
