/**
 * What a server brings the store to when it starts, before it serves or sweeps. Queues stored by an earlier version in
 * another layout of Redis keys (docs/keys.md, "Layout versions") are moved to this version's: a batch of tasks per
 * script call, so Redis stays responsive, and the queue is refused by every request until its last batch
 * (lua/migrateQueue-17.lua). And labtasker v2's `default` queue is created when missing (v2 has it on a fresh
 * database; its clients use it when no queue is named).
 */
import { LUA_CONSTANTS } from "../store/luaConstants.js";
import type { RedisStore } from "../store/store.js";
import { QueueService } from "./queues.js";
import { DEFAULT_LIMITS } from "./context.js";
import { defaultFilters } from "./defaultFilters.js";

/** Tasks a migration call moves: about as long a call as a submit of as many tasks. */
const MIGRATION_BATCH = 500;

/** v2's queue of a fresh database. */
export const V2_DEFAULT_QUEUE = "default";

/**
 * Migrates every queue not in this version's layout, then creates v2's `default` queue if missing (a queue a v1
 * client reaches with an empty password, as every queue created through v2); returns how many queues it migrated.
 */
export async function migrateQueues(store: RedisStore, log: (message: string) => void): Promise<number> {
  const migrated = await migrateLayouts(store, log);
  const queues = new QueueService({ store, now: Date.now, filters: defaultFilters, limits: DEFAULT_LIMITS });
  if (await queues.ensureOpen(V2_DEFAULT_QUEUE)) log(`Created the queue '${V2_DEFAULT_QUEUE}' (labtasker v2's default queue)`);
  return migrated;
}

async function migrateLayouts(store: RedisStore, log: (message: string) => void): Promise<number> {
  let migrated = 0;
  for (const queueId of await store.allQueueIds()) {
    const found = await store.queueCredentials(queueId);
    if (found === null || found.layout === LUA_CONSTANTS.STORE_LAYOUT) continue;
    const started = Date.now();
    // Only layout 1 is rebuilt, its events dropped; a later layout only gains what this one adds.
    const note = found.layout === "1" ? " (its older events are dropped)" : "";
    log(`Migrating queue ${queueId} from Redis layout ${found.layout} to ${LUA_CONSTANTS.STORE_LAYOUT}${note}`);
    while (Number((await store.migrateQueue(queueId, MIGRATION_BATCH))[1]) > 0) {
      // each call moves one batch
    }
    const tasks = await store.redis.hlen(store.keys.tasks(queueId));
    log(`Migrated queue ${queueId}: ${tasks} tasks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    migrated++;
  }
  return migrated;
}
