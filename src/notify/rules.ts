/**
 * A queue's notification rules: created (checked, their secret sealed), listed, removed, tested, and their delivery
 * log. Used by the HTTP routes (with the server's allow-list) and by direct mode, where rules can be managed but
 * messages go only when a server runs: the servers read the events and deliver (src/notify/service.ts).
 */
import { randomUUID } from "node:crypto";
import { BadRequestError, LabtaskerError } from "../core/errors.js";
import {
  DIGEST_SECONDS,
  NOTIFY_FORMATS,
  NotifyRuleNotFoundError,
  type CreateNotifyRuleOptions,
  type CreatedNotifyRule,
  type NotifyDelivery,
  type NotifyRule,
} from "../core/notify.js";
import type { RedisStore } from "../store/store.js";
import { PAGE } from "../core/defaults.js";
import { TargetRefusedError, parseTargetUrl, type AllowList } from "./allowList.js";
import { compileCondition } from "./condition.js";
import { DeliveryJobs } from "./jobs.js";
import { messageBody } from "./messages.js";
import { generateSecret, sealSecret } from "./secret.js";
import { NotifyStore, ruleFromStored, type StoredRule } from "./store.js";

/** Rules a queue may have: each event is checked against all of them. */
export const MAX_RULES_PER_QUEUE = 100;

export class NotificationRules {
  readonly store: NotifyStore;
  readonly jobs: DeliveryJobs;

  constructor(
    redisStore: RedisStore,
    private readonly now: () => number,
  ) {
    this.store = new NotifyStore(redisStore);
    this.jobs = new DeliveryJobs(redisStore.redis, redisStore.keys);
  }

  /**
   * Creates a rule. `allowList`: the server's, checked now (and again at each delivery); null in direct mode, where
   * only the URL's form is checked here and the server that delivers refuses a host its list does not name.
   * @throws BadRequestError for a bad `on` (with the filter error's column), URL, format or digest, or a host the
   * allow-list refuses; LabtaskerError 503 when no server has published its key yet.
   */
  async create(queueId: string, options: CreateNotifyRuleOptions, allowList: AllowList | null): Promise<CreatedNotifyRule> {
    const rule = validateRule(options, allowList);
    const existing = await this.store.rules(queueId);
    if (existing.length >= MAX_RULES_PER_QUEUE) throw new BadRequestError(`a queue may have at most ${MAX_RULES_PER_QUEUE} notification rules`);
    const publicKey = await this.store.publicKey();
    if (publicKey === null) {
      throw new LabtaskerError(
        503,
        "No labtasker server with notifications on has started on this Redis yet: rules are sealed with the servers' " +
          "notification key, which a server publishes when it starts with --notify-allow-host (start one, then add the rule again)",
      );
    }
    const secret = generateSecret();
    const stored: StoredRule = { rule_id: randomUUID(), ...rule, created_at: this.now(), secret: sealSecret(publicKey, secret) };
    await this.store.addRule(queueId, stored);
    return { ...ruleFromStored(queueId, stored), secret };
  }

  async list(queueId: string): Promise<NotifyRule[]> {
    return (await this.store.rules(queueId)).map((rule) => ruleFromStored(queueId, rule));
  }

  /** @throws NotifyRuleNotFoundError */
  async delete(queueId: string, ruleId: string): Promise<void> {
    if (!(await this.store.deleteRule(queueId, ruleId))) throw new NotifyRuleNotFoundError(ruleId);
  }

  /** Enqueues a test message to the rule's target; returns its delivery id. @throws NotifyRuleNotFoundError */
  async test(queueId: string, ruleId: string): Promise<string> {
    const rule = await this.store.rule(queueId, ruleId);
    if (!rule) throw new NotifyRuleNotFoundError(ruleId);
    const deliveryId = `${ruleId}-test-${randomUUID()}`;
    const body = messageBody({
      kind: "test",
      deliveryId,
      rule: { ruleId, on: rule.on, format: rule.format },
      queue: { queueId, queueName: (await this.store.queueName(queueId)) ?? queueId },
      counts: await this.store.counts(queueId),
      now: new Date(this.now()),
    });
    await this.jobs.deliver({ type: "deliver", queueId, ruleId, deliveryId, kind: "test", body });
    return deliveryId;
  }

  /** The last delivery attempts, newest first. */
  async deliveries(queueId: string, limit: number = PAGE.limit): Promise<NotifyDelivery[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE.maxLimit) throw new BadRequestError(`limit must be an integer 1..${PAGE.maxLimit} (got ${limit})`);
    return this.store.deliveries(queueId, limit);
  }

  close(): Promise<void> {
    return this.jobs.close();
  }
}

/** The stored fields of a new rule, each checked, with messages of the form `<field> must be ... (got ...)`. */
function validateRule(options: CreateNotifyRuleOptions, allowList: AllowList | null): Pick<StoredRule, "on" | "url" | "format" | "digest_seconds"> {
  if (typeof options.on !== "string") throw new BadRequestError(`on must be a string (got ${typeof options.on})`);
  compileCondition(options.on);
  if (typeof options.url !== "string") throw new BadRequestError(`url must be a string (got ${typeof options.url})`);
  let url: URL;
  try {
    url = allowList ? allowList.checkUrl(options.url) : parseTargetUrl(options.url);
  } catch (error) {
    if (error instanceof TargetRefusedError) throw new BadRequestError(error.message);
    throw error;
  }
  const format = options.format ?? "json";
  if (!(NOTIFY_FORMATS as readonly string[]).includes(format)) throw new BadRequestError(`format must be one of ${NOTIFY_FORMATS.join(", ")} (got ${String(format)})`);
  const digest = options.digestSeconds ?? null;
  if (digest !== null && !(typeof digest === "number" && Number.isFinite(digest) && digest >= DIGEST_SECONDS.min && digest <= DIGEST_SECONDS.max)) {
    throw new BadRequestError(`digest_seconds must be a number of seconds ${DIGEST_SECONDS.min}..${DIGEST_SECONDS.max} (got ${String(digest)})`);
  }
  return { on: options.on.trim(), url: url.href, format, digest_seconds: digest };
}
