/**
 * `labtasker-server serve`: the HTTP app on a port, the timeout sweep, and an embedded redis-server when no Redis URL
 * is given. It starts only on a Redis that grants what it needs (src/store/access.ts). Stopping is bounded: requests
 * in flight get their answer, or a 503 once the grace period is over, and the stop says whether it was clean.
 */
import { settlesWithin } from "../core/settle.js";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Broker } from "../broker/broker.js";
import type { FilterEngine } from "../broker/context.js";
import { migrateQueues } from "../broker/migrate.js";
import { TimeoutSweeper } from "../broker/sweeper.js";
import { checkRedisAccess, evictionRisk } from "../store/access.js";
import { startEmbeddedRedis, type EmbeddedRedis } from "../store/embeddedRedis.js";
import { KeyBuilder } from "../store/keys.js";
import { createApp } from "./app.js";
import { isLoopbackHost, tokenProblem, type V2AuthOptions } from "./bearer.js";
import { SWEEP_INTERVAL_SECONDS } from "../core/defaults.js";
import { AllowList } from "../notify/allowList.js";
import { loadOrCreateNotifyKey } from "../notify/secret.js";
import { NotificationService } from "../notify/service.js";

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
  /**
   * Start on a Redis whose maxmemory-policy (allkeys-*) can evict tasks once a maxmemory is set; the risk is still
   * logged and shown by /health/full. @defaultValue false
   */
  allowEviction?: boolean;
  bodyLimit?: string;
  version?: string;
  log?: (message: string) => void;
  /** Notification delivery (docs/notifications.md). */
  notify?: NotifyServeOptions;
  /** The web dashboard at `/` (docs/dashboard.md). @defaultValue true */
  dashboard?: boolean;
  /**
   * v2's server-wide bearer token (`LABTASKER_SERVER_TOKEN`). Without one, v2's routes are open on a loopback address
   * and closed (401) on any other; v1's routes keep their queue passwords either way.
   */
  token?: string | null;
  /** The lease of a v2 claim, in seconds, renewed by each heartbeat. @defaultValue 300 (v2's) */
  v2LeaseSeconds?: number;
}

export interface NotifyServeOptions {
  /** Hosts, `*.domains`, addresses or CIDR ranges rules may target (`--notify-allow-host`). @defaultValue none */
  allowHosts?: readonly string[];
  /**
   * The X25519 key (PKCS#8 PEM) that opens rules' secrets, created when missing; replicas on one Redis share it.
   * @defaultValue `<dataDir>/notify-key.pem`
   */
  keyFile?: string;
  /** The wait before a delivery's first retry, doubling for each next. @defaultValue 5000 */
  backoffMs?: number;
  /** How long a receiver has to answer. @defaultValue 10000 */
  timeoutMs?: number;
  /** ms between reads of the event streams. @defaultValue 200 */
  pollMs?: number;
}

/** How a stop went: clean, or what was cut short (requests answered 503 or dropped, connections closed by force). */
export interface StopReport {
  clean: boolean;
  /** What was not clean, one phrase each. */
  problems: string[];
}

export interface RunningServer extends AsyncDisposable {
  readonly url: string;
  readonly redisUrl: string;
  readonly broker: Broker;
  /** Whether /api/v2 serves requests (see {@link ServeOptions.token}). */
  readonly v2Enabled: boolean;
  /** Graceful shutdown within {@link STOP_BOUND_MS} whether or not Redis answers; idempotent. */
  close(): Promise<StopReport>;
}

/**
 * How long a request may take to arrive, and idle keep-alive connections live. Clients keep connections open between
 * a worker's fetches; 65 s outlives common proxies' 60 s idle timeouts so the proxy, not us, closes first.
 */
const REQUEST_TIMEOUT_MS = 60_000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * The bound on a stop, whether or not Redis answers: 10 s, what container runtimes wait between SIGTERM and SIGKILL.
 * Requests in flight have {@link REQUEST_GRACE_MS} to finish; those still waiting (on a Redis that does not answer)
 * are then answered 503, which clients retry elsewhere or later, and what is left after that is closed.
 */
export const STOP_BOUND_MS = 10_000;
const REQUEST_GRACE_MS = 7_000;
const ANSWER_GRACE_MS = 1_000;

/** v2's access from the token and the address: see {@link ServeOptions.token}. Throws for a token v2 refuses. */
export function v2AuthFor(host: string, token: string | null | undefined): V2AuthOptions {
  if (token != null) {
    const problem = tokenProblem(token);
    if (problem !== null) throw new Error(problem);
    return { token };
  }
  return { closed: !isLoopbackHost(host) };
}

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => console.error(message));
  const v2Auth = v2AuthFor(options.host ?? "0.0.0.0", options.token);
  // Bad notification settings fail the start before anything is started. With no host allowed (the default) nothing
  // could be delivered: this replica runs no delivery and needs no key file.
  const notifyAllowList = new AllowList(options.notify?.allowHosts ?? []);
  const notifyKey = notifyAllowList.empty
    ? null
    : await loadOrCreateNotifyKey(options.notify?.keyFile ?? join(options.dataDir ?? "labtasker-data", "notify-key.pem"));
  let embedded: EmbeddedRedis | undefined;
  let redisUrl = options.redisUrl;
  if (!redisUrl) {
    embedded = await startEmbeddedRedis({ dataDir: join(options.dataDir ?? "labtasker-data", "redis") });
    redisUrl = embedded.url;
    log(`Started embedded redis-server on ${redisUrl} (data in ${embedded.dataDir})`);
  }
  let connected: { broker: Broker; warnings: string[] };
  try {
    connected = await connectChecked(redisUrl, options, log);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const { broker, warnings } = connected;
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
  // Queues stored by an earlier version are moved to this version's layout of keys before anything serves them.
  try {
    await migrateQueues(broker.store, log);
    // v2 has the queue `default` on a fresh database, and its clients use it unless told otherwise.
    await broker.v2.ensureQueue("default");
  } catch (error) {
    await broker.close();
    await embedded?.stop();
    throw error;
  }

  const sweepIntervalSeconds = options.sweepIntervalSeconds ?? SWEEP_INTERVAL_SECONDS;
  const sweeper = await TimeoutSweeper.start(broker, {
    intervalMs: sweepIntervalSeconds * 1000,
    onError: (error) => log(`Timeout sweep failed: ${error.message}`),
    onRecover: () => log("Timeout sweep running again"),
    onDataLoss: (key) =>
      log(
        `Redis lost data: ${key} was missing (FLUSHALL or FLUSHDB, a restart without persistence, or a failover to a ` +
          `replica that missed the last writes); queues, tasks and workers stored before may be gone. The timeout ` +
          `sweep carries on; loops re-register their workers, and lost queues must be created again.`,
      ),
  });
  const notifications = notifyKey && (await NotificationService.start(broker, {
    key: notifyKey,
    allowList: notifyAllowList,
    backoffMs: options.notify?.backoffMs,
    timeoutMs: options.notify?.timeoutMs,
    pollMs: options.notify?.pollMs,
    log,
  }));
  const { app, openStreams } = createApp({
    broker,
    sweepIntervalSeconds,
    pingIntervalSeconds: options.pingIntervalSeconds,
    bodyLimit: options.bodyLimit,
    version: options.version,
    warnings,
    notifyAllowList,
    dashboard: options.dashboard === false ? false : undefined,
    v2Auth,
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

  let closing: Promise<StopReport> | undefined;
  // Requests without an answer yet, so that a stop can answer those still waiting on Redis after the grace period.
  const unanswered = new Set<ServerResponse>();
  server.on("request", (_req, res: ServerResponse) => {
    // Once closing, every answer closes its connection: a keep-alive connection busy when close() is called would
    // otherwise become idle only afterwards, and a client (or proxy) that reuses it at once would keep the server
    // serving, never stopping.
    if (closing) res.shouldKeepAlive = false;
    unanswered.add(res);
    res.on("finish", () => unanswered.delete(res)).on("close", () => unanswered.delete(res));
  });
  const close = (): Promise<StopReport> => {
    closing ??= (async () => {
      const problems: string[] = [];
      await sweeper.close();
      // Deliveries stop beside the requests' grace period (bounded inside, well within it).
      const notificationsClosed = notifications?.close() ?? Promise.resolve();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const stream of openStreams) stream.end();
      server.closeIdleConnections();
      // Connections still busy are closed as their answer completes.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      try {
        if (!(await settlesWithin(stopped, REQUEST_GRACE_MS))) {
          // Requests still waiting on Redis: cut it, so they fail now and are answered 503, then close what is left.
          problems.push(`${unanswered.size} request(s) still waiting after ${REQUEST_GRACE_MS / 1000} s were answered 503`);
          for (const res of unanswered) answerUnavailable(res);
          if (!(await settlesWithin(stopped, ANSWER_GRACE_MS))) server.closeAllConnections();
          await stopped;
        }
      } finally {
        clearInterval(idle);
      }
      if (!(await settlesWithin(notificationsClosed, ANSWER_GRACE_MS))) problems.push("notification deliveries did not stop in time");
      if (!(await settlesWithin(broker.close(), ANSWER_GRACE_MS))) {
        problems.push("Redis did not answer the stop (its connection was dropped)");
        broker.store.redis.disconnect();
      }
      if (embedded && !(await settlesWithin(embedded.stop(), ANSWER_GRACE_MS))) problems.push("the embedded redis-server did not stop in time");
      return { clean: problems.length === 0, problems };
    })();
    return closing;
  };
  if (v2Auth.closed) {
    log(
      `Warning: the v2 API (/api/v2) is disabled: ${options.host ?? "0.0.0.0"} is not a loopback address and no token is set. ` +
        "Set LABTASKER_SERVER_TOKEN (or serve --token) to enable it; the v1 API is unaffected.",
    );
  }
  return { url, redisUrl, broker, close, v2Enabled: !v2Auth.closed, [Symbol.asyncDispose]: async () => void (await close()) };
}

/**
 * Checks what the server needs of Redis (src/store/access.ts: one line naming what is missing), decides on the
 * eviction policy, then connects the broker.
 *
 * An allkeys-* policy with a maxmemory set will delete tasks once Redis is full, so the server refuses it unless told
 * otherwise: losing tasks silently breaks the promise that no task is dropped, and the fix is one setting that the
 * Redis's owner can make. Without a maxmemory (nothing is evicted yet) or with --allow-eviction it warns instead.
 */
async function connectChecked(redisUrl: string, options: ServeOptions, log: (message: string) => void): Promise<{ broker: Broker; warnings: string[] }> {
  const access = await checkRedisAccess(redisUrl, { keys: new KeyBuilder(options.keyPrefix), onWaiting: log });
  const warnings: string[] = [];
  const risk = evictionRisk(access);
  if (risk !== null && access.maxmemory && !options.allowEviction) {
    throw new Error(`${risk}, or start with --allow-eviction to accept that tasks can be lost.`);
  }
  if (risk !== null) {
    warnings.push(risk);
    log(`Warning: ${risk}.`);
  }
  const broker = Broker.connect(redisUrl, {
    filters: options.filters,
    keyPrefix: options.keyPrefix,
    v2LeaseSeconds: options.v2LeaseSeconds,
    // ioredis's ready check runs INFO; for a user without it, the check would print a warning on every connect.
    redisOptions: { enableReadyCheck: access.info },
  });
  return { broker, warnings };
}

/**
 * A 503 for a request the stop cannot wait for. The request may still reach Redis afterwards (its command is queued
 * by the connection): the v1 client repeats only what is safe to repeat, as after any lost answer.
 */
function answerUnavailable(res: ServerResponse): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ detail: "Service unavailable: the server is stopping and Redis does not answer" });
  res.writeHead(503, { "content-type": "application/json", "retry-after": "1", connection: "close" }).end(body);
}
