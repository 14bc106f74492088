import type { Router } from "express";
import type { Broker } from "../../broker/broker.js";
import { sendJson } from "../respond.js";
import { EXTENSIONS } from "../schemas.js";

export interface HealthRouteOptions {
  /** Seconds between timeout sweeps, reported by GET /api/v1/polling. */
  sweepIntervalSeconds: number;
}

export function healthRoutes(router: Router, broker: Broker, options: HealthRouteOptions): void {
  router.get("/", (_req, res) => {
    sendJson(res, 200, { message: "Welcome to Labtasker!", versions: ["v1"], docs: "/docs", extensions: EXTENSIONS });
  });

  router.get("/health", (_req, res) => {
    sendJson(res, 200, { connection: "ok" });
  });

  router.get("/health/full", async (_req, res) => {
    sendJson(res, 200, await broker.health());
  });

  router.get("/api/v1/polling", async (_req, res) => {
    const interval = options.sweepIntervalSeconds;
    const previous = ((await broker.lastSweep()) ?? Date.now()) / 1000;
    sendJson(res, 200, { prev_polling: previous, next_eta: previous + interval - Date.now() / 1000, polling_interval: interval });
  });
}
