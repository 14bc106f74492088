import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { maskRedisUrl } from "./maskUrl.js";

export { maskRedisUrl };

/** A connection to a single Redis, a Sentinel-managed master, or a Cluster. */
export type RedisConnection = Redis | Cluster;

/** Options of {@link connectRedis}. */
export interface ConnectOptions {
  /** Extra ioredis options merged over the ones derived from the URL. */
  redisOptions?: RedisOptions;
  /**
   * Connect on the first command instead of at once.
   * @defaultValue false
   */
  lazyConnect?: boolean;
}

/**
 * How long a command waits for Redis to come back before failing: ioredis retries the connection forever, and
 * a command queued while Redis is down fails after this many reconnect attempts (about 10 s with the backoff below),
 * so callers see an error instead of hanging when Redis is gone for good.
 */
const MAX_RETRIES_PER_REQUEST = 20;

/** Reconnect backoff: 50 ms more per attempt, at most 2 s, forever. */
function retryStrategy(attempt: number): number {
  return Math.min(attempt * 50, 2000);
}

/**
 * Connects to Redis from a URL:
 * - `redis://[user:password@]host[:port][/db]`, `rediss://...` (TLS)
 * - `unix:///path/to/redis.sock[?db=N]` (also `redis+unix://`)
 * - `redis+sentinel://[:password@]host1:26379,host2:26379/<master name>[/db]` (also `rediss+sentinel://`)
 * - `redis+cluster://[:password@]host1:6379,host2:6379` (also `rediss+cluster://`)
 */
export function connectRedis(url: string, options: ConnectOptions = {}): RedisConnection {
  const base: RedisOptions = {
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy,
    lazyConnect: options.lazyConnect ?? false,
    ...options.redisOptions,
  };
  const parsed = parseRedisUrl(url);
  switch (parsed.kind) {
    case "standalone":
      return new Redis(url, base);
    case "unix":
      return new Redis({ ...base, path: parsed.path, db: parsed.db, password: parsed.password });
    case "sentinel":
      return new Redis({
        ...base,
        sentinels: parsed.hosts,
        name: parsed.masterName,
        db: parsed.db,
        password: parsed.password,
        sentinelPassword: parsed.password,
        tls: parsed.tls ? {} : undefined,
        sentinelTLS: parsed.tls ? {} : undefined,
        enableTLSForSentinelMode: parsed.tls,
      });
    case "cluster": {
      const clusterOptions: ClusterOptions = {
        lazyConnect: base.lazyConnect,
        clusterRetryStrategy: retryStrategy,
        redisOptions: { ...base, password: parsed.password, tls: parsed.tls ? {} : undefined },
      };
      return new Cluster(parsed.hosts, clusterOptions);
    }
  }
}

type ParsedRedisUrl =
  | { kind: "standalone" }
  | { kind: "unix"; path: string; db: number; password?: string }
  | { kind: "sentinel"; hosts: HostPort[]; masterName: string; db: number; password?: string; tls: boolean }
  | { kind: "cluster"; hosts: HostPort[]; password?: string; tls: boolean };

interface HostPort {
  host: string;
  port: number;
}

/** Splits a Redis URL into what ioredis needs; throws a RangeError naming the accepted forms otherwise. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const scheme = /^([a-z+]+):\/\//.exec(url)?.[1];
  switch (scheme) {
    case "redis":
    case "rediss":
      return { kind: "standalone" };
    case "unix":
    case "redis+unix": {
      const rest = url.slice(scheme.length + 3);
      const [path = "", query = ""] = rest.split("?");
      const params = new URLSearchParams(query);
      return { kind: "unix", path, db: Number(params.get("db") ?? 0), password: params.get("password") ?? undefined };
    }
    case "redis+sentinel":
    case "rediss+sentinel": {
      const { auth, hosts, path } = splitMultiHost(url, scheme, 26379);
      const [masterName = "", db = "0"] = path.split("/").filter(Boolean);
      if (!masterName) throw new RangeError(`Redis Sentinel URL must name the master: ${scheme}://host:26379/mymaster (got '${maskRedisUrl(url)}')`);
      return { kind: "sentinel", hosts, masterName, db: Number(db), password: auth, tls: scheme === "rediss+sentinel" };
    }
    case "redis+cluster":
    case "rediss+cluster": {
      const { auth, hosts } = splitMultiHost(url, scheme, 6379);
      return { kind: "cluster", hosts, password: auth, tls: scheme === "rediss+cluster" };
    }
    default:
      throw new RangeError(
        `Redis URL must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// (got '${maskRedisUrl(url)}')`,
      );
  }
}

function splitMultiHost(url: string, scheme: string, defaultPort: number) {
  const rest = url.slice(scheme.length + 3);
  const at = rest.lastIndexOf("@");
  const credentials = at >= 0 ? rest.slice(0, at) : "";
  const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
  const slash = afterAuth.indexOf("/");
  const hostList = slash >= 0 ? afterAuth.slice(0, slash) : afterAuth;
  const path = slash >= 0 ? afterAuth.slice(slash) : "";
  const hosts = hostList.split(",").filter(Boolean).map((item) => {
    const colon = item.lastIndexOf(":");
    return colon >= 0
      ? { host: item.slice(0, colon), port: Number(item.slice(colon + 1)) }
      : { host: item, port: defaultPort };
  });
  if (hosts.length === 0) throw new RangeError(`Redis URL names no host (got '${maskRedisUrl(url)}')`);
  // "user:password" or ":password"; ioredis takes only the password for Sentinel and Cluster nodes.
  const password = credentials ? decodeURIComponent(credentials.slice(credentials.indexOf(":") + 1)) : undefined;
  return { auth: password, hosts, path };
}

/** A new connection to the same Redis, Sentinel master or Cluster, with some options changed. */
export function duplicateConnection(connection: RedisConnection, options: RedisOptions = {}): RedisConnection {
  if (connection instanceof Cluster) {
    return connection.duplicate(undefined, { redisOptions: { ...connection.options.redisOptions, ...options } });
  }
  return connection.duplicate(options);
}
