/**
 * What the parts of the v2 broker share: the v1 broker's context (store, clock, limits), the v2 scripts, the lease,
 * and the queues by name. A v2 queue is the v1 queue of the same name (docs/compat.md): v2 names it in every call,
 * so each call finds the queue's id by its name first.
 */
import { LRUCache } from "lru-cache";
import type { BrokerContext } from "../context.js";
import { ScriptCode } from "../../store/scriptCodes.js";
import type { ScriptReply } from "../../store/scripts.js";
import { V2Scripts } from "../../store/v2Scripts.js";
import { LUA_CONSTANTS } from "../../store/luaConstants.js";
import { queueLayout, queueNotFound } from "./errors.js";

/** labtasker v2's lease: 300 s (`HEARTBEAT_TIMEOUT_US` of 2.8.0), renewed by each heartbeat. */
export const DEFAULT_V2_LEASE_SECONDS = 300;
/** How long a worker observation lasts after its last report (2.8.0's `WORKER_TTL_US`). */
export const WORKER_OBSERVATION_TTL_MS = 300_000;

/**
 * Queue name -> id is remembered this long (as v1's QueueService remembers it): every call of a worker names its
 * queue, and a lookup is a round trip. A queue deleted and created again under its name meanwhile is found again at
 * once: a script refuses the old id (QUEUE_NOT_FOUND) and the call looks the name up afresh.
 */
const NAME_TTL_MS = 5_000;
const NAME_CACHE_ENTRIES = 10_000;

export class V2Context {
  readonly scripts: V2Scripts;
  private readonly ids = new LRUCache<string, string>({ max: NAME_CACHE_ENTRIES, ttl: NAME_TTL_MS });

  constructor(
    readonly ctx: BrokerContext,
    /** The lease a claim or heartbeat gives, ms. */
    readonly leaseMs: number,
  ) {
    this.scripts = new V2Scripts(ctx.store);
  }

  get store() {
    return this.ctx.store;
  }

  now(): number {
    return this.ctx.now();
  }

  /** The queue's id, or null when no queue has the name. */
  private async lookup(queue: string, fresh: boolean): Promise<string | null> {
    if (!fresh) {
      const cached = this.ids.get(queue);
      if (cached !== undefined) return cached;
    }
    const queueId = await this.store.queueIdByName(queue);
    if (queueId === null) this.ids.delete(queue);
    else this.ids.set(queue, queueId);
    return queueId;
  }

  /** Forgets a name (its queue was deleted or renamed). */
  forget(queue: string): void {
    this.ids.delete(queue);
  }

  /**
   * The id of the queue, checked to exist in this version's layout (for calls that read before any script): throws
   * queue_not_found, or database_busy for a queue not migrated yet.
   */
  async queueId(queue: string): Promise<string> {
    for (const fresh of [false, true]) {
      const queueId = await this.lookup(queue, fresh);
      if (queueId === null) break;
      const credentials = await this.store.queueCredentials(queueId);
      if (credentials === null) continue; // deleted since it was cached
      if (credentials.layout !== LUA_CONSTANTS.STORE_LAYOUT) throw queueLayout(queue);
      return queueId;
    }
    throw queueNotFound(queue);
  }

  /**
   * {@link queueId} with a read of the queue's keys sent beside the check, in one round trip where the id is cached.
   * The read counts only for the queue the check finds (in this version's layout): its value, or its error, is given
   * by `read()` then; for an id the check refuses, the read is dropped, whatever it gave.
   */
  async queueIdWith<T>(queue: string, read: (queueId: string) => Promise<T>): Promise<{ queueId: string; read: () => T }> {
    for (const fresh of [false, true]) {
      const queueId = await this.lookup(queue, fresh);
      if (queueId === null) break;
      const [credentials, outcome] = await Promise.all([
        this.store.queueCredentials(queueId),
        read(queueId).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      ]);
      if (credentials === null) continue; // deleted since it was cached
      if (credentials.layout !== LUA_CONSTANTS.STORE_LAYOUT) throw queueLayout(queue);
      return {
        queueId,
        read: () => {
          if (!outcome.ok) throw outcome.error;
          return outcome.value;
        },
      };
    }
    throw queueNotFound(queue);
  }

  /**
   * Runs a script on the queue (its id from the cache: the script checks the queue exists and its layout); when the
   * script finds no queue under a cached id, the name is looked up again and the script run once more.
   */
  async withQueue<R extends { reply: ScriptReply } | ScriptReply>(queue: string, run: (queueId: string) => Promise<R>): Promise<R> {
    for (const fresh of [false, true]) {
      const queueId = await this.lookup(queue, fresh);
      if (queueId === null) break;
      const result = await run(queueId);
      const reply = Array.isArray(result) ? result : (result as { reply: ScriptReply }).reply;
      if (reply[0] !== ScriptCode.QUEUE_NOT_FOUND) return result;
    }
    throw queueNotFound(queue);
  }
}
