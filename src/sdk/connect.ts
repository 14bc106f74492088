/**
 * `connect()`: a {@link LabtaskerClient} for one queue, over HTTP (a labtasker server: ours or v1's) or directly on
 * Redis (direct mode, no server), configured explicitly or, for whatever is not given, as the CLI is: the
 * environment (LABTASKER_API_BASE_URL, LABTASKER_REDIS_URL, LABTASKER_QUEUE_NAME, LABTASKER_PASSWORD,
 * LABTASKER_KEY_PREFIX) and then `$LABTASKER_ROOT/client.toml` (`config.toml` too; LABTASKER_ROOT defaults to
 * `./.labtasker`). The transport's code (the HTTP client, or the broker with ioredis) loads only when connecting.
 */
import { resolve } from "node:path";
import { CONFIG_DEFAULTS, CONFIG_ENV, loadClientConfig } from "../config/clientConfig.js";
import { ConfigError, openTransport } from "../config/connect.js";
import { clientOver, type LabtaskerClient } from "./client.js";

/**
 * How to reach the queue. Each setting not given comes from the environment, then from client.toml (unless
 * `useConfig` is false), then from the default. A `serverUrl` or `redisUrl` given here picks the transport whatever
 * the configuration says.
 */
export interface ConnectOptions {
  /** The server's base URL (v1's `api_base_url`), e.g. `http://localhost:9321`. @defaultValue `http://localhost:9321/` */
  serverUrl?: string | null;
  /**
   * Direct mode: Redis itself (`redis://`, `rediss://`, `unix://`, `redis+sentinel://`, `redis+cluster://`). Whoever
   * can reach that Redis can change every queue in it; use it inside a trusted network.
   */
  redisUrl?: string | null;
  /** Direct mode: the prefix of every Redis key (the server's `--key-prefix`). @defaultValue "labtasker" */
  keyPrefix?: string | null;
  /** The queue's name (v1's `queue.queue_name`); every call works on this queue. */
  queueName?: string | null;
  /** The queue's password (v1's `queue.password`). */
  password?: string | null;
  /**
   * The client root: where client.toml is read and loops write `logs/run/`.
   * @defaultValue `$LABTASKER_ROOT`, else `./.labtasker`
   */
  root?: string | null;
  /** Read the environment and client.toml for settings not given here. @defaultValue true */
  useConfig?: boolean;
  /** The environment to read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Seconds between heartbeats in loops. @defaultValue `[task] heartbeat_interval` of client.toml, else 10 */
  heartbeatInterval?: number | null;
  /**
   * HTTP: attempts for requests that are safe to repeat after a network error (reads, reports, heartbeats), with
   * backoff up to 10 s between them, so a worker rides out a server restart. @defaultValue 10
   */
  networkAttempts?: number;
  /** HTTP: milliseconds to wait for each response. @defaultValue 60000 */
  timeoutMs?: number;
}

function given(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

/**
 * Connects to one queue; see {@link ConnectOptions} for where settings come from.
 *
 * ```ts
 * const client = await connect({ serverUrl: "http://gpu-box:9321", queueName: "sweep", password: "..." });
 * const direct = await connect({ redisUrl: "redis://redis.lab:6379", queueName: "sweep", password: "..." });
 * const configured = await connect(); // .labtasker/client.toml and LABTASKER_* variables, as the CLI
 * ```
 *
 * Nothing is sent until the first call (`getQueue()` checks the credentials). An idle client never keeps the
 * process alive, so scripts need not close it; `close()` (or `await using`) releases it early.
 * @throws ConfigError when no queue name or password is given or configured, both URLs are given, or client.toml
 *   cannot be parsed.
 */
export async function connect(options: ConnectOptions = {}): Promise<LabtaskerClient> {
  const explicitServer = given(options.serverUrl);
  const explicitRedis = given(options.redisUrl);
  if (explicitServer !== null && explicitRedis !== null) throw new ConfigError("Give serverUrl (a labtasker server) or redisUrl (direct mode), not both.");
  const env = { ...(options.env ?? process.env) };
  if (options.root) env[CONFIG_ENV.root] = options.root;
  const useConfig = options.useConfig ?? true;
  let config: ReturnType<typeof loadClientConfig> | null = null;
  if (useConfig) {
    try {
      config = loadClientConfig({}, env);
    } catch (error) {
      throw new ConfigError(`Cannot read the client configuration under ${env[CONFIG_ENV.root] || ".labtasker"}: ${(error as Error).message}`);
    }
  }

  const queueName = given(options.queueName) ?? config?.queueName ?? null;
  const password = given(options.password) ?? config?.password ?? null;
  if (!queueName || !password) {
    const where = config ? ` (looked in the environment, LABTASKER_QUEUE_NAME and LABTASKER_PASSWORD, and in ${config.file})` : "";
    throw new ConfigError(`No queue configured: pass queueName and password to connect()${where}, or run \`labtasker init\`.`);
  }
  const redisUrl = explicitServer !== null ? null : (explicitRedis ?? config?.redisUrl ?? null);
  const root = options.root ? resolve(options.root) : (config?.root ?? null);
  const heartbeatInterval = options.heartbeatInterval ?? config?.heartbeatInterval ?? null;
  const credentials = { queueName, password };

  const keyPrefix = given(options.keyPrefix) ?? config?.keyPrefix ?? CONFIG_DEFAULTS.keyPrefix;
  const apiBaseUrl = explicitServer ?? config?.apiBaseUrl ?? CONFIG_DEFAULTS.apiBaseUrl;
  const transport = await openTransport({ apiBaseUrl, redisUrl, keyPrefix, ...credentials }, { networkAttempts: options.networkAttempts, timeoutMs: options.timeoutMs });
  return clientOver(transport, { ...credentials, root, heartbeatInterval });
}
