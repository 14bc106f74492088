/**
 * The timeout sweep through faults: a replica that dies holding a tick, and Redis going away and coming back
 * (found by the fault suite, test/faults/).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { TimeoutSweeper, sweepLocks } from "../../src/broker/sweeper.js";
import { duplicateConnection } from "../../src/store/connection.js";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../src/store/embeddedRedis.js";
import { createTestBroker } from "../support/redis.js";

async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("timeout sweep under faults", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.restoreAllMocks();
  });

  it("a replica that dies right after taking a tick stalls the sweep for seconds, not a minute", { timeout: 60_000 }, async () => {
    await using test = createTestBroker({ now: Date.now });
    const { broker } = test;
    const sweeper = await TimeoutSweeper.start(broker, { intervalMs: 200 });
    cleanups.push(() => sweeper.close());
    await until("a first sweep", () => broker.lastSweep(), 5000);

    // The dead replica: takes the next tick off the queue (BullMQ's moveToActive) and dies before it schedules the
    // following one or processes it, as a replica killed at that moment would.
    const connection = duplicateConnection(broker.store.redis, { maxRetriesPerRequest: null });
    const dead = new Worker("timeouts", null, { connection, prefix: broker.store.keys.schedulerPrefix(), autorun: false, ...sweepLocks(200) });
    cleanups.push(async () => {
      await dead.close(true);
      await connection.quit();
    });
    const client = await dead.client;
    const scripts = (dead as unknown as { scripts: { moveToActive(client: unknown, token: string, name?: string): Promise<unknown[]> } }).scripts;
    const taken = await until("the dead replica to take a tick", async () => {
      const [jobData] = await scripts.moveToActive(client, "dead-replica-token", undefined);
      return jobData ? Date.now() : 0;
    }, 10_000);

    // The surviving replica's sweep resumes once the dead one's lock runs out.
    await until("the sweep to run again", async () => ((await broker.lastSweep()) ?? 0) > taken, 30_000);
    expect(((await broker.lastSweep()) ?? 0) - taken).toBeLessThan(12_000);
  });

  it("Redis restarted: the sweep reports a failure once, says when it runs again, and nothing prints every reconnect attempt", { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "labtasker-sweep-outage-"));
    let redis: EmbeddedRedis = await startEmbeddedRedis({ dataDir });
    const port = redis.port;
    const broker = Broker.connect(redis.url, { keyPrefix: "outage" });
    broker.store.redis.on("error", () => undefined);
    const printed: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")));
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
