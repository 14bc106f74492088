import type { Router } from "express";
import type { Broker } from "../../broker/broker.js";
import { sendJson } from "../respond.js";
import { EXTENSIONS } from "../schemas.js";

export interface HealthRouteOptions {
  /** Seconds between timeout sweeps, reported by GET /api/v1/polling and /health/full. */
  sweepIntervalSeconds: number;
  /** What the server warns of about its Redis, shown by /health/full. */
  warnings?: readonly string[];
}

/** A sweep older than this many intervals means that no replica sweeps. */
const LATE_INTERVALS = 3;

export function healthRoutes(router: Router, broker: Broker, options: HealthRouteOptions): void {
  router.get("/", (_req, res) => {
    sendJson(res, 200, { message: "Welcome to Labtasker!", versions: ["v1"], docs: "/docs", extensions: EXTENSIONS });
  });

  router.get("/health", (_req, res) => {
    sendJson(res, 200, { connection: "ok" });
  });

  router.get("/health/full", async (_req, res) => {
    const health = await broker.health();
    const lastRun = health.status === "healthy" ? await broker.lastSweep().catch(() => null) : null;
    const interval = options.sweepIntervalSeconds;
    const secondsAgo = lastRun === null ? null : Math.max(0, (Date.now() - lastRun) / 1000);
    sendJson(res, 200, {
      ...health,
      sweep: {
        last_run: lastRun === null ? null : new Date(lastRun).toISOString(),
        seconds_ago: secondsAgo,
        interval_seconds: interval,
        late: secondsAgo === null || secondsAgo > interval * LATE_INTERVALS,
      },
      warnings: options.warnings ?? [],
    });
  });

  router.get("/api/v1/polling", async (_req, res) => {
    const interval = options.sweepIntervalSeconds;
    const previous = ((await broker.lastSweep()) ?? Date.now()) / 1000;
    sendJson(res, 200, { prev_polling: previous, next_eta: previous + interval - Date.now() / 1000, polling_interval: interval });
  });
}
