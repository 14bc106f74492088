import { randomBytes } from "node:crypto";
import { createTestBroker, orDispose } from "../../support/redis.js";
import type { BrokerOptions } from "../../../src/broker/broker.js";

/** A test broker (own key prefix, manual clock) with one queue created through v2. */
export async function createV2Queue(options: Partial<BrokerOptions> = {}) {
  const test = createTestBroker(options);
  return orDispose(test, async () => {
    const queue = `q-${randomBytes(4).toString("hex")}`;
    await test.broker.v2.ensureQueue(queue);
    return { ...test, queue, v2: test.broker.v2 };
  });
}

let counter = 0;
/** A fresh id of v2's form: t_ and 12 characters. */
export function taskId(): string {
  return `t_${(counter++).toString(36).padStart(4, "0")}${randomBytes(6).toString("base64url")}`;
}

export function runId(): string {
  return `r_${randomBytes(9).toString("base64url")}`;
}

export function workerId(): string {
  return `w_${randomBytes(9).toString("base64url")}`;
}
