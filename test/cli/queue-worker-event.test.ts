/** `queue *`, `worker *`, `event listen` and `health` end to end: the real binary against a real server. */
import { spawn } from "node:child_process";
import { describe, expect, test } from "vitest";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { CLI, cliWithServer, expectCode, ids, uuids } from "./helpers.js";

const TIMEOUT = { timeout: 120_000 };

describe("queue", TIMEOUT, () => {
  test("create with flags or QUEUE_NAME/PASSWORD, -q; an existing name fails with v1's message", async () => {
    await using cli = await cliWithServer();
    const created = await cli.run(["queue", "create", "--queue-name", "second", "--password", "pw2", "--metadata", "{'team': 'vision'}"]);
    expectCode(created, 0);
    expect(created.stdout).toMatch(/^Queue created with ID: [0-9a-f-]{36}\n$/);
    const second = new DirectLabtasker(cli.server.broker, { queueName: "second", password: "pw2" });
    expect(await second.getQueue()).toMatchObject({ queueId: uuids(created.stdout)[0], metadata: { team: "vision" } });
    const fromEnv = await cli.run(["queue", "create", "-q"], { env: { QUEUE_NAME: "third", PASSWORD: "pw3" } });
    expect(fromEnv.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    const again = await cli.run(["queue", "create", "--queue-name", "third", "--password", "x"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("Error: Queue already exists.\n");
    const prompted = await cli.run(["queue", "create"], { input: "fourth\npw4\npw4\n" });
    expectCode(prompted, 0);
    expect(await new DirectLabtasker(cli.server.broker, { queueName: "fourth", password: "pw4" }).getQueue()).toMatchObject({ queueName: "fourth" });
    const fromConfig = await cli.run(["queue", "create-from-config"]);
    expect(fromConfig.code).toBe(1);
    expect(fromConfig.stderr).toBe("Error: Queue already exists.\n");
  });

  test("get as JSON or id; update prints the change on stderr and the queue on stdout; delete asks first", async () => {
    await using cli = await cliWithServer();
    const get = await cli.run(["queue", "get"]);
    const queue = JSON.parse(get.stdout) as Record<string, unknown>;
    expect(Object.keys(queue)).toEqual(["queue_id", "queue_name", "created_at", "last_modified", "metadata"]);
    expect(queue.queue_name).toBe(cli.queueName);
    const update = await cli.run(["queue", "update", "--metadata", "{'owner': 'me'}"]);
    expectCode(update, 0);
    expect(update.stderr).toContain("Updating queue with:\n  New Queue Name: No change\n  New Password: No change\n  Metadata (Update): ");
    expect((JSON.parse(update.stdout) as { metadata: unknown }).metadata).toEqual({ owner: "me" });
    const reset = await cli.run(["queue", "update", "--metadata", "{}", "-q"]);
    expect(reset.stdout).toBe("");
    expect((await cli.api.getQueue()).metadata).toEqual({});
    const declined = await cli.run(["queue", "delete"], { input: "n\n" });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain(`Are you sure you want to delete current queue '${cli.queueName}' with cascade=false?`);
    const renamed = await cli.run(["queue", "update", "--new-queue-name", "renamed", "-q"]);
    expectCode(renamed, 0);
    expect(renamed.stderr).toContain("still holds the old name");
    const deleted = await cli.run(["--queue-name", "renamed", "queue", "delete", "-y", "--cascade"]);
    expectCode(deleted, 0);
    expect(deleted.stderr).toBe("Queue deleted.\n");
    const gone = await cli.run(["--queue-name", "renamed", "queue", "get"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^Error: Either invalid credentials or queue not created\./);
  });
});

describe("worker", TIMEOUT, () => {
  test("create, ls in every format, report, delete (cascade or not)", async () => {
    await using cli = await cliWithServer();
    const created = await cli.run(["worker", "create", "--name", "gpu-0", "--metadata", "{'gpu': 'a100'}", "--max-retries", "5"]);
    expect(created.stdout).toMatch(/^Worker created with ID: [0-9a-f-]{36}\n$/);
    const [w1] = uuids(created.stdout);
    const w2 = (await cli.run(["worker", "create", "-q"])).stdout.trim();
    expect(await cli.api.getWorker(w1!)).toMatchObject({ workerName: "gpu-0", metadata: { gpu: "a100" }, maxRetries: 5 });

    const jsonl = await cli.run(["worker", "ls", "--fmt", "jsonl"]);
    const rows = jsonl.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((row) => row.worker_id)).toEqual([w1, w2]);
    expect(Object.keys(rows[0]!)).toEqual(["worker_id", "queue_id", "status", "worker_name", "metadata", "retries", "max_retries", "created_at", "last_modified"]);
    const yaml = await cli.run(["worker", "ls", "--name", "gpu-0"]);
    expect(yaml.stdout).toMatch(/^- worker_id: [0-9a-f-]{36}\n {2}queue_id: .*\n {2}status: active\n {2}worker_name: gpu-0\n/);

    const report = await cli.run(["worker", "report", w1!, "suspended"]);
    expectCode(report, 0);
    expect(report.stderr).toBe(`Worker ${w1} status updated to suspended.\n`);
    expect((await cli.run(["worker", "ls", "-s", "suspended", "-q"])).stdout).toBe(`${w1}\n`);
    expect((await cli.run(["worker", "ls", "-f", "worker_name == 'gpu-0'", "-q"])).stdout).toBe(`${w1}\n`);
    const badFilter = await cli.run(["worker", "ls", "-f", "args.lr > 1"]);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toContain("Field 'args' is unknown or not allowed");
    const badStatus = await cli.run(["worker", "report", w1!, "paused"]);
    expect(badStatus.code).toBe(2);
    const missing = await cli.run(["worker", "report", "00000000-0000-0000-0000-000000000000", "active"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: Worker .*not found\n$/);

    // A task held by w2 keeps its worker_id when w2 is deleted without cascade.
    const [taskId] = await cli.api.submitTasks([{ args: { i: 1 } }]);
    await cli.api.fetchTask({ workerId: w2 });
    const noCascade = await cli.run(["worker", "delete", w2, "-y", "--no-cascade-update"]);
    expectCode(noCascade, 0);
    expect((await cli.api.getTask(taskId!)).workerId).toBe(w2);
    const piped = await cli.sh("labtasker worker ls -q | labtasker worker delete -y");
    expectCode(piped, 0);
    expect((await cli.run(["worker", "ls", "-q"])).stdout).toBe("");
  });
});

/**
 * Runs `labtasker event listen ...` and calls `trigger` every 300 ms once it is listening, until its stdout matches
 * `until` (at most 30 s); then interrupts it. Repeated because the stream is only subscribed a moment after the
 * command says it is connected, and v1's protocol has no replay of what happened in between.
 */
function listen(cli: Awaited<ReturnType<typeof cliWithServer>>, args: string[], trigger: () => Promise<void>, until: RegExp) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "event", "listen", ...args], { cwd: cli.dir, env: cli.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let ticker: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (until.test(stdout)) {
        clearInterval(ticker);
        child.kill("SIGINT");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (ticker === undefined && stderr.includes("Connected.")) ticker = setInterval(() => void trigger().catch(reject), 300);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      clearInterval(ticker);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("event listen", TIMEOUT, () => {
  test("--compact: one line per transition; Ctrl+C ends it with 130", async () => {
    await using cli = await cliWithServer();
    const result = await listen(cli, ["--compact"], async () => {
      await cli.api.submitTasks([{ args: { i: 1 } }]);
      await cli.api.fetchTask();
    }, /pending {4}-> running/);
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("Attempting to connect to server...");
    const lines = result.stdout.trim().split("\n");
    const created = lines.find((line) => line.includes("[created    -> pending   ]"))!;
    expect(created).toMatch(/^\[\s+\d+\]\[\d{4}-\d\d-\d\dT[\d:.]+\]\[state_transition {4}\]\[task {6}\]\[t_[A-Za-z0-9_-]{12}\]\[created {4}-> pending {3}\]$/);
    const taskId = ids(created)[0]!;
    expect(lines.some((line) => line.includes(taskId) && line.includes("[pending    -> running   ]"))).toBe(true);
  });

  test("--raw: v1's EventResponse as JSON lines; default: panels", async () => {
    await using cli = await cliWithServer();
    const raw = await listen(cli, ["--raw"], async () => void (await cli.api.createWorker({ workerName: "w" })), /\n/);
    const event = JSON.parse(raw.stdout.trim().split("\n")[0]!) as { sequence: number; event: Record<string, unknown> };
    expect(event.sequence).toBeGreaterThan(0);
    expect(event.event).toMatchObject({ type: "state_transition", entity_type: "worker", old_state: "created", new_state: "active", entity_data: { worker_name: "w" } });
    const panel = await listen(cli, [], async () => void (await cli.api.submitTasks([{ args: { i: 1 } }])), /╰/);
    expect(panel.stdout).toMatch(/╭─+ Task State Change ─+╮/);
    expect(panel.stdout).toContain("│  Entity Type  Task");
    expect(panel.stdout).toContain("│  created  pending");
  });

  test("a server that cannot be reached is an error, not a silent wait", async () => {
    await using cli = await cliWithServer();
    const result = await cli.run(["--api-base-url", "http://127.0.0.1:9/", "event", "listen", "--timeout", "2"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Error: Cannot reach the labtasker server at http:\/\/127\.0\.0\.1:9/);
  });
});

describe("health", TIMEOUT, () => {
  test("prints the server's health; unreachable is exit 255; no configuration is exit 255", async () => {
    await using cli = await cliWithServer();
    const healthy = await cli.run(["health"]);
    expectCode(healthy, 0);
    expect(JSON.parse(healthy.stdout)).toEqual({ status: "healthy", database: "connected" });
    const down = await cli.run(["--api-base-url", "http://127.0.0.1:9/", "health"]);
    expect(down.code).toBe(255);
    expect(down.stderr).toMatch(/^Error: Server connection is not healthy\. Detail: Cannot reach/);
    const unconfigured = await cli.run(["--root", `${cli.dir}/nowhere`, "health"]);
    expect(unconfigured.code).toBe(255);
    expect(unconfigured.stderr).toContain("Run `labtasker init`");
  });
});
