/**
 * Live state-transition events of a queue, read from its Redis stream.
 *
 * Every replica sees every event because the stream, not the process, holds them. One blocking reader per queue
 * and process, on a connection of its own (ioredis queues every command behind a blocked XREAD), fans events out to
 * that queue's subscribers, so a hundred SSE clients of a queue cost one Redis connection, not a hundred. A subscriber may first replay what it missed (by sequence number), then joins the live feed.
 */
import { duplicateConnection, type RedisConnection } from "../store/connection.js";
import { decodeEvent, decodeEventHead, type QueueEventHead } from "../store/codecs.js";
import type { RedisStore } from "../store/store.js";
import type { QueueEvent } from "../core/model.js";

/** Stream entries read per request when scanning the stream's history. */
const HISTORY_BATCH = 500;

/** How long one blocking read waits before looping, so a stopped reader exits within this time. */
const BLOCK_MS = 1000;
/**
 * Events buffered per subscriber. A subscriber that falls further behind (a slow SSE client) is not dropped from, as
 * v1 drops the oldest past EVENT_BUFFER_SIZE=100: it catches up from the stream itself, which keeps ~10,000 events.
 */
const SUBSCRIBER_BUFFER = 1000;

type Listener = (event: QueueEvent) => void;

class QueueReader {
  private readonly listeners = new Set<Listener>();
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly connection: RedisConnection,
    private readonly store: RedisStore,
    private readonly queueId: string,
    startAfter: number,
  ) {
    this.done = this.loop(startAfter);
  }

  add(listener: Listener): void {
    this.listeners.add(listener);
  }

  /** Removes a listener; true when none is left. */
  remove(listener: Listener): boolean {
    this.listeners.delete(listener);
    return this.listeners.size === 0;
  }

  /** Ends the read in flight at once (it may be waiting for Redis to come back), then the loop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.connection.disconnect();
    await this.done;
  }

  private async loop(startAfter: number): Promise<void> {
    let lastId = `${startAfter}-0`;
    const key = this.store.keys.events(this.queueId);
    while (!this.stopped) {
      let reply: Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
      try {
        reply = (await this.connection.xreadBuffer("BLOCK", BLOCK_MS, "STREAMS", key, lastId)) as typeof reply;
      } catch {
        // Redis is restarting: ioredis reconnects; try again shortly without losing our position.
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          lastId = id.toString();
          const event = decodeEvent(this.queueId, [lastId, fields]);
          for (const listener of this.listeners) listener(event);
        }
      }
    }
  }
}

export class EventHub {
  private readonly readers = new Map<string, QueueReader>();

  constructor(private readonly store: RedisStore) {}

  /**
   * Events of a queue from now on, or after `afterSequence` when given (replaying what the stream still holds).
   * Ends when `signal` aborts.
   */
  async *subscribe(queueId: string, options: { afterSequence?: number; signal?: AbortSignal } = {}): AsyncGenerator<QueueEvent> {
    const { signal } = options;
    const buffer: QueueEvent[] = [];
    let overflowed = false;
    let wake: (() => void) | undefined;
    const listener: Listener = (event) => {
      buffer.push(event);
      if (buffer.length > SUBSCRIBER_BUFFER) {
        buffer.length = 0;
        overflowed = true;
      }
      wake?.();
    };
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);

    const current = await this.store.lastEventSequence(queueId);
    const reader = this.readerFor(queueId, current);
    reader.add(listener);
    try {
      let delivered = options.afterSequence ?? current;
      // Replay from the stream what happened between afterSequence and the live feed's start.
      while (options.afterSequence !== undefined && delivered < current && !signal?.aborted) {
        const entries = await this.store.readEvents(queueId, delivered, 500);
        if (entries.length === 0) break;
        for (const entry of entries) {
          const event = decodeEvent(queueId, entry);
          if (event.sequence > current) break;
          delivered = event.sequence;
          yield event;
        }
      }
      while (!signal?.aborted) {
        if (overflowed) {
          // Too far behind for the buffer: read what was missed from the stream, then go on with the live feed.
          overflowed = false;
          for (;;) {
            const entries = await this.store.readEvents(queueId, delivered, 500);
            if (entries.length === 0 || signal?.aborted) break;
            for (const entry of entries) {
              const event = decodeEvent(queueId, entry);
              if (event.sequence <= delivered) continue;
              delivered = event.sequence;
              yield event;
            }
          }
          continue;
        }
        const event = buffer.shift();
        if (event === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (event.sequence <= delivered) continue;
        delivered = event.sequence;
        yield event;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (reader.remove(listener)) {
        this.readers.delete(queueId);
        void reader.stop();
      }
    }
  }

  /**
   * The transitions the stream holds after `afterSequence`, oldest first, at most `count`, without the entities'
   * documents (the stream keeps about the last 10,000 events of a queue).
   */
  async heads(queueId: string, afterSequence: number, count: number): Promise<QueueEventHead[]> {
    return (await this.store.readEvents(queueId, afterSequence, count)).map(decodeEventHead);
  }

  /**
   * The events of one task or worker that the stream still holds, newest first, at most `limit`; reads at most
   * `scan` entries back from the newest, so the cost is bounded whatever the stream holds.
   */
  async ofEntity(queueId: string, entityId: string, options: { limit: number; scan: number }): Promise<QueueEvent[]> {
    const found: QueueEvent[] = [];
    let before: number | null = null;
    for (let scanned = 0; scanned < options.scan && found.length < options.limit; ) {
      const entries = await this.store.readEventsBefore(queueId, before, Math.min(HISTORY_BATCH, options.scan - scanned));
      if (entries.length === 0) break;
      scanned += entries.length;
      for (const entry of entries) {
        const head = decodeEventHead(entry);
        before = head.sequence;
        if (head.entityId === entityId && found.length < options.limit) found.push(decodeEvent(queueId, entry));
      }
    }
    return found;
  }

  private readerFor(queueId: string, startAfter: number): QueueReader {
    let reader = this.readers.get(queueId);
    if (!reader) {
      const connection = duplicateConnection(this.store.redis);
      // The reader retries failed reads itself; without a listener ioredis prints every failed reconnect attempt.
      connection.on("error", () => undefined);
      reader = new QueueReader(connection, this.store, queueId, startAfter);
      this.readers.set(queueId, reader);
    }
    return reader;
  }

  async close(): Promise<void> {
    const readers = [...this.readers.values()];
    this.readers.clear();
    await Promise.all(readers.map((reader) => reader.stop()));
  }
}
