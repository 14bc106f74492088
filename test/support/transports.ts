import { randomUUID } from "node:crypto";
import type { BrokerOptions } from "../../src/broker/broker.js";
import type { Labtasker } from "../../src/core/api.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { startTestServer } from "./http.js";
import { orDispose, type ManualClock } from "./redis.js";

export type Transport = "direct" | "http";
export const TRANSPORTS: Transport[] = ["direct", "http"];

export interface TransportQueue extends AsyncDisposable {
  api: Labtasker;
  clock: ManualClock;
  queueName: string;
  queueId: string;
  /** A second API on another queue of the same server. */
  other(): Promise<Labtasker>;
}

/**
 * A fresh queue reached through `transport`: the broker directly, or our HTTP server through the HTTP client. Both
 * run on one broker (built with `brokerOptions`) whose clock the test moves by hand.
 */
export async function queueOver(transport: Transport, brokerOptions: Partial<BrokerOptions> = {}): Promise<TransportQueue> {
  const server = await startTestServer({}, brokerOptions);
  const makeApi = (queueName: string, password: string): Labtasker =>
    transport === "direct"
      ? new DirectLabtasker(server.broker, { queueName, password })
      : new HttpLabtasker({ baseUrl: server.url, queueName, password, networkAttempts: 1 });
  const queueName = `q-${randomUUID().slice(0, 8)}`;
  const api = makeApi(queueName, "pw");
  const queueId = await orDispose(server, () => api.createQueue({ queueName, password: "pw" }));
  return {
    api,
    clock: server.clock,
    queueName,
    queueId,
    async other() {
      const name = `q-${randomUUID().slice(0, 8)}`;
      const otherApi = makeApi(name, "pw2");
      await otherApi.createQueue({ queueName: name, password: "pw2" });
      return otherApi;
    },
    [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
  };
}
