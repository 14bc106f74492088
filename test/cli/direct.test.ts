/**
 * Direct mode: the same commands with no server, on the test Redis through `redis_url` in client.toml (or
 * LABTASKER_REDIS_URL), under this test's key prefix (LABTASKER_KEY_PREFIX).
 */
import { spawn } from "node:child_process";
import { describe, expect, test } from "vitest";
import { redisUrl } from "../support/redis.js";
import { CLI, cliDirect, expectCode, ids, settle } from "./helpers.js";

const TIMEOUT = { timeout: 120_000 };

describe("direct mode", TIMEOUT, () => {
  test("submit (one and --jsonl), ls, update, count, delete, with floats kept", async () => {
    await using cli = await cliDirect();
    const one = await cli.run(["task", "submit", "--name", "direct", "--", "--lr=3.0", "--model", "vit"]);
    expectCode(one, 0);
    const [first] = ids(one.stdout);
    const bulk = await cli.run(["task", "submit", "--jsonl", "-", "-q"], { input: '{"args": {"i": 1}}\n{"args": {"i": 2}, "priority": 50}\n' });
    expectCode(bulk, 0);
    const [, high] = bulk.stdout.trim().split("\n");
    expect(await cli.api.getTask(high!)).toMatchObject({ priority: 50, args: { i: 2 } });

    const listed = await cli.run(["task", "ls", "--fmt", "jsonl", "-f", "task_name == 'direct'"]);
    expect(listed.stdout).toContain('"args":{"lr":3.0,"model":"vit"}');
    const order = await cli.run(["task", "ls", "-q"]);
    expect(order.stdout.trim().split("\n")[0]).toBe(high);

    const update = await cli.run(["task", "update", "--id", first!, "-u", "args.lr=0.5", "-q"]);
    expectCode(update, 0);
    expect((await cli.api.getTask(first!)).args).toEqual({ lr: 0.5, model: "vit" });

    await settle(cli.api, high!, "success");
    const count = await cli.run(["task", "count", "--fmt", "json"]);
    expect(JSON.parse(count.stdout)).toEqual({ pending: 2, running: 0, success: 1, failed: 0, cancelled: 0 });
    const deleted = await cli.sh("labtasker task ls -s success -q | labtasker task delete -y");
    expectCode(deleted, 0);
    expect(await cli.tasks()).toHaveLength(2);
  });

  test("queue and worker commands, health, and the queue password still checked", async () => {
    await using cli = await cliDirect();
    const get = await cli.run(["queue", "get"]);
    expect(JSON.parse(get.stdout)).toMatchObject({ queue_name: cli.queueName });
    const worker = await cli.run(["worker", "create", "--name", "node1", "-q"]);
    expectCode(worker, 0);
    expect((await cli.run(["worker", "ls", "-q"])).stdout).toBe(worker.stdout);
    const report = await cli.run(["worker", "report", worker.stdout.trim(), "suspended"]);
    expectCode(report, 0);
    const health = await cli.run(["health"]);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: "healthy" });
    const wrong = await cli.run(["--password", "wrong", "task", "ls"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("Either invalid credentials or queue not created");
    const created = await cli.run(["queue", "create", "--queue-name", `${cli.queueName}x`, "--password", "p", "-q"]);
    expectCode(created, 0);
  });

  test("LABTASKER_REDIS_URL selects direct mode over a file that points at a server", async () => {
    await using cli = await cliDirect();
    const config = await cli.run(["config", "--set", "redis_url=''"]);
    expect(config.code).toBe(0);
    const viaServer = await cli.run(["task", "ls", "-q"]);
    expect(viaServer.code).toBe(1);
    const viaEnv = await cli.run(["task", "submit", "-q", "--", "--x=1"], { env: { LABTASKER_REDIS_URL: redisUrl() } });
    expectCode(viaEnv, 0);
    expect((await cli.api.getTask(viaEnv.stdout.trim())).args).toEqual({ x: 1 });
  });

  test("event listen reads the queue's stream from Redis", async () => {
    await using cli = await cliDirect();
    const child = spawn(process.execPath, [CLI, "event", "listen", "--compact"], { cwd: cli.dir, env: cli.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let ticker: NodeJS.Timeout | undefined;
    const done = new Promise<number | null>((resolve) => child.on("close", resolve));
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stderr.on("data", (chunk: Buffer) => {
      if (ticker === undefined && chunk.toString().includes("Connected.")) {
        ticker = setInterval(() => void cli.api.submitTasks([{ args: { i: 1 } }]), 300);
      }
    });
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("created    -> pending")) {
        clearInterval(ticker);
        child.kill("SIGINT");
      }
    });
    const code = await done;
    clearTimeout(killer);
    clearInterval(ticker);
    expect(code).toBe(130);
    expect(stdout).toMatch(/\[task {6}\]\[t_[A-Za-z0-9_-]{12}\]\[created {4}-> pending {3}\]/);
  });
});
