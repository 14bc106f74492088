/**
 * `labtasker-server serve`: the HTTP app on a port, the timeout sweep, and an embedded redis-server when no Redis URL
 * is given. Shutdown is graceful: stop accepting, end event streams, let in-flight requests finish, then stop the
 * sweep and (if it started one) the embedded Redis.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Broker } from "../broker/broker.js";
import type { FilterEngine } from "../broker/context.js";
import { TimeoutSweeper } from "../broker/sweeper.js";
import { startEmbeddedRedis, type EmbeddedRedis } from "../store/embeddedRedis.js";
import { createApp } from "./app.js";

export interface ServeOptions {
  /** @defaultValue "0.0.0.0" (as v1) */
  host?: string;
  /** @defaultValue 9321 (as v1) */
  port?: number;
  /** An existing Redis (see connectRedis for the URL forms); without one, an embedded redis-server is started. */
  redisUrl?: string;
  /** Where the embedded redis-server keeps its AOF. @defaultValue "./labtasker-data" */
  dataDir?: string;
  /** @defaultValue "labtasker" */
  keyPrefix?: string;
  /** @defaultValue the filter language of src/filter */
  filters?: FilterEngine;
  /** Seconds between timeout sweeps. @defaultValue 0.5 */
  sweepIntervalSeconds?: number;
  /** Seconds between SSE pings. @defaultValue 15 */
  pingIntervalSeconds?: number;
  bodyLimit?: string;
  version?: string;
  log?: (message: string) => void;
}

export interface RunningServer extends AsyncDisposable {
  readonly url: string;
  readonly redisUrl: string;
  readonly broker: Broker;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

/**
 * How long a request may take to arrive, and idle keep-alive connections live. Clients keep connections open between
 * a worker's fetches; 65 s outlives common proxies' 60 s idle timeouts so the proxy, not us, closes first.
 */
const REQUEST_TIMEOUT_MS = 60_000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How long a graceful shutdown waits for requests in flight before it closes their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => console.error(message));
  let embedded: EmbeddedRedis | undefined;
  let redisUrl = options.redisUrl;
  if (!redisUrl) {
    embedded = await startEmbeddedRedis({ dataDir: join(options.dataDir ?? "labtasker-data", "redis") });
    redisUrl = embedded.url;
    log(`Started embedded redis-server on ${redisUrl} (data in ${embedded.dataDir})`);
  }
  const broker = Broker.connect(redisUrl, { filters: options.filters, keyPrefix: options.keyPrefix });
  let lastRedisError = "";
  broker.store.redis.on("error", (error: Error) => {
    // ioredis reconnects by itself; say so once per distinct error instead of once per attempt.
    if (error.message !== lastRedisError) log(`Redis connection error (reconnecting): ${error.message}`);
    lastRedisError = error.message;
  });
  broker.store.redis.on("ready", () => {
    if (lastRedisError) log("Redis connection restored");
    lastRedisError = "";
  });

  const sweepIntervalSeconds = options.sweepIntervalSeconds ?? 0.5;
  const sweeper = await TimeoutSweeper.start(broker, {
    intervalMs: sweepIntervalSeconds * 1000,
    onError: (error) => log(`Timeout sweep failed: ${error.message}`),
    onRecover: () => log("Timeout sweep running again"),
  });
  const { app, openStreams } = createApp({
    broker,
    sweepIntervalSeconds,
    pingIntervalSeconds: options.pingIntervalSeconds,
    bodyLimit: options.bodyLimit,
    version: options.version,
    logError: (error, req) => log(`${req.method} ${req.path} failed: ${(error as Error).stack ?? String(error)}`),
  });
  const server: Server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 9321, options.host ?? "0.0.0.0", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address;
  const url = `http://${shownHost}:${address.port}`;

  let closing: Promise<void> | undefined;
  // Once closing, every answer closes its connection: a keep-alive connection busy when close() is called would
  // otherwise become idle only afterwards, and a client (or proxy) that reuses it at once would keep the server
  // serving, never stopping.
  server.on("request", (_req, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
  });
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const stream of openStreams) stream.end();
      server.closeIdleConnections();
      // Connections still busy are closed as their answer completes; past the grace period, whatever is left.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await stopped;
      clearInterval(idle);
      clearTimeout(deadline);
      await sweeper.close();
      await broker.close();
      await embedded?.stop();
    })();
    return closing;
  };
  return { url, redisUrl, broker, close, [Symbol.asyncDispose]: close };
}
