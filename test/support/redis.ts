import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { Broker, type BrokerOptions } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";

/** The URL of the redis-server the global setup started for this run. */
export function redisUrl(): string {
  return inject("redisUrl");
}

/** A clock the test moves by hand, so timeouts are tested without sleeping. */
export class ManualClock {
  constructor(public ms = Date.UTC(2025, 6, 1, 12, 0, 0)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface TestBroker extends AsyncDisposable {
  broker: Broker;
  redis: Redis;
  clock: ManualClock;
  prefix: string;
}

/**
 * A broker on the shared test Redis under a key prefix of its own, so tests never see each other's keys.
 * Keys are left in place after the test, for inspection when it fails.
 */
export function createTestBroker(options: Partial<BrokerOptions> = {}): TestBroker {
  const redis = new Redis(redisUrl());
  const clock = new ManualClock();
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  const broker = new Broker({ redis, keyPrefix: prefix, now: clock.now, ...options });
  return {
    broker,
    redis,
    clock,
    prefix,
    async [Symbol.asyncDispose]() {
      await broker.close();
      redis.disconnect();
    },
  };
}

/**
 * Finishes a helper's setup with `rest`; when that throws, `resource` is disposed before the error goes on, so a helper
 * that fails half-way leaves nothing open (the leak check, test/support/leakCheck.ts, would report it).
 */
export async function orDispose<T>(resource: AsyncDisposable, rest: () => Promise<T> | T): Promise<T> {
  try {
    return await rest();
  } catch (error) {
    await resource[Symbol.asyncDispose]();
    throw error;
  }
}

/** A test broker with one queue and a Labtasker bound to it. */
export async function createTestQueue(options: Partial<BrokerOptions> = {}) {
  const test = createTestBroker(options);
  return orDispose(test, async () => {
    const queueName = `q-${randomUUID().slice(0, 8)}`;
    const queueId = await test.broker.queues.create({ queueName, password: "secret" });
    const api = new DirectLabtasker(test.broker, { queueName, password: "secret" });
    return { ...test, queueId, queueName, api };
  });
}
