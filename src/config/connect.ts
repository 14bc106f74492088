/** A {@link Labtasker} from the client configuration: HTTP to a server, or direct mode on Redis. */
import type { Labtasker } from "../core/api.js";
import type { ClientConfig } from "./clientConfig.js";

/** Raised when the configuration lacks what a command needs; the message names the fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface ConnectOptions {
  /**
   * Attempts for HTTP requests that are safe to repeat after a network error. Long-running workers keep the default
   * (ride out a server restart); one-shot commands pass a small number to fail fast.
   * @defaultValue 10
   */
  networkAttempts?: number;
  /** HTTP: milliseconds to wait for each response. @defaultValue 60000 */
  timeoutMs?: number;
}

/** Where a queue is: a server (HTTP), or Redis itself (direct mode) when `redisUrl` is set. */
export interface TransportTarget {
  apiBaseUrl: string;
  redisUrl: string | null;
  keyPrefix: string;
  queueName: string;
  password: string;
}

/** An opened {@link Labtasker}, and in direct mode its Redis connection (the SDK watches it to let idle processes exit). */
export interface Transport {
  api: Labtasker;
  mode: "http" | "direct";
  redis?: unknown;
}

/**
 * The one place where a client picks its transport: direct mode loads the broker (and ioredis) only when used, so
 * server-mode commands start fast, and nothing else above the broker imports it.
 */
export async function openTransport(target: TransportTarget, options: ConnectOptions = {}): Promise<Transport> {
  const credentials = { queueName: target.queueName, password: target.password };
  if (target.redisUrl) {
    const [{ Broker }, { DirectLabtasker }] = await Promise.all([import("../broker/broker.js"), import("../broker/direct.js")]);
    const broker = Broker.connect(target.redisUrl, { keyPrefix: target.keyPrefix });
    // ioredis retries the connection itself; without a listener it would print every failed attempt.
    broker.store.redis.on("error", () => undefined);
    return { api: new DirectLabtasker(broker, credentials, true), mode: "direct", redis: broker.store.redis };
  }
  const { HttpLabtasker } = await import("../client/labtasker.js");
  const api = new HttpLabtasker({ baseUrl: target.apiBaseUrl, ...credentials, networkAttempts: options.networkAttempts, timeoutMs: options.timeoutMs });
  return { api, mode: "http" };
}

/** Connects as configured; see {@link openTransport}. */
export async function connect(config: ClientConfig, options: ConnectOptions = {}): Promise<Labtasker> {
  if (!config.queueName || !config.password) {
    throw new ConfigError(
      `No queue configured: run \`labtasker init\`, or set queue.queue_name and queue.password in ${config.file}` +
        " (or LABTASKER_QUEUE_NAME and LABTASKER_PASSWORD).",
    );
  }
  return (await openTransport({ ...config, queueName: config.queueName, password: config.password }, options)).api;
}
