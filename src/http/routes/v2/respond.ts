import type { Request, Response } from "express";
import { sendJson } from "../../respond.js";

/** A v2 success with a JSON body (numbers in their original form). */
export function sendV2(res: Response, status: number, body: unknown): void {
  sendJson(res, status, body);
}

/** A v2 success without a body (204): v2's clients refuse any content there. */
export function sendEmpty(res: Response): void {
  if (!res.headersSent) res.status(204).end();
}

/** A path parameter (Express has decoded it). */
export function param(req: Request, name: string): string {
  return String(req.params[name]);
}
