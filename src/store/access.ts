/**
 * What a server needs of a Redis it does not control, checked once at start: the credentials, the keys under its
 * prefix, the commands it runs (scripts, streams, blocking reads), and whether Redis may evict keys. A missing
 * permission ends the start with one line that names it; `INFO` is optional (without it the eviction policy is
 * unknown and said so). docs/deploy.md lists the ACL these checks stand for.
 */
import { connectRedis, maskRedisUrl, type RedisConnection } from "./connection.js";
import type { KeyBuilder } from "./keys.js";
import { RedisStore } from "./store.js";

export interface RedisAccess {
  /** Whether this user may run INFO (ioredis's ready check uses it; without it the check is skipped). */
  info: boolean;
  /** `maxmemory-policy`, or null when INFO is not allowed. */
  evictionPolicy: string | null;
  /** `maxmemory` in bytes (0: no limit), or null when INFO is not allowed. */
  maxmemory: number | null;
}

/** Raised when Redis refuses the server something it needs; the message is the one line to print. */
export class RedisAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisAccessError";
  }
}

/** The ACL a deployment needs, for messages; docs/deploy.md explains each part. */
export function requiredAcl(prefix: string): string {
  return `~${prefix}:* +@read +@write +@scripting +@stream +@blocking +@connection -@dangerous +info`;
}

export interface CheckAccessOptions {
  keys: KeyBuilder;
  /** Called once when Redis cannot be reached yet; the check keeps trying until it can. */
  onWaiting?: (message: string) => void;
}

/** Runs the checks on a connection of their own, closed before returning. */
export async function checkRedisAccess(url: string, options: CheckAccessOptions): Promise<RedisAccess> {
  // No ready check: it runs INFO, which a restricted user may not, and ioredis would print a warning of its own.
  // Commands wait while Redis is unreachable (a server started before its Redis), and the wait is said once.
  const redis = connectRedis(url, { lazyConnect: true, redisOptions: { enableReadyCheck: false, maxRetriesPerRequest: null } });
  let waiting = false;
  redis.on("error", (error: Error) => {
    if (isRefusal(error)) return; // answered below, by the command that got it
    if (!waiting) options.onWaiting?.(`waiting for Redis at ${maskRedisUrl(url)}: ${error.message}`);
    waiting = true;
  });
  try {
    await redis.connect().catch(() => undefined); // a failed first connect is retried; the PING below waits for it
    await check(redis, "PING", () => redis.ping(), url, options.keys);
    return await probe(redis, url, options.keys);
  } finally {
    redis.disconnect();
  }
}

async function probe(redis: RedisConnection, url: string, keys: KeyBuilder): Promise<RedisAccess> {
  const access: RedisAccess = { info: true, evictionPolicy: null, maxmemory: null };
  try {
    const memory = await redis.info("memory");
    access.evictionPolicy = /^maxmemory_policy:(\S+)/m.exec(memory)?.[1] ?? null;
    const maxmemory = /^maxmemory:(\d+)/m.exec(memory)?.[1];
    access.maxmemory = maxmemory === undefined ? null : Number(maxmemory);
  } catch (error) {
    if (!/NOPERM/.test((error as Error).message)) throw error;
    access.info = false;
  }
  // Keys under the prefix, read and written (the sweep's marker is put in place here when missing).
  await check(redis, "key access", () => redis.set(keys.dataMarker(), new Date().toISOString(), "NX"), url, keys);
  // Scripts, on a queue that does not exist: the script answers "no such queue" without writing anything.
  const store = new RedisStore(redis, keys);
  await check(redis, "scripts", () => store.expireTasks("access-check", Date.now(), 1), url, keys);
  // The event streams' blocking reads (SSE).
  await check(redis, "stream reads", () => redis.xread("COUNT", 1, "BLOCK", 1, "STREAMS", keys.events("access-check"), "0"), url, keys);
  return access;
}

/** Runs one check; a refusal becomes a RedisAccessError naming what is missing and how to grant it. */
async function check(redis: RedisConnection, what: string, run: () => Promise<unknown>, url: string, keys: KeyBuilder): Promise<void> {
  try {
    await run();
  } catch (error) {
    const message = (error as Error).message;
    if (/WRONGPASS|NOAUTH|invalid username-password|invalid password/i.test(message)) {
      throw new RedisAccessError(`Redis at ${maskRedisUrl(url)} refused the credentials: ${firstLine(message)}`);
    }
    if (/NOPERM/.test(message)) {
      const user = await redis.call("ACL", "WHOAMI").then(String, () => "this user");
      const missing = /keys|key/i.test(message) && !/command/i.test(message) ? `access to the keys '${keys.prefix}:*'` : "a command";
      throw new RedisAccessError(
        `Redis user '${user}' lacks ${missing} the server needs (${what}): ${firstLine(message)}. ` +
          `Grant it, for instance: ACL SETUSER ${user} ${requiredAcl(keys.prefix)} (see docs/deploy.md)`,
      );
    }
    throw error;
  }
}

/** Errors that are Redis's answer to a command, not a connection failure. */
function isRefusal(error: Error): boolean {
  return /^(NOPERM|WRONGPASS|NOAUTH|ERR)/.test(error.message);
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

/**
 * What to say of the eviction policy: null when Redis will not evict our keys. `volatile-*` policies evict only keys
 * with a TTL, and no task, queue or worker key has one; `allkeys-*` may evict any key, tasks included.
 */
export function evictionRisk(access: RedisAccess): string | null {
  if (access.evictionPolicy === null) {
    return "the Redis user may not run INFO, so its maxmemory-policy is unknown: make sure it is noeviction (or volatile-*), or tasks can be evicted when Redis is full";
  }
  if (!access.evictionPolicy.startsWith("allkeys-")) return null;
  const limit = access.maxmemory ? `maxmemory is ${access.maxmemory} bytes` : "maxmemory is not set yet";
  return `Redis's maxmemory-policy is ${access.evictionPolicy} (${limit}): when Redis is full it deletes keys, tasks and queues included. Set maxmemory-policy noeviction (or a volatile-* policy)`;
}
