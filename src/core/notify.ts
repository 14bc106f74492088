/**
 * Notification rules (an extension of labtasker v1): per queue, a condition over its transition events and a target
 * URL that the server POSTs a message to when the condition holds. The records and the operations here are shared
 * by both transports; the rules live in Redis (src/notify), and a server delivers their messages.
 */
import { LabtaskerError } from "./errors.js";

/** What a rule POSTs: a signed JSON document, or a Slack/Mattermost-compatible incoming-webhook message (`{"text"}`). */
export const NOTIFY_FORMATS = ["json", "slack"] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/**
 * The named conditions a rule's `on` may be instead of a filter: the queue has no pending or running task left
 * (after a task left one of those states), and a worker was crashed (its failures reached its max_retries).
 */
export const NOTIFY_CONDITIONS = ["queue-done", "worker-crashed"] as const;
export type NotifyCondition = (typeof NOTIFY_CONDITIONS)[number];

/** Limits of a rule's digest window, in seconds: one second to one day. */
export const DIGEST_SECONDS = { min: 1, max: 86_400 } as const;

export interface CreateNotifyRuleOptions {
  /**
   * When to send: a filter over the task after each of its transitions (`status == "failed"`, `status == "success"
   * and summary.acc > 0.9`; the filter language of `task ls -f`), or one of {@link NOTIFY_CONDITIONS}.
   */
  on: string;
  /** Where to POST: an http(s) URL whose host the server's allow-list (`--notify-allow-host`) names. */
  url: string;
  /** @defaultValue "json" */
  format?: NotifyFormat;
  /**
   * Send at most one message per this many seconds, holding the count of the events it stands for (the first event
   * opens the window; the message goes when it closes). null: one message per event.
   * @defaultValue null
   */
  digestSeconds?: number | null;
}

export interface NotifyRule {
  ruleId: string;
  queueId: string;
  on: string;
  url: string;
  format: NotifyFormat;
  digestSeconds: number | null;
  createdAt: Date;
}

/** A rule as its creation returns it: with the secret that signs its messages, shown this once. */
export interface CreatedNotifyRule extends NotifyRule {
  /** The HMAC-SHA256 key of the `X-Labtasker-Signature` header; the server keeps it encrypted and never shows it again. */
  secret: string;
}

/** What happened to one attempt at a delivery. */
export const DELIVERY_OUTCOMES = ["delivered", "retrying", "failed", "refused", "dropped"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** One attempt at delivering a message, as `notify ls --deliveries` lists them (newest first). */
export interface NotifyDelivery {
  /** Also sent as the `X-Labtasker-Delivery` header: the same for every attempt, so a receiver can drop duplicates. */
  deliveryId: string;
  ruleId: string;
  /** `event`: one transition; `digest`: a window's events; `queue-done`, `worker-crashed`; `test`: `notify test`. */
  kind: string;
  /**
   * `delivered` (2xx), `retrying` (will be tried again), `failed` (retries used up), `refused` (the target is not
   * allowed), `dropped` (the rule was removed before the message went).
   */
  outcome: DeliveryOutcome;
  /** 1 for the first attempt. */
  attempt: number;
  /** The receiver's HTTP status, null when none came (refused connection, timeout). */
  httpStatus: number | null;
  /** Why it did not succeed, null when it did. */
  detail: string | null;
  time: Date;
}

/** The operations on a queue's notification rules: part of every transport's API. */
export interface NotifyApi {
  createNotifyRule(options: CreateNotifyRuleOptions): Promise<CreatedNotifyRule>;
  lsNotifyRules(): Promise<NotifyRule[]>;
  /** @throws NotifyRuleNotFoundError */
  deleteNotifyRule(ruleId: string): Promise<void>;
  /** Queues a test message to the rule's target and returns its delivery id (see {@link lsNotifyDeliveries}). */
  testNotifyRule(ruleId: string): Promise<string>;
  /** The last delivery attempts of the queue's rules, newest first. @param options.limit at most 1..1000, default 100 */
  lsNotifyDeliveries(options?: { limit?: number }): Promise<NotifyDelivery[]>;
}

export class NotifyRuleNotFoundError extends LabtaskerError {
  constructor(readonly ruleId: string) {
    super(404, `Notification rule '${ruleId}' not found`);
  }
}
