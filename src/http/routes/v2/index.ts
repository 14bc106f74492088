/**
 * labtasker v2's HTTP protocol (2.8.0) under /api/v2: a thin translation onto the broker's v2 view
 * ({@link LabtaskerV2}). In order, as v2's server does it: the `Labtasker-Server-Version` header for authenticated
 * callers, the 1 MiB body limit, the bearer token, then each route (./queues.ts, ./tasks.ts, ./runs.ts,
 * ./workers.ts); errors leave in v2's envelope.
 */
import type { ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { LabtaskerV2 } from "../../../core/v2/api.js";
import { V2Error } from "../../../core/v2/errors.js";
import { isRedisUnavailable } from "../../../core/transient.js";
import { errorToV2Wire } from "../../../wire/v2/index.js";
import { unauthorized, v2Authenticated, type V2AuthOptions } from "../../bearer.js";
import { parseV2Body } from "./body.js";
import { readV2Body } from "./bodyReader.js";
import { MAX_BODY_BYTES, requestTooLarge } from "./limits.js";
import { v2QueueRoutes } from "./queues.js";
import { writeJson } from "./respond.js";
import { v2RunRoutes } from "./runs.js";
import { v2TaskRoutes } from "./tasks.js";
import { v2WorkerRoutes } from "./workers.js";

/** The labtasker version whose protocol these routes speak, sent in `Labtasker-Server-Version`. */
export const V2_PROTOCOL_VERSION = "2.8.0";

export interface V2RouterOptions {
  v2: LabtaskerV2;
  auth: V2AuthOptions;
  /** Where unexpected errors are reported. */
  logError: (error: unknown, req: LoggedRequest) => void;
}

/** What an unexpected error's log line names of its request (an Express request, or ./hot.ts's method and path). */
export type LoggedRequest = Pick<Request, "method" | "path">;

/**
 * v2's answer to an error: its envelope for the known ones, 503 `database_busy` while Redis is away, else 500. Written
 * on Node's response with the headers Express's `send` would write (an error is never fresh, and Node leaves a HEAD's
 * body out itself), so that the Express routes and the hot ones (./hot.ts) answer alike.
 */
export function sendV2Error(error: unknown, req: LoggedRequest, res: ServerResponse, logError: V2RouterOptions["logError"]): void {
  if (res.headersSent) return;
  if ((error as { type?: string }).type === "entity.too.large") error = requestTooLarge();
  if (error instanceof V2Error) {
    if (error.status === 401) res.setHeader("WWW-Authenticate", "Bearer");
    writeJson(res, error.status, errorToV2Wire(error));
    return;
  }
  if (isRedisUnavailable(error)) {
    // v2's clients retry `database_busy` (its server's answer while SQLite is locked): the same holds while Redis is
    // restarting or unreachable.
    res.setHeader("Retry-After", "1");
    writeJson(res, 503, errorToV2Wire(new V2Error("database_busy", "The database is busy; retry the operation.", {})));
    return;
  }
  const status = (error as { status?: number }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    // A body the parser refused otherwise (an aborted upload, an unsupported encoding): v2's "malformed body".
    writeJson(res, 422, errorToV2Wire(new V2Error("invalid_request", "Request validation failed.", { errors: [{ location: ["body"], message: "Malformed JSON body." }] })));
    return;
  }
  logError(error, req);
  const text = "Internal Server Error";
  res.statusCode = 500;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

/** The version header, on every /api/ answer to a caller v2 would authenticate (v2's rule). */
export function serverVersionHeader(auth: V2AuthOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path.startsWith("/api/") && v2Authenticated(auth, req.headers.authorization)) res.set("Labtasker-Server-Version", V2_PROTOCOL_VERSION);
    next();
  };
}

/** The router to mount at /api/v2 (after the app's 404/405 table). */
export function v2Routes(options: V2RouterOptions): Router {
  const router = express.Router();
  router.use(readV2Body(MAX_BODY_BYTES));
  router.use((req, _res, next) => {
    if (!v2Authenticated(options.auth, req.headers.authorization)) throw unauthorized(options.auth);
    req.body = Buffer.isBuffer(req.body) ? parseV2Body(req.body) : undefined;
    next();
  });
  v2QueueRoutes(router, options.v2);
  v2TaskRoutes(router, options.v2);
  v2RunRoutes(router, options.v2);
  v2WorkerRoutes(router, options.v2);
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => sendV2Error(error, req, res, options.logError));
  return router;
}
