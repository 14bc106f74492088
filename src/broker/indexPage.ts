/**
 * A page in index order (labtasker's: priority desc, last_modified asc, created_at asc), read straight from the status
 * indexes: one script call finds where the page starts in each index without reading what comes before it
 * (lua/indexPage-0.lua), so the 1,000th page costs what the first does.
 */
import type { TaskStatus } from "../core/model.js";
import { taskIdOfMember, type RedisStore } from "../store/store.js";

/** Ids of the tasks at [offset, offset + limit) of the listing merged over the indexes of `statuses`. */
export async function indexPageIds(store: RedisStore, queueId: string, statuses: readonly TaskStatus[], offset: number, limit: number): Promise<string[]> {
  const keys = (await Promise.all(statuses.map((status) => store.statusIndexKeys(queueId, status)))).flat();
  if (keys.length === 0) return [];
  const parts = await store.indexPage(keys, offset, limit);
  // Each part is in its index's order; interleaved by score, then member bytes, as Redis orders each index.
  const merged = parts.length === 1 ? parts[0]! : parts.flat().sort(([memberA, scoreA], [memberB, scoreB]) => scoreA - scoreB || Buffer.compare(memberA, memberB));
  return merged.map(([member]) => taskIdOfMember(member.toString("latin1")));
}
