/** A {@link Labtasker} from the client configuration: HTTP to a server, or direct mode on Redis. */
import type { Labtasker } from "../broker/api.js";
import type { ClientConfig } from "./clientConfig.js";

/** Raised when the configuration lacks what a command needs; the message names the fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Connects as configured. Direct mode loads the broker (and ioredis) only when used, so server-mode commands
 * start fast.
 */
export interface ConnectOptions {
  /**
   * Attempts for HTTP requests that are safe to repeat after a network error. Long-running workers keep the default
   * (ride out a server restart); one-shot commands pass a small number to fail fast.
   * @defaultValue 10
   */
  networkAttempts?: number;
}

export async function connect(config: ClientConfig, options: ConnectOptions = {}): Promise<Labtasker> {
  if (!config.queueName || !config.password) {
    throw new ConfigError(
      `No queue configured: run \`labtasker init\`, or set queue.queue_name and queue.password in ${config.file}` +
        " (or LABTASKER_QUEUE_NAME and LABTASKER_PASSWORD).",
    );
  }
  const credentials = { queueName: config.queueName, password: config.password };
  if (config.redisUrl) {
    const [{ Broker }, { DirectLabtasker }] = await Promise.all([import("../broker/broker.js"), import("../broker/direct.js")]);
    const broker = Broker.connect(config.redisUrl, { keyPrefix: config.keyPrefix });
    // ioredis retries the connection itself; without a listener it would print every failed attempt.
    broker.store.redis.on("error", () => undefined);
    return new DirectLabtasker(broker, credentials, true);
  }
  const { HttpLabtasker } = await import("../client/labtasker.js");
  return new HttpLabtasker({ baseUrl: config.apiBaseUrl, ...credentials, networkAttempts: options.networkAttempts });
}
