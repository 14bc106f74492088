/**
 * The periodic timeout sweep across all queues, scheduled through BullMQ so that however many server replicas run,
 * exactly one of them handles each tick. Fetches also expire their own queue's overdue tasks inline, so the sweep
 * matters for queues nobody is fetching from (a crashed sweep's tasks must still come back to pending).
 */
import { Queue, Worker } from "bullmq";
import { duplicateConnection, type RedisConnection } from "../store/connection.js";
import type { Broker } from "./broker.js";

export interface SweeperOptions {
  /**
   * Time between ticks. 500 ms finds an expired task within about 0.5 s of its deadline (the goal is 1 s;
   * labtasker v1 checks every 30 s) for two small Redis calls per queue per second.
   * @defaultValue 500
   */
  intervalMs?: number;
  /**
   * Called with errors of a tick or of the scheduler's connections (the next tick runs regardless). While Redis is
   * away every reconnect attempt fails the same way: an error is passed on once, not again until a tick succeeds.
   */
  onError?: (error: Error) => void;
  /** Called when a tick succeeds after errors were passed to `onError`. */
  onRecover?: () => void;
}

const QUEUE_NAME = "timeouts";
const SCHEDULER_ID = "timeout-sweep";

/** The lock a replica holds on a tick, and how often replicas look for ticks whose holder died (see start()). */
export function sweepLocks(intervalMs: number): { lockDuration: number; stalledInterval: number } {
  return { lockDuration: Math.max(4000, intervalMs * 8), stalledInterval: Math.max(1000, intervalMs * 2) };
}

export class TimeoutSweeper implements AsyncDisposable {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly queue: Queue,
    private readonly worker: Worker,
    private readonly connection: RedisConnection,
  ) {}

  /** Registers (or updates) the shared schedule and starts taking ticks in this process. */
  static async start(broker: Broker, options: SweeperOptions = {}): Promise<TimeoutSweeper> {
    const intervalMs = options.intervalMs ?? 500;
    // BullMQ's blocking worker needs commands that wait through reconnects (maxRetriesPerRequest: null).
    const connection = duplicateConnection(broker.store.redis, { maxRetriesPerRequest: null });
    const prefix = broker.store.keys.schedulerPrefix();
    const queue = new Queue(QUEUE_NAME, { connection, prefix });
    await queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: intervalMs },
      { name: "sweep", opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    // A replica that dies right after taking a tick (before BullMQ schedules the next) holds that tick's lock until it
    // expires, and the sweep of every replica waits for the stalled-job check to take it back: with BullMQ's defaults
    // (30 s lock, check every 30 s) up to a minute without timeouts; with these a few seconds. A tick takes
    // milliseconds and its lock is renewed every half lock, so a live replica never loses a tick this way.
    const worker = new Worker(QUEUE_NAME, () => broker.expireAll(), { connection, prefix, concurrency: 1, ...sweepLocks(intervalMs) });
    let failing = new Set<string>();
    const onError = (error: Error) => {
      if (failing.has(error.message)) return;
      failing.add(error.message);
      options.onError?.(error);
    };
    // Without a listener BullMQ prints every error of the queue's connection itself, stack and all.
    queue.on("error", onError);
    worker.on("error", onError);
    worker.on("failed", (_job, error) => onError(error));
    worker.on("completed", () => {
      if (failing.size === 0) return;
      failing = new Set();
      options.onRecover?.();
    });
    return new TimeoutSweeper(queue, worker, connection);
  }

  /** Stops taking ticks here; the schedule stays for other replicas. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.close();
      await this.queue.close();
      await this.connection.quit().catch(() => undefined);
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
