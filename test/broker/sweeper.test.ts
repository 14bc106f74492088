/**
 * The timeout sweep: one replica per tick, a replica that dies holding a tick, Redis losing its data (FLUSHALL, the
 * sweep's own keys deleted) and Redis going away and coming back.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { TimeoutSweeper } from "../../src/broker/sweeper.js";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../src/store/embeddedRedis.js";
import { createTestBroker } from "../support/redis.js";

async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A redis-server of the test's own, since these tests flush or stop it. */
async function ownRedis(): Promise<{ redis: EmbeddedRedis; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "labtasker-sweep-"));
  return { redis: await startEmbeddedRedis({ dataDir }), dataDir };
}

/** Counts the sweeps a broker runs. */
function countSweeps(broker: Broker): { count: number } {
  const counter = { count: 0 };
  const expireAll = broker.expireAll.bind(broker);
  broker.expireAll = () => {
    counter.count += 1;
    return expireAll();
  };
  return counter;
}

describe("timeout sweep", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.restoreAllMocks();
  });

  it("two replicas take turns: one sweep per interval between them, never none", { timeout: 20_000 }, async () => {
    await using a = createTestBroker({ now: Date.now });
    const b = new Broker({ redis: a.redis, keyPrefix: a.prefix });
    const sweepsA = countSweeps(a.broker);
    const sweepsB = countSweeps(b);
    const sweeperA = await TimeoutSweeper.start(a.broker, { intervalMs: 100 });
    const sweeperB = await TimeoutSweeper.start(b, { intervalMs: 100 });
    cleanups.push(() => sweeperA.close(), () => sweeperB.close());
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const total = sweepsA.count + sweepsB.count;
    // 20 intervals: one sweep each (a little slack for timers late on a busy machine), not one per replica.
    expect(total).toBeGreaterThanOrEqual(12);
    expect(total).toBeLessThanOrEqual(24);
  });

  it("a replica that dies holding a tick's lease delays the sweep by less than one interval", { timeout: 20_000 }, async () => {
    await using test = createTestBroker({ now: Date.now });
    const { broker, redis } = test;
    const sweeper = await TimeoutSweeper.start(broker, { intervalMs: 200 });
    cleanups.push(() => sweeper.close());
    await until("a first sweep", () => broker.lastSweep(), 5000);
    // The dead replica's lease, as it would have taken it just now (its TTL is 0.8 of the interval).
    await redis.set(broker.store.keys.sweepLease(), "dead-replica", "PX", 160);
    const taken = Date.now();
    await until("the sweep to run again", async () => ((await broker.lastSweep()) ?? 0) > taken, 5000);
    expect(((await broker.lastSweep()) ?? 0) - taken).toBeLessThan(600);
  });

  it("FLUSHALL: the sweep goes on, a task past its deadline comes back, and one of two replicas says Redis lost data", { timeout: 30_000 }, async () => {
    const { redis: server, dataDir } = await ownRedis();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }), () => server.stop());
    const brokers = [Broker.connect(server.url, {}), Broker.connect(server.url, {})];
    cleanups.push(...brokers.map((broker) => () => broker.close()));
    const lost: string[] = [];
    for (const broker of brokers) {
      const sweeper = await TimeoutSweeper.start(broker, { intervalMs: 200, onDataLoss: (key) => lost.push(key) });
      cleanups.push(() => sweeper.close());
    }
    const [broker] = brokers as [Broker, Broker];
    await until("a first sweep", () => broker.lastSweep(), 5000);
    expect(lost).toEqual([]); // a new Redis is not a loss

    for (const fault of ["FLUSHALL", "the sweep's keys deleted"]) {
      const before = lost.length;
      if (fault === "FLUSHALL") await broker.store.redis.flushall();
      else await broker.store.redis.del(broker.store.keys.sweepLease(), broker.store.keys.lastSweep(), broker.store.keys.dataMarker());
      // The queue is created again, as labtasker's fixtures (and people) do, and its task is claimed and left.
      const queueName = `after-${before}`;
      await broker.queues.create({ queueName, password: "pw" });
      const api = new DirectLabtasker(broker, { queueName, password: "pw" });
      const taskId = await api.submitTask({ args: { x: 1 }, heartbeatTimeout: 0.3 });
      await api.fetchTask({ startHeartbeat: true });
      const deadline = Date.now() + 300;
      await until(`the task to come back after ${fault}`, async () => (await api.getTask(taskId)).status === "pending", 5000);
      // Within two intervals of its deadline, with room for a busy machine.
      expect(Date.now() - deadline).toBeLessThan(1000);
      await until("the loss to be reported", () => lost.length > before, 2000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the other replica's ticks find the marker back
      expect(lost.length - before).toBe(1);
      expect(lost.at(-1)).toBe("labtasker:data-marker");
    }
  });

  it("Redis restarted: the sweep reports a failure once, says when it runs again, and nothing prints every reconnect attempt", { timeout: 60_000 }, async () => {
    const { redis: first, dataDir } = await ownRedis();
    let redis = first;
    const port = redis.port;
    const broker = Broker.connect(redis.url, { keyPrefix: "outage" });
    broker.store.redis.on("error", () => undefined);
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
    const errors: string[] = [];
    let recovered = 0;
    const sweeper = await TimeoutSweeper.start(broker, { intervalMs: 100, onError: (error) => errors.push(error.message), onRecover: () => (recovered += 1) });
    // An event reader, whose own connection reconnects too.
    const queueId = await broker.queues.create({ queueName: "outage", password: "pw" });
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _event of broker.events.subscribe(queueId, { signal: controller.signal })) {
        // drain
      }
    })();
    try {
      await until("a first sweep", () => broker.lastSweep(), 5000);
      await redis.stop();
      await new Promise((resolve) => setTimeout(resolve, 3000)); // many reconnect attempts
      redis = await startEmbeddedRedis({ dataDir, port });
      const back = Date.now();
      await until("the sweep to run again", async () => ((await broker.lastSweep()) ?? 0) > back, 15_000);
      await until("the recovery to be reported", () => recovered > 0, 5000);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.length).toBeLessThanOrEqual(4); // distinct errors once each, not one per attempt
      expect(printed.filter((line) => /ioredis|ECONNREFUSED|ECONNRESET/.test(line))).toEqual([]);
    } finally {
      controller.abort();
      await reading;
      await sweeper.close();
      await broker.close();
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
