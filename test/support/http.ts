import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createApp, type AppOptions } from "../../src/http/app.js";
import type { BrokerOptions } from "../../src/broker/broker.js";
import { createTestBroker, orDispose, type TestBroker } from "./redis.js";

export interface TestServer extends TestBroker {
  url: string;
  /** Sends a request; `auth` is [user, password]. Bodies are sent as given when strings, else as JSON. */
  request(method: string, path: string, options?: { auth?: [string, string]; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
}

/** The HTTP app on a free port over a test broker (own key prefix, built with `brokerOptions`). */
export async function startTestServer(options: Partial<AppOptions> = {}, brokerOptions: Partial<BrokerOptions> = {}): Promise<TestServer> {
  const test = createTestBroker(brokerOptions);
  const { app, openStreams } = await orDispose(test, () => createApp({ broker: test.broker, ...options }));
  const server: Server = await orDispose(
    test,
    () =>
      new Promise<Server>((resolve, reject) => {
        const s = app.listen(0, "127.0.0.1", () => resolve(s));
        s.once("error", reject);
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...test,
    url,
    async request(method, path, { auth, body, headers = {} } = {}) {
      const allHeaders: Record<string, string> = { ...headers };
      if (auth) allHeaders.authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString("base64")}`;
      if (body !== undefined) allHeaders["content-type"] ??= "application/json";
      return fetch(url + path, { method, headers: allHeaders, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    },
    async [Symbol.asyncDispose]() {
      for (const stream of openStreams) stream.end();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await test[Symbol.asyncDispose]();
    },
  };
}

/** A server with one queue; `auth` are its credentials. */
export async function startTestServerWithQueue() {
  const server = await startTestServer();
  return orDispose(server, async () => {
    const queueName = `q${Math.random().toString(36).slice(2, 10)}`;
    const created = await server.request("POST", "/api/v1/queues", { body: { queue_name: queueName, password: "pw" } });
    const { queue_id: queueId } = (await created.json()) as { queue_id: string };
    return { ...server, queueName, queueId, auth: [queueName, "pw"] as [string, string] };
  });
}
