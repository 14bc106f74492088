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
  /** Called with errors of a tick (the next tick runs regardless). */
  onError?: (error: Error) => void;
}

const QUEUE_NAME = "timeouts";
const SCHEDULER_ID = "timeout-sweep";

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
    const worker = new Worker(QUEUE_NAME, () => broker.expireAll(), { connection, prefix, concurrency: 1 });
    worker.on("error", (error) => options.onError?.(error));
    worker.on("failed", (_job, error) => options.onError?.(error));
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
