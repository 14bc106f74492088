/**
 * The notification routes of our server (an extension; labtasker v1's server has none) for {@link HttpLabtasker}:
 * requests, documents, and the errors a 404 stands for.
 */
import { LabtaskerError } from "../core/errors.js";
import { NotifyRuleNotFoundError, type CreateNotifyRuleOptions, type CreatedNotifyRule, type NotifyApi, type NotifyDelivery, type NotifyRule } from "../core/notify.js";
import type { JsonObject, JsonValue } from "../json.js";
import { createdNotifyRuleFromWire, notifyDeliveryFromWire, notifyRuleFromWire } from "../wire/notify.js";
import type { ErrorContext } from "./errors.js";

/** HttpLabtasker's request function. */
export type Requester = (
  method: string,
  path: string,
  options: { query?: Record<string, string | number | null | undefined>; body?: unknown; retry?: boolean; context: ErrorContext },
) => Promise<JsonValue | undefined>;

const BASE = "/api/v1/queues/me/notify";
/** The context errors are mapped in: a queue-level operation, so a 401 is an AuthError; 404s are mapped below. */
const CONTEXT: ErrorContext = { operation: "getQueue" };

export class HttpNotifyRules implements NotifyApi {
  constructor(private readonly request: Requester) {}

  /** Runs a request; a 404 is the rule's absence, or (with FastAPI's bare "Not Found") a server without the routes. */
  private async call(method: string, path: string, options: { body?: unknown; query?: Record<string, number | undefined>; retry?: boolean } = {}, ruleId?: string) {
    try {
      return await this.request(method, BASE + path, { ...options, context: CONTEXT });
    } catch (error) {
      if (!(error instanceof LabtaskerError) || error.status !== 404) throw error;
      if (error.message === "Not Found") throw new LabtaskerError(404, "This server has no notification rules (labtasker v1's server has none): use labtasker-redis's server");
      if (ruleId !== undefined) throw new NotifyRuleNotFoundError(ruleId);
      throw error;
    }
  }

  async createNotifyRule(options: CreateNotifyRuleOptions): Promise<CreatedNotifyRule> {
    const body = { on: options.on, url: options.url, format: options.format ?? "json", digest_seconds: options.digestSeconds ?? null };
    return createdNotifyRuleFromWire((await this.call("POST", "/rules", { body })) as JsonObject);
  }

  async lsNotifyRules(): Promise<NotifyRule[]> {
    const reply = (await this.call("GET", "/rules", { retry: true })) as JsonObject;
    return ((reply.rules ?? []) as JsonObject[]).map(notifyRuleFromWire);
  }

  async deleteNotifyRule(ruleId: string): Promise<void> {
    await this.call("DELETE", `/rules/${encodeURIComponent(ruleId)}`, {}, ruleId);
  }

  async testNotifyRule(ruleId: string): Promise<string> {
    const reply = (await this.call("POST", `/rules/${encodeURIComponent(ruleId)}/test`, {}, ruleId)) as JsonObject;
    return String(reply.delivery_id);
  }

  async lsNotifyDeliveries(options: { limit?: number } = {}): Promise<NotifyDelivery[]> {
    const reply = (await this.call("GET", "/deliveries", { query: { limit: options.limit }, retry: true })) as JsonObject;
    return ((reply.deliveries ?? []) as JsonObject[]).map(notifyDeliveryFromWire);
  }
}
