/**
 * Reads the event streams of the queues that have rules, on every server replica, through one Redis consumer group
 * per stream: each entry is given to one replica, which hands it to the dispatcher and acknowledges it. An entry
 * given to a replica that stopped before acknowledging it is taken over by another after {@link CLAIM_IDLE_MS}; as
 * delivery ids are derived from the event, handling an entry twice enqueues nothing twice.
 *
 * The reads do not block: each tick reads every such queue once (a blocking read would hold a connection per queue).
 */
import { randomUUID } from "node:crypto";
import type { Dispatcher } from "./dispatch.js";
import { isReplyError, type NotifyStore } from "./store.js";

/** Entries read per queue per tick. */
const READ_COUNT = 200;
/** How long an entry may stay unacknowledged by a consumer before another takes it over. */
export const CLAIM_IDLE_MS = 30_000;
/** Ticks between looks for such entries (at the default 200 ms a tick: every 5 s). */
const CLAIM_EVERY_TICKS = 25;

export interface ConsumerOptions {
  /** ms between reads. @defaultValue 200 */
  intervalMs?: number;
  /** Errors of a tick, once per distinct message until a tick succeeds (the next tick runs regardless). */
  onError?: (error: Error) => void;
  /** Called at each tick before reading (the service puts back its public key after Redis lost data). */
  beforeTick?: () => Promise<void>;
}

export class EventConsumer {
  /** This replica's consumer name in every group. */
  readonly name = `server-${randomUUID()}`;
  private readonly timer: NodeJS.Timeout;
  private tick: Promise<void> | undefined;
  private ticks = 0;
  private closed = false;
  private failing = new Set<string>();

  constructor(
    private readonly store: NotifyStore,
    private readonly dispatcher: Dispatcher,
    private readonly options: ConsumerOptions = {},
  ) {
    this.timer = setInterval(() => {
      this.tick ??= this.runTick().finally(() => (this.tick = undefined));
    }, options.intervalMs ?? 200);
    this.timer.unref();
  }

  private async runTick(): Promise<void> {
    try {
      await this.options.beforeTick?.();
      const claim = this.ticks++ % CLAIM_EVERY_TICKS === 0;
      for (const queueId of await this.store.queuesWithRules()) {
        if (this.closed) return;
        await this.pump(queueId, claim);
      }
      this.failing = new Set();
    } catch (error) {
      this.report(error as Error);
    }
  }

  /** Handles what the queue's stream has for this replica. */
  private async pump(queueId: string, claim: boolean): Promise<void> {
    if (!(await this.store.queueExists(queueId))) {
      await this.store.forgetQueue(queueId);
      return;
    }
    let entries;
    try {
      if (claim) await this.store.claimStale(queueId, this.name, CLAIM_IDLE_MS, READ_COUNT);
      entries = await this.store.readGroup(queueId, this.name, READ_COUNT);
    } catch (error) {
      // The stream (and its group) went with a purge or a data loss while the queue was there: start it again.
      if (!isReplyError(error, "NOGROUP")) throw error;
      await this.store.ensureGroup(queueId);
      return;
    }
    if (entries.length === 0) return;
    const context = { queueId, queueName: (await this.store.queueName(queueId)) ?? queueId, rules: await this.store.rules(queueId) };
    for (const entry of entries) {
      if (this.closed) return;
      await this.dispatcher.handle(context, entry);
      await this.store.ack(queueId, entry[0]);
    }
  }

  private report(error: Error): void {
    if (this.closed || this.failing.has(error.message)) return;
    this.failing.add(error.message);
    this.options.onError?.(error);
  }

  /**
   * Stops reading; the tick in flight finishes its entry (it acknowledges only what it handled; the rest is taken
   * over by another replica, or read again by the next start). Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.tick;
  }
}
