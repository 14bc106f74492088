/** The benchmarks' redis-server, and readers for INFO. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { startEmbeddedRedis } from "../../src/store/embeddedRedis.js";

export interface BenchRedis extends AsyncDisposable {
  url: string;
  /** redis_version from INFO server. */
  version: string;
  /** The server's hash-max-listpack-value as started (startEmbeddedRedis sets 512). */
  hashMaxListpackValue: number;
  /** Whether the AOF is on. */
  aof: boolean;
  stop(): Promise<void>;
}

/**
 * Starts a redis-server with {@link startEmbeddedRedis} (the product's own settings) in a temporary directory.
 * startEmbeddedRedis always turns the AOF on and has no option to turn it off, so unless `aof` is set the AOF is
 * switched off afterwards with CONFIG SET: benchmarks then measure Redis and the code, not the disk. Both sides of
 * every comparison run on this one server, so the choice affects them alike.
 */
export async function startRedis(options: { aof?: boolean } = {}): Promise<BenchRedis> {
  const dataDir = await mkdtemp(join(tmpdir(), "labtasker-bench-redis-"));
  const server = await startEmbeddedRedis({ dataDir });
  const admin = new Redis(server.url);
  try {
    if (!options.aof) await admin.config("SET", "appendonly", "no");
    const version = await infoField(admin, "server", "redis_version");
    const hashMaxListpackValue = Number(await configGet(admin, "hash-max-listpack-value"));
    const stop = async (): Promise<void> => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
    return { url: server.url, version, hashMaxListpackValue, aof: Boolean(options.aof), stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    admin.disconnect();
  }
}

/** Parses one INFO section into field -> value. */
export async function info(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.info(section);
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export async function infoField(redis: Redis, section: string, field: string): Promise<string> {
  const value = (await info(redis, section)).get(field);
  if (value === undefined) throw new Error(`INFO ${section} has no ${field}`);
  return value;
}

/** INFO memory used_memory, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number(await infoField(redis, "memory", "used_memory"));
}

export async function configGet(redis: Redis, name: string): Promise<string> {
  const reply = (await redis.config("GET", name)) as string[];
  if (reply.length < 2) throw new Error(`CONFIG GET ${name}: no such setting`);
  return reply[1]!;
}

export interface CommandStat {
  calls: number;
  usec: number;
}

/** INFO commandstats as command -> calls and total microseconds (commands run by scripts are counted too). */
export async function commandStats(redis: Redis): Promise<Map<string, CommandStat>> {
  const stats = new Map<string, CommandStat>();
  for (const [field, value] of await info(redis, "commandstats")) {
    const calls = /calls=(\d+)/.exec(value);
    const usec = /usec=(\d+)/.exec(value);
    if (calls && usec) stats.set(field.replace(/^cmdstat_/, ""), { calls: Number(calls[1]), usec: Number(usec[1]) });
  }
  return stats;
}

/** The difference of two commandstats readings, commands with no new calls left out. */
export function commandStatsDelta(before: Map<string, CommandStat>, after: Map<string, CommandStat>): Map<string, CommandStat> {
  const delta = new Map<string, CommandStat>();
  for (const [command, stat] of after) {
    const previous = before.get(command) ?? { calls: 0, usec: 0 };
    if (stat.calls > previous.calls) delta.set(command, { calls: stat.calls - previous.calls, usec: stat.usec - previous.usec });
  }
  return delta;
}

/**
 * Counts the commands a client sends from now on (scripts count once, as their EVALSHA). When operations are
 * awaited one at a time, commands per operation are round trips per operation; a pipeline or MULTI sends several
 * commands in one round trip.
 */
export function countCommands(redis: Redis): { readonly commands: number; reset(): void } {
  let commands = 0;
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) => {
    commands++;
    return original(...args);
  }) as Redis["sendCommand"];
  return {
    get commands() {
      return commands;
    },
    reset() {
      commands = 0;
    },
  };
}
