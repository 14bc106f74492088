/**
 * Queues stored by an earlier version in another layout of Redis keys (docs/keys.md, "Layout versions") are moved to
 * this version's when a server starts, before it serves or sweeps: a batch of tasks per script call, so Redis stays
 * responsive, and the queue is refused by every request until its last batch (lua/migrateQueue-17.lua).
 */
import { LUA_CONSTANTS } from "../store/luaConstants.js";
import type { RedisStore } from "../store/store.js";

/** Tasks a migration call moves: about as long a call as a submit of as many tasks. */
const MIGRATION_BATCH = 500;

/** Migrates every queue not in this version's layout; returns how many it migrated. */
export async function migrateQueues(store: RedisStore, log: (message: string) => void): Promise<number> {
  let migrated = 0;
  for (const queueId of await store.allQueueIds()) {
    const found = await store.queueCredentials(queueId);
    if (found === null || found.layout === LUA_CONSTANTS.STORE_LAYOUT) continue;
    const started = Date.now();
    log(`Migrating queue ${queueId} from Redis layout ${found.layout} to ${LUA_CONSTANTS.STORE_LAYOUT} (its older events are dropped)`);
    while (Number((await store.migrateQueue(queueId, MIGRATION_BATCH))[1]) > 0) {
      // each call moves one batch
    }
    const tasks = await store.redis.hlen(store.keys.tasks(queueId));
    log(`Migrated queue ${queueId}: ${tasks} tasks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    migrated++;
  }
  return migrated;
}
