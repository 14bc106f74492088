/**
 * Task logs over HTTP (an extension, docs/wire-v1.md#15-task-logs-an-extension): the loop appends each run's output
 * as it is written (the chunks of all its runs in one request where the batch route exists: src/wire/v1/logBatch.ts),
 * `labtasker task logs` and the dashboard read it. An append's bytes travel as they are, in an
 * `application/octet-stream` body with the chunk's place in the query (`attempt`, `run`, `offset`, `ended`): a 1 MiB
 * chunk then costs neither side an encoding, where base64 in JSON cost the writer and the server about 4 ms of CPU
 * per MiB, taken from the job's own run on a busy machine (docs/benchmarks.md). The first form, a JSON body with the
 * bytes in base64, is still accepted. Reads answer JSON with the bytes in base64, which shares the client's JSON path
 * (authentication, retries, error details) and is what a browser's dashboard reads most easily. Following a running
 * task is long polling (`wait`): a read returns as soon as there is output past `offset` or the run ended, else after
 * `wait` ms; SSE would need the same encoding as text and a stream to resume.
 *
 * These routes come before the app's body parser, with their own: the exact-number parser the other routes need
 * (v1's documents keep their numbers as written) takes about 20 ms per 256 KiB of base64, so a JSON append is read
 * with plain `JSON.parse` (a base64 string and small integers), and a raw one is not parsed at all.
 */
import express, { type Request, type RequestHandler, type Router } from "express";
import type { Broker } from "../../broker/broker.js";
import type { TaskLogAppend } from "../../core/api.js";
import { BadRequestError, LabtaskerError, ValidationError } from "../../core/errors.js";
import { decodeLogBatch } from "../../wire/v1/logBatch.js";
import { basicAuth, queueIdOf } from "../auth.js";
import { sendJson } from "../respond.js";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** The content type of an append whose body is the bytes themselves. */
export const RAW_TYPE = "application/octet-stream";

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

/** Whether the body is the bytes themselves (by its content type: `req.is` says no for an empty body, an end mark's). */
function isRaw(req: Request): boolean {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() === RAW_TYPE;
}

/** The append with its bytes as the body and its place in the query: no decoding, no copy. */
function rawAppend(req: Request): TaskLogAppend {
  const ended = req.query.ended;
  if (ended !== undefined && ended !== "true" && ended !== "false") throw new BadRequestError(`Query parameter ended must be true or false (got ${JSON.stringify(ended)})`);
  const run = req.query.run;
  return {
    attempt: queryCount(req, "attempt", 0)!,
    run: typeof run === "string" ? run : "",
    offset: queryCount(req, "offset", 0)!,
    data: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    ended: ended === "true",
  };
}

/** The first form of an append: a JSON object with the bytes in base64 (`data`). */
function jsonAppend(req: Request): TaskLogAppend {
  const body = jsonBody(req) as Record<string, unknown> | undefined;
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new BadRequestError(`The body must be a JSON object, or the bytes themselves as ${RAW_TYPE}`);
  const { attempt, run, offset, data, ended } = body;
  if (typeof data !== "string" || data.length % 4 !== 0 || !BASE64.test(data)) throw new BadRequestError("data must be base64 text");
  if (ended !== undefined && typeof ended !== "boolean") throw new BadRequestError("ended must be true or false");
  return { attempt: attempt as number, run: run as string, offset: offset as number, data: Buffer.from(data, "base64"), ended: ended === true };
}

/** A refused chunk's status and detail, as a single append's error response would carry them. */
function statusOf(error: Error): number {
  return error instanceof LabtaskerError ? error.status : 500;
}

function detailOf(error: Error): unknown {
  return error instanceof LabtaskerError ? error.detail : error.message;
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
    const chunk = isRaw(req) ? rawAppend(req) : jsonAppend(req);
    const number = await broker.logs.append(queueIdOf(res), req.params.task_id!, chunk);
    sendJson(res, 200, { attempt: number });
  });

  // Several runs' chunks in one request (a loop's batch: one request per tick instead of one per run). Each chunk is
  // kept or refused as a single append would be; the answer says which, in order.
  const batchPath = "/api/v1/queues/me/logs";
  router.post(batchPath, authenticate, express.raw({ type: () => true, limit: bodyLimit }), async (req, res) => {
    const entries = decodeLogBatch(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    const results = await broker.logs.appendMany(queueIdOf(res), entries);
    sendJson(res, 200, {
      results: results.map((result) => ("attempt" in result ? { attempt: result.attempt } : { status: statusOf(result.error), detail: detailOf(result.error) })),
    });
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
