/**
 * Task logs over HTTP (an extension, docs/wire-v1.md#task-logs): the loop appends each run's output as it is
 * written, `labtasker task logs` and the dashboard read it. Bytes travel base64-encoded in JSON both ways, so binary
 * output and colour codes arrive as written and the requests share the client's JSON path (authentication, retries,
 * error details). Following a running task is long polling (`wait`): a read returns as soon as there is output past
 * `offset` or the run ended, else after `wait` ms; SSE would need the same encoding as text and a stream to resume.
 *
 * These routes come before the app's body parser, with their own: an append is a large body of one base64 string,
 * which `JSON.parse` reads in under a millisecond, where the exact-number parser the other routes need (v1's
 * documents keep their numbers as written) takes about 20 ms per 256 KiB: with it, a chatty job's log upload doubled
 * the job's run time on a 2-core machine.
 */
import express, { type Request, type RequestHandler, type Router } from "express";
import type { Broker } from "../../broker/broker.js";
import { BadRequestError, ValidationError } from "../../core/errors.js";
import { basicAuth, queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A query parameter as a whole number >= 0, or `fallback` when absent or empty. */
function queryCount(req: Request, name: string, fallback: number | null): number | null {
  const raw = req.query[name];
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "string" && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) throw new BadRequestError(`Query parameter ${name} must be a whole number >= 0 (got ${JSON.stringify(raw)})`);
  return value;
}

/** The body as JSON (plain `JSON.parse`: the fields are small integers, a string and a flag). */
function jsonBody(req: Request): unknown {
  const raw = req.body as unknown;
  if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new ValidationError([{ type: "json_invalid", loc: ["body", 0], msg: "JSON decode error", input: {} }]);
  }
}

/**
 * The log routes, authenticated by `authenticate` (Basic auth, or the dashboard's session), with their own body
 * parser: mounted before the app's.
 */
export function logRoutes(broker: Broker, bodyLimit: string, authenticate: RequestHandler = basicAuth(broker)): Router {
  const router = express.Router();
  const path = "/api/v1/queues/me/tasks/:task_id/logs";
  router.use(path, authenticate);
  router.post(path, express.raw({ type: () => true, limit: bodyLimit }), async (req, res) => {
    const body = jsonBody(req) as Record<string, unknown> | undefined;
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new BadRequestError("The body must be a JSON object");
    const { attempt, run, offset, data, ended } = body;
    if (typeof data !== "string" || data.length % 4 !== 0 || !BASE64.test(data)) throw new BadRequestError("data must be base64 text");
    if (ended !== undefined && typeof ended !== "boolean") throw new BadRequestError("ended must be true or false");
    const number = await broker.logs.append(queueIdOf(res), req.params.task_id!, {
      attempt: attempt as number,
      run: run as string,
      offset: offset as number,
      data: Buffer.from(data, "base64"),
      ended: ended === true,
    });
    sendJson(res, 200, { attempt: number });
  });

  router.get(path, async (req, res) => {
    const attempt = queryCount(req, "attempt", null);
    const chunk = await broker.logs.read(queueIdOf(res), req.params.task_id!, {
      attempt: attempt === 0 ? null : attempt,
      offset: queryCount(req, "offset", 0)!,
      waitMs: queryCount(req, "wait", 0)!,
    });
    sendJson(res, 200, { ...chunk, data: Buffer.from(chunk.data).toString("base64") });
  });
  return router;
}
