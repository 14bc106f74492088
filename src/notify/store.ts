/**
 * Redis access for notifications: the rules, the consumer group on each queue's event stream, digests, the
 * queue-done marker, the delivery log and the public key. Key names come from src/store/keys.ts. Every write is one
 * command or a pipeline on keys of one queue (one Cluster slot), with no script and no MULTI of its own: the
 * documented ACL grants no @transaction, and each step is safe alone.
 */
import type { RedisConnection } from "../store/connection.js";
import type { EventEntry } from "../store/codecs.js";
import type { RedisStore } from "../store/store.js";
import type { TaskStatus } from "../core/model.js";
import { TASK_STATUSES } from "../core/model.js";
import type { NotifyDelivery, NotifyFormat, NotifyRule } from "../core/notify.js";
import type { SealedSecret } from "./secret.js";

/** A rule as stored in `<root>notify-rules` (v1-style snake_case, as the other stored records). */
export interface StoredRule {
  rule_id: string;
  on: string;
  url: string;
  format: NotifyFormat;
  digest_seconds: number | null;
  /** ms since the epoch */
  created_at: number;
  secret: SealedSecret;
}

/** A delivery attempt as stored in `<root>notify-deliveries`. */
interface StoredDelivery {
  delivery_id: string;
  rule_id: string;
  kind: string;
  outcome: NotifyDelivery["outcome"];
  attempt: number;
  http_status: number | null;
  detail: string | null;
  time: number;
}

/** The consumer group every server replica reads each queue's event stream in: each entry goes to one of them. */
export const CONSUMER_GROUP = "notify";
/** Delivery attempts kept per queue for `notify ls --deliveries`. */
export const DELIVERY_LOG_LENGTH = 100;

export type TaskCounts = Record<TaskStatus, number>;

export function ruleFromStored(queueId: string, stored: StoredRule): NotifyRule {
  return {
    ruleId: stored.rule_id,
    queueId,
    on: stored.on,
    url: stored.url,
    format: stored.format,
    digestSeconds: stored.digest_seconds,
    createdAt: new Date(stored.created_at),
  };
}

function deliveryFromStored(stored: StoredDelivery): NotifyDelivery {
  return {
    deliveryId: stored.delivery_id,
    ruleId: stored.rule_id,
    kind: stored.kind,
    outcome: stored.outcome,
    attempt: stored.attempt,
    httpStatus: stored.http_status,
    detail: stored.detail,
    time: new Date(stored.time),
  };
}

/** Whether a Redis error is this reply (`BUSYGROUP`, `NOGROUP`, ...). */
export function isReplyError(error: unknown, code: string): boolean {
  return error instanceof Error && error.message.startsWith(code);
}

export class NotifyStore {
  readonly redis: RedisConnection;

  constructor(readonly store: RedisStore) {
    this.redis = store.redis;
  }

  private get keys() {
    return this.store.keys;
  }

  // Rules

  /**
   * Stores a rule and makes the servers read the queue's events from now on: the consumer group first (at the
   * stream's end, so no older event is notified), then the queue in the set the servers read, then the rule.
   */
  async addRule(queueId: string, rule: StoredRule): Promise<void> {
    await this.ensureGroup(queueId);
    await this.redis.sadd(this.keys.notifyQueues(), queueId);
    await this.redis.hset(this.keys.notifyRules(queueId), rule.rule_id, JSON.stringify(rule));
  }

  async rules(queueId: string): Promise<StoredRule[]> {
    const hash = await this.redis.hgetall(this.keys.notifyRules(queueId));
    return Object.values(hash)
      .map((text) => JSON.parse(text) as StoredRule)
      .sort((a, b) => a.created_at - b.created_at || a.rule_id.localeCompare(b.rule_id));
  }

  async rule(queueId: string, ruleId: string): Promise<StoredRule | null> {
    const text = await this.redis.hget(this.keys.notifyRules(queueId), ruleId);
    return text === null ? null : (JSON.parse(text) as StoredRule);
  }

  /** Removes a rule and its digest; false when there was none. The queue stays in the set (see the consumer). */
  async deleteRule(queueId: string, ruleId: string): Promise<boolean> {
    const removed = await this.redis.hdel(this.keys.notifyRules(queueId), ruleId);
    await this.redis.del(this.keys.notifyDigest(queueId, ruleId), this.keys.notifyWindow(queueId, ruleId));
    return removed > 0;
  }

  /** Every queue id with rules (or that had some). */
  queuesWithRules(): Promise<string[]> {
    return this.redis.smembers(this.keys.notifyQueues());
  }

  /** Deletes what notifications kept of a queue that no longer exists. */
  async forgetQueue(queueId: string): Promise<void> {
    const ruleIds = await this.redis.hkeys(this.keys.notifyRules(queueId));
    const keys = [this.keys.notifyRules(queueId), this.keys.notifyDone(queueId), this.keys.notifyDeliveries(queueId)];
    for (const ruleId of ruleIds) keys.push(this.keys.notifyDigest(queueId, ruleId), this.keys.notifyWindow(queueId, ruleId));
    await this.redis.del(...keys);
    await this.redis.srem(this.keys.notifyQueues(), queueId);
  }

  async queueExists(queueId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.queue(queueId))) === 1;
  }

  async queueName(queueId: string): Promise<string | null> {
    return this.redis.hget(this.keys.queue(queueId), "queue_name");
  }

  /** Tasks per status: the sizes of each status's indexes, O(1) each. */
  async counts(queueId: string): Promise<TaskCounts> {
    const values = await Promise.all(TASK_STATUSES.map((status) => this.store.countTasks(queueId, status)));
    return Object.fromEntries(TASK_STATUSES.map((status, i) => [status, values[i]!])) as TaskCounts;
  }

  // The event stream's consumer group

  /** Creates the group at the stream's end (and the stream, for a queue without events yet) unless it exists. */
  async ensureGroup(queueId: string): Promise<void> {
    try {
      await this.redis.xgroup("CREATE", this.keys.events(queueId), CONSUMER_GROUP, "$", "MKSTREAM");
    } catch (error) {
      if (!isReplyError(error, "BUSYGROUP")) throw error;
    }
  }

  /**
   * Entries for `consumer`: first those it was given and has not acknowledged (after a failure, or claimed from a
   * replica that stopped), else new ones. An entry trimmed from the stream since comes back with no fields.
   */
  async readGroup(queueId: string, consumer: string, count: number): Promise<EventEntry[]> {
    const key = this.keys.events(queueId);
    for (const id of ["0", ">"]) {
      const reply = (await this.redis.callBuffer("XREADGROUP", ["GROUP", CONSUMER_GROUP, consumer, "COUNT", count, "STREAMS", key, id])) as
        | Array<[Buffer, Array<[Buffer, Buffer[] | null]>]>
        | null;
      const entries = (reply?.[0]?.[1] ?? []).map(([entryId, fields]): EventEntry => [entryId.toString(), fields ?? []]);
      if (entries.length > 0) return entries;
    }
    return [];
  }

  /** Takes over entries another consumer was given more than `minIdleMs` ago without acknowledging them. */
  async claimStale(queueId: string, consumer: string, minIdleMs: number, count: number): Promise<void> {
    await this.redis.xautoclaim(this.keys.events(queueId), CONSUMER_GROUP, consumer, minIdleMs, "0-0", "COUNT", count, "JUSTID");
  }

  async ack(queueId: string, entryId: string): Promise<void> {
    await this.redis.xack(this.keys.events(queueId), CONSUMER_GROUP, entryId);
  }

  // Digests

  /**
   * Adds an event to a rule's digest and opens its window unless one is open; returns the id of the job that closes
   * the open window and how long it has left. Adding the same event twice (a replayed entry) counts it once.
   */
  async addToDigest(queueId: string, ruleId: string, sequence: number, item: string, windowMs: number, closerId: string): Promise<{ closerId: string; remainingMs: number }> {
    const window = this.keys.notifyWindow(queueId, ruleId);
    // Not atomic, and need not be: should the window expire between SET and GET, this event schedules a close at
    // once, which sends what the digest holds; nothing is lost or sent twice.
    const results = await this.redis
      .pipeline()
      .hset(this.keys.notifyDigest(queueId, ruleId), String(sequence), item)
      .set(window, closerId, "PX", windowMs, "NX")
      .get(window)
      .pttl(window)
      .exec();
    const [current, pttl] = (results ?? []).slice(2).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    return { closerId: (current as string | null) ?? closerId, remainingMs: Math.max(0, Number(pttl)) };
  }

  /** The events a rule's digest holds: sequence -> item. */
  async digest(queueId: string, ruleId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.notifyDigest(queueId, ruleId));
  }

  /** Removes the events a message was sent for. */
  async removeFromDigest(queueId: string, ruleId: string, sequences: readonly string[]): Promise<void> {
    if (sequences.length > 0) await this.redis.hdel(this.keys.notifyDigest(queueId, ruleId), ...sequences);
  }

  // queue-done

  /**
   * Whether a task became pending or running after event `sequence` (or, when more than `limit` events follow it,
   * whether that cannot be told cheaply: then a later event decides).
   */
  async activatedAfter(queueId: string, sequence: number, limit = 1000): Promise<boolean> {
    const entries = await this.redis.xrange(this.keys.events(queueId), `(${sequence}-0`, "+", "COUNT", limit);
    if (entries.length >= limit) return true;
    return entries.some(([, fields]) => {
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      return field("entity_type") === "task" && (field("new_state") === "pending" || field("new_state") === "running");
    });
  }

  /** Whether event `sequence` is the one that says the queue is done (true again for the same event, read twice). */
  async claimDone(queueId: string, sequence: number): Promise<boolean> {
    const key = this.keys.notifyDone(queueId);
    if ((await this.redis.set(key, String(sequence), "NX")) === "OK") return true;
    return (await this.redis.get(key)) === String(sequence);
  }

  /**
   * A task became pending or running at event `sequence`: the next time the queue is done is said again, unless
   * the queue was said done after this event (events can be handled out of order by replicas).
   */
  async clearDone(queueId: string, sequence: number): Promise<void> {
    const key = this.keys.notifyDone(queueId);
    const said = await this.redis.get(key);
    if (said !== null && Number(said) < sequence) await this.redis.del(key);
  }

  // Deliveries

  async recordDelivery(queueId: string, delivery: Omit<NotifyDelivery, "time">, now: number): Promise<void> {
    const stored: StoredDelivery = {
      delivery_id: delivery.deliveryId,
      rule_id: delivery.ruleId,
      kind: delivery.kind,
      outcome: delivery.outcome,
      attempt: delivery.attempt,
      http_status: delivery.httpStatus,
      detail: delivery.detail,
      time: now,
    };
    const key = this.keys.notifyDeliveries(queueId);
    const results = await this.redis.pipeline().lpush(key, JSON.stringify(stored)).ltrim(key, 0, DELIVERY_LOG_LENGTH - 1).exec();
    for (const [error] of results ?? []) if (error) throw error;
  }

  async deliveries(queueId: string, limit: number): Promise<NotifyDelivery[]> {
    const items = await this.redis.lrange(this.keys.notifyDeliveries(queueId), 0, limit - 1);
    return items.map((text) => deliveryFromStored(JSON.parse(text) as StoredDelivery));
  }

  // The servers' public key

  publicKey(): Promise<string | null> {
    return this.redis.get(this.keys.notifyPublicKey());
  }

  /** Puts the public key in place unless one is; returns the one in place. */
  async publishPublicKey(pem: string): Promise<string> {
    await this.redis.set(this.keys.notifyPublicKey(), pem, "NX");
    return (await this.publicKey()) ?? pem;
  }
}
