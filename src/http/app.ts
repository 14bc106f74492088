/**
 * The HTTP app: labtasker v1's REST protocol and v2's (/api/v2, src/http/routes/v2) over one broker. A factory with no
 * `listen`, so tests run it in-process; src/http/server.ts serves it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Broker } from "../broker/broker.js";
import { LabtaskerError } from "../core/errors.js";
import { isRedisUnavailable } from "../core/transient.js";
import { basicAuth } from "./auth.js";
import { ROUTES, openApiDocument } from "./openapi.js";
import { sendJson } from "./respond.js";
import { eventRoutes } from "./routes/events.js";
import { healthRoutes } from "./routes/health.js";
import { logRoutes } from "./routes/logs.js";
import { NOTIFY_ROUTES, notifyRoutes } from "./routes/notify.js";
import { AllowList } from "../notify/allowList.js";
import { openQueueRoutes, queueRoutes } from "./routes/queues.js";
import { taskRoutes } from "./routes/tasks.js";
import { workerRoutes } from "./routes/workers.js";
import { serverVersionHeader, v2Routes, type LoggedRequest } from "./routes/v2/index.js";
import { v2HotRoutes } from "./routes/v2/hot.js";
import { V2_ROUTES } from "./routes/v2/table.js";
import { parseBody } from "./validate.js";
import { DASHBOARD_PREFIX, DASHBOARD_ROUTES, DASHBOARD_SERVED_PATHS, createDashboard, type DashboardOptions } from "./dashboard/index.js";
import { MIRRORED_V1_PATH } from "./dashboard/paths.js";
import type { V2AuthOptions } from "./bearer.js";
import type { LabtaskerV2 } from "../core/v2/api.js";

export interface AppOptions {
  broker: Broker;
  /**
   * Largest request body. 16 MB holds a batch submit of about 50,000 small tasks.
   * @defaultValue "16mb"
   */
  bodyLimit?: string;
  /** Seconds between timeout sweeps, for GET /api/v1/polling. @defaultValue 0.5 */
  sweepIntervalSeconds?: number;
  /** Seconds between SSE pings. @defaultValue 15 */
  pingIntervalSeconds?: number;
  /** What the server warns of about its Redis, for /health/full. */
  warnings?: readonly string[];
  /** Where unexpected errors are reported, with the request's method and path. @defaultValue console.error */
  logError?: (error: unknown, req: LoggedRequest) => void;
  /** The version reported in the OpenAPI document. */
  version?: string;
  /** The hosts notification rules may target (`--notify-allow-host`). @defaultValue none */
  notifyAllowList?: AllowList;
  /** The web dashboard at `/` (docs/dashboard.md); `false` serves the API alone. @defaultValue enabled */
  dashboard?: DashboardOptions | false;
  /** v2's operations. @defaultValue the broker's v2 view */
  v2?: LabtaskerV2;
  /** v2's bearer token, or v2 closed (no token on a non-loopback address). @defaultValue open, no token */
  v2Auth?: V2AuthOptions;
}

export interface LabtaskerApp {
  app: express.Express;
  /** Open SSE responses; the server ends them on shutdown. */
  openStreams: Set<Response>;
}

export function createApp(options: AppOptions): LabtaskerApp {
  const { broker } = options;
  const openStreams = new Set<Response>();
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");

  const bodyLimit = options.bodyLimit ?? "16mb";
  const logError = options.logError ?? ((e: unknown) => console.error(e));
  const v2Auth = options.v2Auth ?? {};
  // v2's version header goes on every /api/ answer to a caller v2 authenticates, 404s and 405s included (as v2's).
  app.use(serverVersionHeader(v2Auth));

  const dashboard = options.dashboard === false ? undefined : createDashboard(broker, { ...options.dashboard, bodyLimit, v2Auth, events: { pingIntervalSeconds: options.pingIntervalSeconds, openStreams } });
  const dashboardPaths = dashboard === undefined ? [] : [
    ...DASHBOARD_ROUTES,
    ...DASHBOARD_SERVED_PATHS,
    ...ROUTES.filter((route) => MIRRORED_V1_PATH.test(route.path)).map((route) => ({ ...route, path: DASHBOARD_PREFIX + route.path })),
  ];
  // A known path with another method is 405 and an unknown path 404, before authentication, as FastAPI routes (both
  // protocols: v2's server answers the same `{"detail": ...}` bodies there, not its envelope).
  const served = [...ROUTES, ...NOTIFY_ROUTES, ...V2_ROUTES, ...dashboardPaths, { method: "get", path: "/openapi.json" }, { method: "get", path: "/docs" }];
  const routes = served.map((route) => ({ method: route.method.toUpperCase(), source: route.path.replace(/\{\w+\}/g, "[^/]+") }))
    .map((route) => ({ ...route, pattern: new RegExp(`^${route.source}$`) }));
  // Every request passes here: one expression per method says "served" at once, where testing the ~90 routes one
  // by one took 3 to 4% of a v2 request's CPU. Only a 404 or a 405 goes on to the table.
  const servedBy = new Map([...new Set(routes.map((route) => route.method))].map((method) => [
    method,
    new RegExp(`^(?:${routes.filter((route) => route.method === method).map((route) => route.source).join("|")})$`),
  ]));
  app.use((req, res, next) => {
    const method = req.method === "HEAD" ? "GET" : req.method;
    if (servedBy.get(method)?.test(req.path)) {
      next();
      return;
    }
    const matching = routes.filter((route) => route.pattern.test(req.path));
    if (matching.length === 0) sendJson(res, 404, { detail: "Not Found" });
    else if (!matching.some((route) => route.method === method)) {
      res.set("Allow", [...new Set(matching.map((route) => route.method))].join(", "));
      sendJson(res, 405, { detail: "Method Not Allowed" });
    }
    else next();
  });

  const v2Options = { v2: options.v2 ?? broker.v2, auth: v2Auth, logError };
  app.use("/api/v2", v2Routes(v2Options));
  app.use(logRoutes(broker, bodyLimit)); // before the body parser: it parses its own (./routes/logs.ts)
  if (dashboard !== undefined) app.use(DASHBOARD_PREFIX, dashboard.beforeBodyParser);
  app.use(express.raw({ type: () => true, limit: bodyLimit }));
  app.use((req, _res, next) => {
    req.body = Buffer.isBuffer(req.body) ? parseBody(req.body) : undefined;
    next();
  });

  const open: Router = express.Router();
  if (dashboard !== undefined) {
    open.get("/", dashboard.page);
    app.use(DASHBOARD_PREFIX, dashboard.router);
  }
  healthRoutes(open, broker, { sweepIntervalSeconds: options.sweepIntervalSeconds ?? 0.5, warnings: options.warnings });
  openQueueRoutes(open, broker);
  const document = openApiDocument(options.version ?? "0.0.0");
  open.get("/openapi.json", (_req, res) => sendJson(res, 200, document));
  open.get("/docs", (_req, res) => {
    res.type("text/html").send('<!doctype html><title>labtasker-redis API</title><p>The API is described in <a href="/openapi.json">/openapi.json</a>.</p>');
  });
  app.use(open);

  const authenticated: Router = express.Router();
  authenticated.use("/api/v1/queues/me", basicAuth(broker));
  queueRoutes(authenticated, broker);
  taskRoutes(authenticated, broker);
  workerRoutes(authenticated, broker);
  eventRoutes(authenticated, broker, { pingIntervalSeconds: options.pingIntervalSeconds, openStreams });
  notifyRoutes(authenticated, broker, options.notifyAllowList ?? new AllowList());
  app.use(authenticated);


  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (error instanceof LabtaskerError) {
      // Not for the dashboard's routes: a browser answers a Basic challenge with its own password prompt.
      if (error.status === 401 && !req.originalUrl.startsWith(`${DASHBOARD_PREFIX}/`)) res.set("WWW-Authenticate", "Basic");
      sendJson(res, error.status, { detail: error.detail });
      return;
    }
    const status = (error as { status?: number; type?: string }).status;
    if ((error as { type?: string }).type === "entity.too.large") {
      sendJson(res, 413, { detail: `Request body is larger than the limit of ${bodyLimit}` });
      return;
    }
    if (typeof status === "number" && status >= 400 && status < 500) {
      sendJson(res, status, { detail: (error as Error).message });
      return;
    }
    if (isRedisUnavailable(error)) {
      // Redis is restarting or unreachable (the server already says so once in its log): the request may be sent
      // again, which clients do for the requests that are safe to repeat.
      res.set("Retry-After", "1");
      sendJson(res, 503, { detail: `Service unavailable: Redis cannot be reached (${(error as Error).message})` });
      return;
    }
    logError(error, req);
    sendJson(res, 500, { detail: `Operation failed: ${(error as Error).message}` });
  });

  // A v2 worker's per-task requests are answered before Express sees them (./routes/v2/hot.ts says which and why).
  // Express's `app(req, res)` calls `app.handle`, so the hot routes go in there, whether the app is served by
  // `labtasker-server serve`, by `app.listen` or mounted in another server.
  const hot = v2HotRoutes(v2Options);
  const expressApp = app as unknown as { handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction): void };
  const handle = expressApp.handle.bind(app);
  expressApp.handle = (req, res, next) => {
    if (!hot(req, res)) handle(req, res, next);
  };

  return { app, openStreams };
}
