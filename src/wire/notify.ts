/**
 * The documents of the notification routes (an extension under /api/v1/queues/me/notify, see docs/wire-v1.md): rules
 * and delivery attempts, with snake_case names and v1's naive ISO datetimes like the other documents of the API.
 */
import type { JsonObject } from "../json.js";
import type { CreatedNotifyRule, DeliveryOutcome, NotifyDelivery, NotifyFormat, NotifyRule } from "../core/notify.js";
import { formatWireDate, parseWireDate } from "./v1/datetime.js";

export function notifyRuleToWire(rule: NotifyRule | CreatedNotifyRule): JsonObject {
  return {
    rule_id: rule.ruleId,
    queue_id: rule.queueId,
    on: rule.on,
    url: rule.url,
    format: rule.format,
    digest_seconds: rule.digestSeconds,
    created_at: formatWireDate(rule.createdAt),
    ...("secret" in rule ? { secret: rule.secret } : {}),
  };
}

export function notifyRuleFromWire(wire: JsonObject): NotifyRule {
  return {
    ruleId: String(wire.rule_id),
    queueId: String(wire.queue_id),
    on: String(wire.on),
    url: String(wire.url),
    format: String(wire.format) as NotifyFormat,
    digestSeconds: wire.digest_seconds === null || wire.digest_seconds === undefined ? null : Number(wire.digest_seconds),
    createdAt: parseWireDate(wire.created_at) ?? new Date(0),
  };
}

export function createdNotifyRuleFromWire(wire: JsonObject): CreatedNotifyRule {
  return { ...notifyRuleFromWire(wire), secret: String(wire.secret) };
}

export function notifyDeliveryToWire(delivery: NotifyDelivery): JsonObject {
  return {
    delivery_id: delivery.deliveryId,
    rule_id: delivery.ruleId,
    kind: delivery.kind,
    outcome: delivery.outcome,
    attempt: delivery.attempt,
    http_status: delivery.httpStatus,
    detail: delivery.detail,
    time: formatWireDate(delivery.time),
  };
}

export function notifyDeliveryFromWire(wire: JsonObject): NotifyDelivery {
  return {
    deliveryId: String(wire.delivery_id),
    ruleId: String(wire.rule_id),
    kind: String(wire.kind),
    outcome: String(wire.outcome) as DeliveryOutcome,
    attempt: Number(wire.attempt),
    httpStatus: wire.http_status === null || wire.http_status === undefined ? null : Number(wire.http_status),
    detail: wire.detail === null || wire.detail === undefined ? null : String(wire.detail),
    time: parseWireDate(wire.time) ?? new Date(0),
  };
}
