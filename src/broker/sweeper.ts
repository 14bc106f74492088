/**
 * The periodic timeout sweep across all queues. Fetches also expire their own queue's overdue tasks inline, so the
 * sweep matters for queues nobody is fetching from (a crashed worker's tasks must still come back to pending).
 *
 * Each replica ticks on its own timer and takes a tick with a short `SET NX PX` lease, so one replica sweeps per
 * interval however many run. Nothing the sweep relies on is registered once in Redis: a lab's Redis can be flushed,
 * restarted without persistence or failed over to a replica that missed the last writes, and the next tick sweeps as
 * before (a job scheduler kept in Redis, as this sweep once was, dies silently with the data). Each tick also puts
 * back a marker key when it is missing, which is how a replica notices that Redis lost data and says so once.
 */
import { randomUUID } from "node:crypto";
import type { Broker } from "./broker.js";
import { SWEEP_INTERVAL_SECONDS } from "../core/defaults.js";

export interface SweeperOptions {
  /**
   * Time between ticks. 500 ms finds an expired task within about 0.5 s of its deadline (the goal is 1 s;
   * labtasker v1 checks every 30 s) for three small Redis calls per replica per tick, plus two per queue per sweep.
   * @defaultValue 500
   */
  intervalMs?: number;
  /**
   * Called with errors of a tick (the next tick runs regardless). While Redis is away every tick fails the same way:
   * an error is passed on once, not again until a tick succeeds.
   */
  onError?: (error: Error) => void;
  /** Called when a tick succeeds after errors were passed to `onError`. */
  onRecover?: () => void;
  /**
   * Called when this replica found the data marker gone and put it back: Redis lost its keys (FLUSHALL or FLUSHDB, a
   * restart without persistence, a failover to a replica that missed writes) since the marker was last seen.
   * Of several replicas, the one that puts the marker back is told; the others find it there.
   */
  onDataLoss?: (lostKey: string) => void;
}

/**
 * The lease on one tick lasts 80% of the interval: it is gone when the same replica's next tick comes, so a lone
 * replica sweeps every interval, and a replica that dies holding it delays the sweep by less than one interval.
 */
const LEASE_SHARE = 0.8;

export class TimeoutSweeper implements AsyncDisposable {
  private readonly timer: NodeJS.Timeout;
  private tick: Promise<void> | undefined;
  private closed = false;
  private failing = new Set<string>();
  /** Random id of this replica, the lease's value: who holds a tick can be read with GET when debugging. */
  private readonly replica = randomUUID();

  private constructor(
    private readonly broker: Broker,
    private readonly intervalMs: number,
    private readonly options: SweeperOptions,
  ) {
    this.timer = setInterval(() => {
      // A tick still running (many queues, or Redis slow to answer) is not stacked upon.
      this.tick ??= this.runTick().finally(() => (this.tick = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** Puts the data marker in place (once, without a word: a new Redis has none) and starts ticking in this process. */
  static async start(broker: Broker, options: SweeperOptions = {}): Promise<TimeoutSweeper> {
    const intervalMs = options.intervalMs ?? SWEEP_INTERVAL_SECONDS * 1000;
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive (got ${intervalMs})`);
    await broker.store.redis.set(broker.store.keys.dataMarker(), markerValue(), "NX");
    return new TimeoutSweeper(broker, intervalMs, options);
  }

  /** One tick: the marker, then the sweep if this replica takes the lease. Errors are reported, never thrown. */
  private async runTick(): Promise<void> {
    const { redis, keys } = this.broker.store;
    // While Redis is away, commands wait for it to come back (see connectRedis): a tick can hang for seconds without
    // failing, and that is said once as well.
    const stalled = setTimeout(() => this.report(new Error(`no answer from Redis for ${stallMs(this.intervalMs) / 1000} s`)), stallMs(this.intervalMs));
    try {
      if ((await redis.set(keys.dataMarker(), markerValue(), "NX")) === "OK") this.options.onDataLoss?.(keys.dataMarker());
      const lease = Math.max(1, Math.floor(this.intervalMs * LEASE_SHARE));
      if ((await redis.set(keys.sweepLease(), this.replica, "PX", lease, "NX")) === "OK" && !this.closed) {
        await this.broker.expireAll();
      }
      if (this.failing.size > 0) {
        this.failing = new Set();
        this.options.onRecover?.();
      }
    } catch (error) {
      this.report(error as Error);
    } finally {
      clearTimeout(stalled);
    }
  }

  /** Passes an error on, once per distinct message until a tick succeeds. */
  private report(error: Error): void {
    if (this.closed) return; // a stop cut the connection under this tick: nothing to report
    if (this.failing.has(error.message)) return;
    this.failing.add(error.message);
    this.options.onError?.(error);
  }

  /**
   * Stops ticking here; other replicas go on. A tick in flight is not waited for: its scripts are atomic, so one cut
   * short by a stop (or by Redis going away) has either expired a task or not. Idempotent.
   */
  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    return Promise.resolve();
  }

  /** Waits for the tick in flight, if any (tests). */
  async settled(): Promise<void> {
    await this.tick;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** How long a tick may wait for Redis before that is reported. */
function stallMs(intervalMs: number): number {
  return Math.max(2000, intervalMs * 5);
}

/** The marker's value says since when it stands, for whoever finds it in Redis. */
function markerValue(): string {
  return new Date().toISOString();
}
