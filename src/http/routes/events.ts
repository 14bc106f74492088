/**
 * GET /api/v1/queues/me/events: Server-Sent Events as labtasker v1 sends them (sse-starlette's framing: CRLF line
 * ends, `event:` then `data:` then `retry:`). First a `connection` message with the client id, then an `event`
 * message per state transition and a `ping` every 15 s. Events come from the queue's Redis stream, so any replica
 * serves every event; each carries `id: <sequence>`, and a client reconnecting with `Last-Event-ID` gets what it
 * missed first (an extension: v1 has no replay).
 */
import { randomUUID } from "node:crypto";
import type { Request, Response, Router } from "express";
import type { Broker } from "../../broker/broker.js";
import { stringifyJson } from "../../json.js";
import { queueIdOf } from "../auth.js";
import { eventToWire } from "../../wire/v1/index.js";

const CRLF = "\r\n";

export interface EventRouteOptions {
  /** Seconds between `ping` messages (v1's SSE_PING_INTERVAL). @defaultValue 15 */
  pingIntervalSeconds?: number;
  /** Every open stream, so a shutting-down server can end them. */
  openStreams: Set<Response>;
  /**
   * Milliseconds an event may wait to be written with the ones after it, in one write (the dashboard's page takes
   * a queue's hundreds of events a second as a few chunks a second). @defaultValue 0: at once, one write per burst
   */
  coalesceMs?: number;
}

function frame(fields: { id?: number; event: string; data?: string; retry?: number }): string {
  let text = "";
  if (fields.id !== undefined) text += `id: ${fields.id}${CRLF}`;
  text += `event: ${fields.event}${CRLF}`;
  if (fields.data !== undefined) text += `data: ${fields.data}${CRLF}`;
  if (fields.retry !== undefined) text += `retry: ${fields.retry}${CRLF}`;
  return text + CRLF;
}

function lastEventId(req: Request): number | undefined {
  const header = req.headers["last-event-id"];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

export function eventRoutes(router: Router, broker: Broker, options: EventRouteOptions): void {
  const coalesceMs = options.coalesceMs ?? 0;
  router.get("/api/v1/queues/me/events", async (req, res) => {
    const controller = new AbortController();
    res.status(200).set({
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    options.openStreams.add(res);
    const close = () => controller.abort();
    req.on("close", close);
    res.on("close", close);

    const clientId = randomUUID();
    res.write(frame({ event: "connection", data: JSON.stringify({ status: "connected", client_id: clientId }), retry: 3000 }));
    const ping = setInterval(() => res.write(frame({ event: "ping" })), (options.pingIntervalSeconds ?? 15) * 1000);
    try {
      for await (const event of broker.events.subscribe(queueIdOf(res), { afterSequence: lastEventId(req), signal: controller.signal })) {
        // A stream read brings events in bursts: one write (one chunk to the client) per burst, not one per event.
        if (!res.writableCorked) {
          res.cork();
          if (coalesceMs > 0) setTimeout(() => res.uncork(), coalesceMs);
          else process.nextTick(() => res.uncork());
        }
        res.write(frame({ id: event.sequence, event: "event", data: stringifyJson(eventToWire(event)) }));
      }
    } finally {
      clearInterval(ping);
      options.openStreams.delete(res);
      res.end();
    }
  });
}
