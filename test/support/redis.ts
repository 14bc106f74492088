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

/** A test broker with one queue and a Labtasker bound to it. */
export async function createTestQueue(options: Partial<BrokerOptions> = {}) {
  const test = createTestBroker(options);
  const queueName = `q-${randomUUID().slice(0, 8)}`;
  const queueId = await test.broker.queues.create({ queueName, password: "secret" });
  const api = new DirectLabtasker(test.broker, { queueName, password: "secret" });
  return { ...test, queueId, queueName, api };
}
