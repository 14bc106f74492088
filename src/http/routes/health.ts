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

interface SweepReport {
  last_run: string | null;
  seconds_ago: number | null;
  interval_seconds: number;
  late: boolean;
}

/** When the timeout sweep last ran, by any replica (the time is kept in Redis). */
async function sweepReport(broker: Broker, intervalSeconds: number): Promise<SweepReport> {
  const lastRun = await broker.lastSweep();
  const secondsAgo = lastRun === null ? null : Math.max(0, (Date.now() - lastRun) / 1000);
  return {
    last_run: lastRun === null ? null : new Date(lastRun).toISOString(),
    seconds_ago: secondsAgo,
    interval_seconds: intervalSeconds,
    late: secondsAgo === null || secondsAgo > intervalSeconds * LATE_INTERVALS,
  };
}

function isTrue(value: unknown): boolean {
  return value === "true" || value === "1";
}

export function healthRoutes(router: Router, broker: Broker, options: HealthRouteOptions): void {
  router.get("/", (_req, res) => {
    sendJson(res, 200, { message: "Welcome to Labtasker!", versions: ["v1"], docs: "/docs", extensions: EXTENSIONS });
  });

  // One body for both protocols: v1's `connection` (its client reads /health/full) and v2's three fields, which v2's
  // client and web UI check (`status` "ok", `api_version` "2"), each ignoring the other's keys. v2 answers 503 when
  // its database does not; so does this when Redis does not answer. Open whatever Authorization header is sent.
  router.get("/health", async (_req, res) => {
    const healthy = (await broker.health()).status === "healthy";
    sendJson(res, healthy ? 200 : 503, { connection: "ok", status: healthy ? "ok" : "error", api_version: "2", database: healthy ? "ok" : "error" });
  });

  // v1's answer by default: labtasker 1.0.1's client checks this document for fields it does not know and warns on
  // every command. Operators ask for the sweep and the warnings with `?details=true`, or watch /health/sweep.
  router.get("/health/full", async (req, res) => {
    const health = await broker.health();
    if (!isTrue(req.query.details)) return sendJson(res, 200, health);
    const sweep = health.status === "healthy" ? await sweepReport(broker, options.sweepIntervalSeconds) : null;
    sendJson(res, 200, { ...health, sweep, warnings: options.warnings ?? [] });
  });

  // For a monitor that only reads status codes: 200 while some replica sweeps, 503 when none has for 3 intervals.
  router.get("/health/sweep", async (_req, res) => {
    const sweep = await sweepReport(broker, options.sweepIntervalSeconds).catch(() => null);
    sendJson(res, sweep !== null && !sweep.late ? 200 : 503, sweep ?? { detail: "Service unavailable: Redis cannot be reached" });
  });

  router.get("/api/v1/polling", async (_req, res) => {
    const interval = options.sweepIntervalSeconds;
    const previous = ((await broker.lastSweep()) ?? Date.now()) / 1000;
    sendJson(res, 200, { prev_polling: previous, next_eta: previous + interval - Date.now() / 1000, polling_interval: interval });
  });
}
