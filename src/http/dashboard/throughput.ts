/**
 * Tasks finished per minute, counted from a queue's event stream (each `-> success` and `-> failed` transition),
 * for the dashboard's throughput chart and its ETA. The stream keeps about the last 10,000 events, so a server counts
 * what it still holds when first asked, then keeps counting from the last sequence it read: each request reads only
 * the events since the previous one. What came before the oldest event it ever read is unknown, and the answer says
 * from when it counts (`covers_from`) rather than showing zeros there.
 */
import { LRUCache } from "lru-cache";
import type { Broker } from "../../broker/broker.js";

/** Minutes kept per queue: a day. */
const KEEP_MINUTES = 24 * 60;
/** Events read per request to the stream, and at most per answer (the stream's cap, with slack). */
const READ_BATCH = 1000;
const READ_MAX = 20_000;
/** Queues followed at once per server; the least recently asked is dropped (and counted again from the stream). */
const QUEUES = 256;

interface Tally {
  success: number;
  failed: number;
}

interface QueueThroughput {
  lastSequence: number;
  /** Minute start (ms) -> finished tasks. */
  minutes: Map<number, Tally>;
  /** When the oldest counted event happened; null until an event was read. */
  coversFrom: number | null;
  /** One read at a time per queue, so two requests do not count the same events twice. */
  reading?: Promise<void>;
}

export interface ThroughputMinute {
  minute: string;
  success: number;
  failed: number;
}

export class ThroughputCounter {
  private readonly queues = new LRUCache<string, QueueThroughput>({ max: QUEUES });

  constructor(private readonly broker: Broker) {}

  /** The last `minutes` minutes, oldest first, each minute present (zeros where nothing finished). */
  async minutes(queueId: string, minutes: number, now = Date.now()): Promise<{ minutes: ThroughputMinute[]; coversFrom: string | null }> {
    let state = this.queues.get(queueId);
    if (state === undefined) {
      state = { lastSequence: 0, minutes: new Map(), coversFrom: null };
      this.queues.set(queueId, state);
    }
    state.reading ??= this.catchUp(queueId, state, now).finally(() => (state.reading = undefined));
    await state.reading;
    const current = Math.floor(now / 60_000) * 60_000;
    const answer: ThroughputMinute[] = [];
    for (let minute = current - (minutes - 1) * 60_000; minute <= current; minute += 60_000) {
      const tally = state.minutes.get(minute) ?? { success: 0, failed: 0 };
      answer.push({ minute: new Date(minute).toISOString(), ...tally });
    }
    return { minutes: answer, coversFrom: state.coversFrom === null ? null : new Date(state.coversFrom).toISOString() };
  }

  private async catchUp(queueId: string, state: QueueThroughput, now: number): Promise<void> {
    for (let read = 0; read < READ_MAX; ) {
      const heads = await this.broker.events.heads(queueId, state.lastSequence, READ_BATCH);
      if (heads.length === 0) break;
      read += heads.length;
      for (const head of heads) {
        // A gap (events trimmed before this server read them) restarts what is known at the first event after it.
        if (head.sequence !== state.lastSequence + 1 && state.lastSequence !== 0) state.coversFrom = head.timestamp.getTime();
        state.lastSequence = head.sequence;
        state.coversFrom ??= head.timestamp.getTime();
        if (head.entityType !== "task" || (head.newState !== "success" && head.newState !== "failed")) continue;
        const minute = Math.floor(head.timestamp.getTime() / 60_000) * 60_000;
        const tally = state.minutes.get(minute) ?? { success: 0, failed: 0 };
        tally[head.newState] += 1;
        state.minutes.set(minute, tally);
      }
      if (heads.length < READ_BATCH) break;
    }
    const oldest = now - KEEP_MINUTES * 60_000;
    for (const minute of state.minutes.keys()) if (minute < oldest) state.minutes.delete(minute);
  }
}
