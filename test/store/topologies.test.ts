/**
 * The store on Redis Cluster and behind Sentinel, with real redis-server processes: every key of a queue shares one
 * slot, the function library loads on every master, and the timeout sweep's BullMQ keys are hash-tagged.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { TimeoutSweeper } from "../../src/broker/sweeper.js";
import { freePort } from "../../src/store/embeddedRedis.js";

const exec = promisify(execFile);

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function answers(port: number): Promise<boolean> {
  const probe = new Redis(port, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } finally {
    probe.disconnect();
  }
}

/** A short sweep through the API: submit, fetch with required fields, report, list, events, and a timeout. */
async function expectASweepToRun(broker: Broker): Promise<void> {
  await broker.queues.create({ queueName: "topology", password: "pw" });
  const api = new DirectLabtasker(broker, { queueName: "topology", password: "pw" });
  const ids = await api.submitTasks(Array.from({ length: 20 }, (_, i) => ({ args: { i, lr: 0.1 }, priority: i % 3 })));
  const workerId = await api.createWorker();
  const first = await api.fetchTask({ workerId, requiredFields: ["i", "lr"] });
  expect(first?.priority).toBe(2);
  const second = await api.fetchTask({ workerId, report: { taskId: first!.taskId, status: "success" } });
  expect(second).not.toBeNull();
  expect((await api.lsTasks({ status: "success" })).content.map((t) => t.taskId)).toEqual([first!.taskId]);
  expect((await api.lsTasks({ extraFilter: "args.i >= 18", sort: [["args.i", 1]] })).content.map((t) => t.args.i)).toEqual([18, 19]);
  const events = [];
  for await (const event of api.events({ afterSequence: 0, signal: AbortSignal.timeout(5000) })) {
    events.push(event);
    if (events.length === 23) break;
  }
  expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  // A lapsed heartbeat is expired by the BullMQ-scheduled sweep.
  await api.submitTask({ args: { slow: true }, heartbeatTimeout: 0.2, priority: 100 });
  const slow = await api.fetchTask({ requiredFields: ["slow"] });
  await using _sweeper = await TimeoutSweeper.start(broker, { intervalMs: 200 });
  await until(async () => (await api.getTask(slow!.taskId)).status === "pending", "the sweep to expire the task");
  expect(ids).toHaveLength(20);
}

describe("Redis Cluster", () => {
  const processes: ChildProcess[] = [];
  let dir = "";
  let ports: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "labtasker-cluster-"));
    ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) {
      processes.push(
        spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--dir", dir, "--save", "", "--appendonly", "no"], { stdio: "ignore" }),
      );
    }
    for (const port of ports) await until(() => answers(port), `node ${port}`);
    await exec("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"]);
    await until(async () => {
      const node = new Redis(ports[0]!);
      try {
        return /cluster_state:ok/.test((await node.call("CLUSTER", "INFO")) as string);
      } finally {
        node.disconnect();
      }
    }, "the cluster to be ready");
  }, 60_000);

  afterAll(async () => {
    for (const child of processes) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("runs a sweep, with the function library on every master", async () => {
    const broker = Broker.connect(`redis+cluster://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`, {});
    try {
      await expectASweepToRun(broker);
      for (const port of ports) {
        const node = new Redis(port);
        const libraries = (await node.call("FUNCTION", "LIST")) as unknown[];
        node.disconnect();
        expect(libraries.length).toBe(1);
      }
    } finally {
      await broker.close();
    }
  }, 60_000);
});

describe("Redis Sentinel", () => {
  const processes: ChildProcess[] = [];
  let dir = "";
  let sentinelPort = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "labtasker-sentinel-"));
    const masterPort = await freePort();
    sentinelPort = await freePort();
    processes.push(spawn("redis-server", ["--port", String(masterPort), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], { stdio: "ignore" }));
    await until(() => answers(masterPort), "the master");
    const config = join(dir, "sentinel.conf");
    await writeFile(config, `port ${sentinelPort}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${masterPort} 1\n`);
    processes.push(spawn("redis-server", [config, "--sentinel"], { stdio: "ignore" }));
    await until(() => answers(sentinelPort), "the sentinel");
  }, 60_000);

  afterAll(async () => {
    for (const child of processes) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("runs a sweep on the master the sentinel names", async () => {
    const broker = Broker.connect(`redis+sentinel://127.0.0.1:${sentinelPort}/mymaster`, {});
    try {
      await expectASweepToRun(broker);
    } finally {
      await broker.close();
    }
  }, 60_000);
});
