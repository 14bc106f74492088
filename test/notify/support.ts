/**
 * What the notification tests share: a local HTTP receiver that can be up, down (connection refused), failing (500)
 * or silent (no answer), and `labtasker-server serve` replicas on the test Redis with fast retries, sharing a key
 * prefix and a notification key.
 */
import { createHmac, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import type { Labtasker } from "../../src/core/api.js";
import { serve, type NotifyServeOptions, type RunningServer } from "../../src/http/server.js";

export interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  /** The status the receiver answered. */
  status: number;
}

export type ReceiverMode = "ok" | "error" | "silent";

/** A webhook receiver on 127.0.0.1. */
export class Receiver implements AsyncDisposable {
  /** Every request, in arrival order, whatever was answered. */
  readonly requests: Received[] = [];
  mode: ReceiverMode = "ok";
  private server: Server | undefined;
  private readonly silent = new Set<ServerResponse>();

  private constructor(public port: number) {}

  static async start(): Promise<Receiver> {
    const receiver = new Receiver(0);
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The requests answered 2xx. */
  get accepted(): Received[] {
    return this.requests.filter((request) => request.status >= 200 && request.status < 300);
  }

  /** Listens (again, on the same port after {@link down}). */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const status = this.mode === "ok" ? 200 : this.mode === "error" ? 500 : 0;
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), status });
        if (status === 0) this.silent.add(res);
        else res.writeHead(status).end(status === 200 ? "ok" : "failing");
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: connections are refused until {@link up}. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const res of this.silent) res.destroy();
    this.silent.clear();
    server?.closeAllConnections();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Waits until `predicate` holds over the requests, polling, for at most `timeoutMs`. */
  async waitFor(predicate: (receiver: Receiver) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met after ${timeoutMs} ms (${this.requests.length} requests)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}

/** The signature a receiver expects for `body` under `secret`. */
export function expectedSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Settings shared by the replicas of one test: a key prefix, a notification key file, fast retries. */
export interface Cluster extends AsyncDisposable {
  prefix: string;
  /** Starts one more replica. */
  start(notify?: Partial<NotifyServeOptions>): Promise<RunningServer>;
  /** A client of a new queue on `server`. */
  queue(server: RunningServer): Promise<HttpLabtasker>;
}

/**
 * Servers on the test Redis (or on `redisUrl`: the same Redis as another user), allowed to notify 127.0.0.1, retrying
 * after 100 ms, 200 ms, ...
 */
export async function serverCluster(options: { redisUrl?: string; prefix?: string } = {}): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), "labtasker-notify-"));
  const prefix = options.prefix ?? `notify-${randomUUID().slice(0, 8)}`;
  const servers: RunningServer[] = [];
  return {
    prefix,
    async start(notify = {}) {
      const server = await serve({
        host: "127.0.0.1",
        port: 0,
        redisUrl: options.redisUrl ?? inject("redisUrl"),
        keyPrefix: prefix,
        dataDir: dir,
        log: () => undefined,
        notify: { allowHosts: ["127.0.0.1"], backoffMs: 100, timeoutMs: 500, pollMs: 50, ...notify },
      });
      servers.push(server);
      return server;
    },
    async queue(server) {
      const queueName = `q-${randomUUID().slice(0, 8)}`;
      const api = new HttpLabtasker({ baseUrl: server.url, queueName, password: "pw", networkAttempts: 1 });
      await api.createQueue({ queueName, password: "pw" });
      return api;
    },
    async [Symbol.asyncDispose]() {
      for (const server of servers) await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Submits `count` tasks that fail for good at their first failure, runs and fails each. */
export async function failTasks(api: Labtasker, count: number, name = "sweep"): Promise<string[]> {
  const ids = await api.submitTasks(Array.from({ length: count }, (_, i) => ({ taskName: name, args: { i }, maxRetries: 1 })));
  for (let i = 0; i < count; i++) {
    const task = await api.fetchTask();
    await api.reportTaskStatus(task!.taskId, "failed", { summary: { error: "boom" } });
  }
  return ids;
}
