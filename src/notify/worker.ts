/**
 * The BullMQ worker that runs delivery jobs on a server replica: POSTs each message (signed with its rule's secret),
 * records each attempt in the queue's delivery log, and closes digest windows into one message each. A failed
 * attempt throws, so BullMQ retries it with the backoff below; a refused target or a removed rule does not retry.
 */
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { RedisConnection } from "../store/connection.js";
import type { KeyBuilder } from "../store/keys.js";
import { TargetRefusedError, type AllowList } from "./allowList.js";
import { BULLMQ_CONNECTION_OPTIONS, DELIVERY_QUEUE, type CloseWindowJob, type DeliverJob, type DeliveryJobs, type NotifyJob } from "./jobs.js";
import { messageBody, type DigestItem } from "./messages.js";
import { postMessage } from "./post.js";
import { openSecret, signBody, SIGNATURE_HEADER, type NotifyKey } from "./secret.js";
import type { NotifyStore } from "./store.js";

export interface DeliveryWorkerOptions {
  key: NotifyKey;
  allowList: AllowList;
  /** The wait before the first retry; each next one doubles it. @defaultValue 5000 */
  backoffMs?: number;
  /** How long a receiver has to answer. @defaultValue 10000 */
  timeoutMs?: number;
  /** Messages sent at once by this replica. @defaultValue 8 */
  concurrency?: number;
  now: () => number;
  /** Problems that fail no job (a delivery log that cannot be written). */
  onError: (error: Error) => void;
}

/** Headers every message carries besides the signature. */
const DELIVERY_HEADER = "X-Labtasker-Delivery";
const KIND_HEADER = "X-Labtasker-Event";

/**
 * How many times a job whose worker stopped mid-attempt (its lock expired) is put back before BullMQ fails it:
 * each server restart during a delivery costs one.
 */
const MAX_STALLED = 5;

/** The worker, and a way to cut the messages it is sending (a stop that cannot wait for them). */
export interface DeliveryWorker {
  worker: Worker<NotifyJob>;
  abortSending(): void;
}

export function startDeliveryWorker(connection: RedisConnection, keys: KeyBuilder, store: NotifyStore, jobs: DeliveryJobs, options: DeliveryWorkerOptions): DeliveryWorker {
  const backoffMs = options.backoffMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sending = new AbortController();

  const deliver = async (job: Job<NotifyJob>, data: DeliverJob): Promise<void> => {
    const attempt = job.attemptsMade + 1;
    // The log is for people: failing to write it must not fail the job, which would send a delivered message again.
    const record = (outcome: "delivered" | "retrying" | "failed" | "refused" | "dropped", httpStatus: number | null, detail: string | null) =>
      store
        .recordDelivery(data.queueId, { deliveryId: data.deliveryId, ruleId: data.ruleId, kind: data.kind, outcome, attempt, httpStatus, detail }, options.now())
        .catch((error: unknown) => options.onError(new Error(`cannot log delivery ${data.deliveryId}: ${(error as Error).message}`)));
    const rule = await store.rule(data.queueId, data.ruleId);
    if (!rule) {
      await record("dropped", null, "the rule was removed");
      return;
    }
    let secret: string;
    try {
      secret = openSecret(options.key.privateKey, rule.secret);
    } catch {
      await record("failed", null, "the rule's secret was sealed for another notification key than this server's");
      throw new UnrecoverableError("secret sealed for another key");
    }
    const headers = { [SIGNATURE_HEADER]: signBody(secret, data.body), [DELIVERY_HEADER]: data.deliveryId, [KIND_HEADER]: data.kind, "user-agent": "labtasker-redis" };
    let status: number;
    try {
      const url = options.allowList.checkUrl(rule.url);
      status = (await postMessage(url, data.body, headers, options.allowList, timeoutMs, sending.signal)).status;
    } catch (error) {
      if (error instanceof TargetRefusedError) {
        await record("refused", null, error.message);
        throw new UnrecoverableError(error.message);
      }
      const detail = (error as Error).message;
      await record(attempt >= (job.opts.attempts ?? 1) ? "failed" : "retrying", null, detail);
      throw error;
    }
    if (status >= 200 && status < 300) {
      await record("delivered", status, null);
      return;
    }
    const detail = `the receiver answered ${status}`;
    await record(attempt >= (job.opts.attempts ?? 1) ? "failed" : "retrying", status, detail);
    throw new Error(detail);
  };

  const closeWindow = async (data: CloseWindowJob): Promise<void> => {
    const rule = await store.rule(data.queueId, data.ruleId);
    if (!rule) return;
    const held = await store.digest(data.queueId, data.ruleId);
    const sequences = Object.keys(held).sort((a, b) => Number(a) - Number(b));
    if (sequences.length === 0) return;
    const items = sequences.map((sequence) => JSON.parse(held[sequence]!) as DigestItem);
    const deliveryId = `${data.ruleId}-digest-${sequences[0]}`;
    const body = messageBody({
      kind: "digest",
      deliveryId,
      rule: { ruleId: rule.rule_id, on: rule.on, format: rule.format },
      queue: { queueId: data.queueId, queueName: (await store.queueName(data.queueId)) ?? data.queueId },
      counts: await store.counts(data.queueId),
      digest: { items, windowSeconds: rule.digest_seconds ?? 0 },
      now: new Date(options.now()),
    });
    await jobs.deliver({ type: "deliver", queueId: data.queueId, ruleId: data.ruleId, deliveryId, kind: "digest", body, sequences });
    // Remove the events the stored message holds: when this close ran before and stopped after enqueuing, that is the
    // earlier message's events, and those that came since wait for the next window.
    const stored = await jobs.stored(deliveryId);
    await store.removeFromDigest(data.queueId, data.ruleId, stored?.sequences ?? sequences);
  };

  const worker = new Worker<NotifyJob>(
    DELIVERY_QUEUE,
    async (job) => {
      if (job.data.type === "close-window") await closeWindow(job.data);
      else await deliver(job, job.data);
    },
    {
      connection,
      prefix: keys.notifyJobsPrefix(),
      concurrency: options.concurrency ?? 8,
      maxStalledCount: MAX_STALLED,
      settings: { backoffStrategy: (attemptsMade: number) => backoffMs * 2 ** Math.max(0, attemptsMade - 1) },
      ...BULLMQ_CONNECTION_OPTIONS,
    },
  );
  return { worker, abortSending: () => sending.abort() };
}
