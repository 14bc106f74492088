import type { Response } from "express";
import { stringifyJson } from "../json.js";

/** Sends a JSON body, writing numbers in their original form (see src/json.ts). */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type("application/json").send(stringifyJson(body));
}
