import type { Response } from "express";
import { stringifyJson } from "../json.js";

/** Sends a JSON body, writing numbers in their original form (see src/json.ts). */
export function sendJson(res: Response, status: number, body: unknown): void {
  // A stopping server may have answered already (a 503 to a request still waiting on Redis): the late answer is dropped.
  if (res.headersSent) return;
  res.status(status).type("application/json").send(stringifyJson(body));
}
