/**
 * The web dashboard's server side: the page at `/` (for a browser: a request that prefers HTML), its bundled assets
 * under `/dashboard/assets/`, sign-in and the session under `/dashboard/api/session`, the dashboard's own routes under
 * `/dashboard/api/` (./routes.ts), and labtasker v1's task, worker, event and log routes again under
 * `/dashboard/api/v1/queues/me/...`: the same handlers, authenticated by the session cookie and a CSRF token instead
 * of Basic auth (./session.ts). The browser code is in src/dashboard/; docs/dashboard.md describes the routes.
 */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Broker } from "../../broker/broker.js";
import { AuthError, BadRequestError } from "../../core/errors.js";
import { isJsonObject } from "../../json.js";
import { sendJson } from "../respond.js";
import { eventRoutes, type EventRouteOptions } from "../routes/events.js";
import { logRoutes } from "../routes/logs.js";
import { taskRoutes } from "../routes/tasks.js";
import { workerRoutes } from "../routes/workers.js";
import type { V2AuthOptions } from "../bearer.js";
import { validateBody } from "../validate.js";
import { DashboardAssets, defaultAssetsDir } from "./assets.js";
import { dashboardRoutes } from "./routes.js";
import { SignInRequest } from "./schemas.js";
import { SESSION_COOKIE, SessionKeeper, assertSameOrigin, cookieOf, sessionAuth, sessionCookieHeader, v1Credentials, v2Token, type Session, type SignInMethod } from "./session.js";
import { ThroughputCounter } from "./throughput.js";

export { DASHBOARD_ROUTES, DASHBOARD_SERVED_PATHS } from "./paths.js";

/** Where the dashboard's routes live; the session cookie's Path. */
export const DASHBOARD_PREFIX = "/dashboard";

export interface DashboardOptions {
  /** The built page and assets. @defaultValue dist/dashboard of this package */
  assetsDir?: string;
  /** Seconds a session lasts from sign-in. @defaultValue 28800 (8 hours) */
  sessionSeconds?: number;
  /** How a user may sign in, tried in order. @defaultValue [v1's queue name and password, v2's token] */
  signIn?: readonly SignInMethod[];
  /**
   * Milliseconds the page's event stream holds an event to write it with those that follow. The page shows events
   * at most once a second: a quarter of a second's wait costs it nothing, and turns a busy queue's hundreds of writes
   * a second (each a chunk the browser handles) into four. @defaultValue 250
   */
  eventsCoalesceMs?: number;
}

export interface Dashboard {
  /** GET /: the page when the request prefers HTML, else `next()` (the API's welcome document). */
  page: (req: Request, res: Response, next: NextFunction) => void;
  /** Routes that parse their own bodies (the task log mirror); mounted at {@link DASHBOARD_PREFIX} before the body parser. */
  beforeBodyParser: Router;
  /** Everything else; mounted at {@link DASHBOARD_PREFIX} after the body parser. */
  router: Router;
}

function sessionDocument(session: Session) {
  return { queue_id: session.queueId, queue_name: session.queueName, csrf_token: session.csrfToken, expires_at: new Date(session.expiresAt).toISOString() };
}

export function createDashboard(broker: Broker, options: DashboardOptions & { bodyLimit: string; events: EventRouteOptions; v2Auth?: V2AuthOptions }): Dashboard {
  const assets = new DashboardAssets(options.assetsDir ?? defaultAssetsDir());
  const keeper = new SessionKeeper(broker, options.sessionSeconds);
  const signIn = options.signIn ?? [v1Credentials, v2Token(options.v2Auth ?? {})];
  const authenticate = sessionAuth(keeper);

  const page = (req: Request, res: Response, next: NextFunction) => {
    if (req.accepts(["application/json", "text/html"]) !== "text/html") return next();
    assets.sendPage(req, res);
  };

  const beforeBodyParser = logRoutes(broker, options.bodyLimit, authenticate);

  const router = express.Router();
  router.get("/assets/:name", (req, res) => assets.sendAsset(req, res));

  router.post("/api/session", async (req, res) => {
    assertSameOrigin(req);
    // A JSON body only: an HTML form on another site cannot send one without a CORS preflight, which nothing here answers.
    if (!req.is("application/json")) throw new BadRequestError("Sign in with a JSON body (Content-Type: application/json)");
    const body = validateBody(SignInRequest, req.body);
    let subject;
    for (const method of signIn) {
      subject = await method(isJsonObject(body) ? (body as Record<string, unknown>) : {}, broker);
      if (subject !== undefined) break;
    }
    if (subject === undefined) throw new AuthError("Invalid credentials");
    const { session, cookie } = await keeper.open(subject);
    res.set("Set-Cookie", sessionCookieHeader(req, cookie, keeper.lifetimeSeconds));
    res.set("Cache-Control", "no-store");
    sendJson(res, 200, sessionDocument(session));
  });

  router.get("/api/session", async (_req, res, next) => {
    // Reading the session is how the page learns it is signed in, so "not signed in" is a plain 401 (never Basic's).
    const session = await keeper.read(cookieOf(_req, SESSION_COOKIE));
    if (session === undefined) return next(new AuthError("Not authenticated"));
    res.set("Cache-Control", "no-store");
    sendJson(res, 200, sessionDocument(session));
  });

  router.delete("/api/session", authenticate, (req, res) => {
    res.set("Set-Cookie", sessionCookieHeader(req, "", 0));
    res.status(204).end();
  });

  // Everything below needs a session (and, to change anything, its CSRF token).
  router.use("/api", authenticate);
  dashboardRoutes(router, broker, new ThroughputCounter(broker));
  taskRoutes(router, broker);
  workerRoutes(router, broker);
  eventRoutes(router, broker, { ...options.events, coalesceMs: options.eventsCoalesceMs ?? 250 });

  return { page, beforeBodyParser, router };
}
