/**
 * /api/v1/queues/me/notify/...: the authenticated queue's notification rules and delivery log (an extension; see
 * docs/wire-v1.md and docs/notifications.md). Rules are checked against the server's `--notify-allow-host` list.
 */
import { Type } from "@sinclair/typebox";
import type { Router } from "express";
import type { Broker } from "../../broker/broker.js";
import { NOTIFY_FORMATS } from "../../core/notify.js";
import type { AllowList } from "../../notify/allowList.js";
import { notifyDeliveryToWire, notifyRuleToWire } from "../../wire/notify.js";
import { queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";
import { validateBody } from "../validate.js";
import { ValidationError } from "../../core/errors.js";

const NotifyRuleCreateRequest = Type.Object({
  on: Type.String({ minLength: 1 }),
  url: Type.String({ minLength: 1 }),
  format: Type.Optional(Type.Union(NOTIFY_FORMATS.map((format) => Type.Literal(format)))),
  digest_seconds: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});

const ruleId = "{rule_id}";

const NotifyRule = Type.Object({
  rule_id: Type.String(),
  queue_id: Type.String(),
  on: Type.String(),
  url: Type.String(),
  format: Type.String(),
  digest_seconds: Type.Union([Type.Number(), Type.Null()]),
  created_at: Type.String(),
});
const NotifyDelivery = Type.Object({
  delivery_id: Type.String(),
  rule_id: Type.String(),
  kind: Type.String(),
  outcome: Type.String(),
  attempt: Type.Integer(),
  http_status: Type.Union([Type.Integer(), Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
  time: Type.String(),
});

/**
 * The routes, described as src/http/openapi.ts describes the others (the app's 404/405 check reads their method
 * and path).
 */
export const NOTIFY_ROUTES = [
  { method: "post", path: "/api/v1/queues/me/notify/rules", summary: "Add a notification rule; its secret is in this answer only (extension)", auth: true, body: NotifyRuleCreateRequest, status: 201, response: Type.Composite([NotifyRule, Type.Object({ secret: Type.String() })]) },
  { method: "get", path: "/api/v1/queues/me/notify/rules", summary: "List the notification rules (extension)", auth: true, status: 200, response: Type.Object({ rules: Type.Array(NotifyRule) }) },
  { method: "delete", path: `/api/v1/queues/me/notify/rules/${ruleId}`, summary: "Remove a notification rule (extension)", auth: true, status: 204 },
  { method: "post", path: `/api/v1/queues/me/notify/rules/${ruleId}/test`, summary: "Queue a test message to the rule's target (extension)", auth: true, status: 202, response: Type.Object({ delivery_id: Type.String() }) },
  {
    method: "get",
    path: "/api/v1/queues/me/notify/deliveries",
    summary: "The last delivery attempts, newest first (extension)",
    auth: true,
    status: 200,
    response: Type.Object({ deliveries: Type.Array(NotifyDelivery) }),
    query: { limit: { schema: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), description: "attempts to list" } },
  },
] as const;

/** A `limit` query parameter, 1..1000 (default 100). */
function limitOf(value: unknown): number | undefined {
  if (value === undefined || value === "") return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit)) {
    throw new ValidationError([{ type: "int_parsing", loc: ["query", "limit"], msg: "Input should be a valid integer, unable to parse string as an integer", input: value }]);
  }
  return limit;
}

/** Registers the routes. `allowList` is the server's: empty by default, when every URL is refused (the error says so). */
export function notifyRoutes(router: Router, broker: Broker, allowList: AllowList): void {
  router.post("/api/v1/queues/me/notify/rules", async (req, res) => {
    const body = validateBody(NotifyRuleCreateRequest, req.body);
    const created = await broker.notifications.create(
      queueIdOf(res),
      { on: body.on, url: body.url, format: body.format, digestSeconds: body.digest_seconds === undefined || body.digest_seconds === null ? null : Number(body.digest_seconds) },
      allowList,
    );
    sendJson(res, 201, notifyRuleToWire(created));
  });

  router.get("/api/v1/queues/me/notify/rules", async (_req, res) => {
    const rules = await broker.notifications.list(queueIdOf(res));
    sendJson(res, 200, { rules: rules.map(notifyRuleToWire) });
  });

  router.delete("/api/v1/queues/me/notify/rules/:rule_id", async (req, res) => {
    await broker.notifications.delete(queueIdOf(res), String(req.params.rule_id));
    res.status(204).end();
  });

  router.post("/api/v1/queues/me/notify/rules/:rule_id/test", async (req, res) => {
    const deliveryId = await broker.notifications.test(queueIdOf(res), String(req.params.rule_id));
    sendJson(res, 202, { delivery_id: deliveryId });
  });

  router.get("/api/v1/queues/me/notify/deliveries", async (req, res) => {
    const deliveries = await broker.notifications.deliveries(queueIdOf(res), limitOf(req.query.limit));
    sendJson(res, 200, { deliveries: deliveries.map(notifyDeliveryToWire) });
  });
}
