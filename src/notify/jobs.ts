/**
 * The BullMQ queue of deliveries: every message is a job whose id is its delivery id, so an event read twice (a
 * replica stopped before acknowledging it) enqueues it once, and retries with exponential backoff are BullMQ's.
 * Jobs live in Redis under `<prefix>:notify:{deliveries}:` (the braces keep them in one Cluster slot), so they
 * survive a server restart and any replica's worker takes them.
 */
import type { JobsOptions, Queue } from "bullmq";
import type { RedisConnection } from "../store/connection.js";
import type { KeyBuilder } from "../store/keys.js";

/** BullMQ's queue name; the `prefix` option puts it under our key prefix. */
export const DELIVERY_QUEUE = "{deliveries}";

/** A message to POST: its body is fixed when the event is read, so every attempt sends the same bytes. */
export interface DeliverJob {
  type: "deliver";
  queueId: string;
  ruleId: string;
  deliveryId: string;
  /** What the message is about (see NotifyDelivery.kind). */
  kind: string;
  body: string;
  /** For a digest: the event sequences it stands for, removed from the digest once the job is stored. */
  sequences?: string[];
}

/** Closes a digest rule's window: gathers its events into one message. */
export interface CloseWindowJob {
  type: "close-window";
  queueId: string;
  ruleId: string;
}

export type NotifyJob = DeliverJob | CloseWindowJob;

/**
 * Attempts of a delivery: with the default 5 s first backoff, doubling, the 12th attempt comes about 2.8 hours after
 * the first, so a receiver down for an hour gets every message when it is back. The delays are the worker's
 * (`backoffStrategy`), so a server can shorten them (tests do).
 */
export const DELIVERY_ATTEMPTS = 12;

/**
 * How long finished jobs are kept: their ids guard against enqueuing a delivery twice while an event can still be
 * read again (a replica's unacknowledged entries are taken over after 30 s), and failed ones are there to inspect.
 */
const JOB_RETENTION: Pick<JobsOptions, "removeOnComplete" | "removeOnFail"> = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/**
 * BullMQ reads INFO for the Redis version and warns about the eviction policy on each connection; the server has
 * checked both itself at start (src/store/access.ts), and a lab's Redis user may not be allowed INFO.
 */
export const BULLMQ_CONNECTION_OPTIONS = { skipVersionCheck: true } as const;

/**
 * Adds delivery jobs. The BullMQ queue (and its module, so direct-mode commands that never enqueue do not load it)
 * is made on first use.
 */
export class DeliveryJobs {
  private queue: Promise<Queue<NotifyJob>> | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: KeyBuilder,
  ) {}

  private jobs(): Promise<Queue<NotifyJob>> {
    this.queue ??= import("bullmq").then(
      ({ Queue }) => new Queue<NotifyJob>(DELIVERY_QUEUE, { connection: this.redis, prefix: this.keys.notifyJobsPrefix(), ...BULLMQ_CONNECTION_OPTIONS }),
    );
    return this.queue;
  }

  /** Enqueues a message, once per delivery id: adding an id that is kept already leaves the stored job as it is. */
  async deliver(job: DeliverJob): Promise<void> {
    await (await this.jobs()).add("deliver", job, { jobId: job.deliveryId, attempts: DELIVERY_ATTEMPTS, backoff: { type: "custom" }, ...JOB_RETENTION });
  }

  /** The data of the delivery stored under `deliveryId`, while the job is kept. */
  async stored(deliveryId: string): Promise<DeliverJob | null> {
    const job = await (await this.jobs()).getJob(deliveryId);
    return job && job.data.type === "deliver" ? job.data : null;
  }

  /** Schedules the close of a digest window, once per window id. */
  async closeWindow(job: CloseWindowJob, windowId: string, delayMs: number): Promise<void> {
    await (await this.jobs()).add("close-window", job, { jobId: windowId, delay: delayMs, attempts: DELIVERY_ATTEMPTS, backoff: { type: "custom" }, ...JOB_RETENTION });
  }

  async close(): Promise<void> {
    const queue = this.queue;
    this.queue = undefined;
    await (await queue)?.close();
  }
}
