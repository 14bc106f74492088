/**
 * The requests a v2 worker sends for every task (create by id, claim, then its run's heartbeats, progress and final
 * report), answered straight from Node's request, ahead of Express. Express's part of such a request (its prototypes
 * set on the request and response, the app's middleware, the mount, the router's walk over the v2 routes and their
 * parameters) was 10 to 13% of the server's CPU per request, on the path of every task.
 *
 * The work stays with the routes: each hot route runs the same operation as its Express route (./tasks.ts,
 * ./runs.ts), reads its body with the same reader (./bodyReader.ts) and answers through the same writers
 * (./respond.ts, sendV2Error), so status, headers, bodies, auth and limits are the same either way. Only the plain
 * case is taken here: the exact lower-case path with no query, no percent-encoding and no empty segment, a caller
 * v2 authenticates, and a plain body or none. Anything else (a 401, a chunked or compressed or too large body, a path
 * Express would decode or match case-insensitively) goes to Express untouched, which answers it as it always has.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue } from "../../../json.js";
import { v2Authenticated } from "../../bearer.js";
import { parseV2Body } from "./body.js";
import { hasNoBody, isPlainBody, readPlainBody } from "./bodyReader.js";
import { sendV2Error, V2_PROTOCOL_VERSION, type V2RouterOptions } from "./index.js";
import { MAX_BODY_BYTES } from "./limits.js";
import { writeAnswer, type V2Operation, type V2PathParams } from "./respond.js";
import { claimTask, RUN_REPORTS } from "./runs.js";
import { createTaskById } from "./tasks.js";

const MOUNT = "/api/v2";
const PREFIX = `${MOUNT}/queues/`;

interface HotRequest {
  operation: V2Operation;
  params: V2PathParams;
}

/** The hot route of a method and URL, with its path parameters; null for every other request. */
export function hotRoute(method: string | undefined, url: string | undefined): HotRequest | null {
  if ((method !== "PUT" && method !== "POST") || url === undefined || !url.startsWith(PREFIX)) return null;
  // A query, a fragment or an escape: Express parses, cuts or decodes those; the hot path never has to.
  if (url.includes("?") || url.includes("#") || url.includes("%")) return null;
  // queue, "tasks", then the task id or "claim", then the report
  const segments = url.slice(PREFIX.length).split("/");
  if (segments.length < 3 || segments.length > 4 || segments[1] !== "tasks" || segments.includes("")) return null;
  const [queue, , third, report] = segments;
  if (report === undefined) {
    if (method === "PUT") return { operation: createTaskById, params: { queue, taskId: third } };
    return third === "claim" ? { operation: claimTask, params: { queue } } : null;
  }
  const operation = method === "POST" && Object.hasOwn(RUN_REPORTS, report) ? RUN_REPORTS[report] : undefined;
  return operation === undefined ? null : { operation, params: { queue, taskId: third } };
}

/**
 * The hot routes' handler: answers a hot request and returns true, or returns false, having touched nothing, for the
 * app to handle.
 */
export function v2HotRoutes(options: V2RouterOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { v2, auth, logError } = options;
  // The path as the v2 router's requests log it: below its mount point, /api/v2.
  const fail = (error: unknown, req: IncomingMessage, res: ServerResponse) => sendV2Error(error, { method: req.method!, path: req.url!.slice(MOUNT.length) }, res, logError);
  const run = (hot: HotRequest, raw: Buffer | undefined, req: IncomingMessage, res: ServerResponse): void => {
    let body: JsonValue | undefined;
    try {
      body = raw === undefined ? undefined : parseV2Body(raw);
    } catch (error) {
      fail(error, req, res);
      return;
    }
    // A throw while writing the answer gets the error handler's 500 too, as under Express.
    hot.operation(v2, hot.params, body)
      .then((answer) => writeAnswer(res, answer))
      .catch((error: unknown) => fail(error, req, res));
  };
  return (req, res) => {
    const hot = hotRoute(req.method, req.url);
    if (hot === null || !v2Authenticated(auth, req.headers.authorization)) return false;
    const noBody = hasNoBody(req);
    if (!noBody && !isPlainBody(req, MAX_BODY_BYTES)) return false;
    // As the app's first middleware sets it on every answer to a caller v2 authenticates.
    res.setHeader("Labtasker-Server-Version", V2_PROTOCOL_VERSION);
    if (noBody) {
      run(hot, undefined, req, res);
      return true;
    }
    readPlainBody(req, (error, raw) => {
      if (error) fail(error, req, res);
      else run(hot, raw, req, res);
    });
    return true;
  };
}
