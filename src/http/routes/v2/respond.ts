import type { Request, Response } from "express";
import { stringifyJson } from "../../../json.js";
import { sendJson } from "../../respond.js";

/**
 * A v2 success with a JSON body (numbers in their original form). The answer to a PUT, POST or PATCH is written
 * directly, with the headers Express would write (`Content-Type: application/json; charset=utf-8`,
 * `Content-Length`): Express's `send` (type lookup, charset, freshness, encoding) took 4% of a v2 request's CPU. A
 * GET or HEAD keeps Express's answer, whose freshness check and bodiless HEAD belong to those methods.
 */
export function sendV2(res: Response, status: number, body: unknown): void {
  const method = res.req.method;
  if (method === "GET" || method === "HEAD") {
    sendJson(res, status, body);
    return;
  }
  // A stopping server may have answered already (a 503 to a request still waiting on Redis): the late answer is dropped.
  if (res.headersSent) return;
  const text = stringifyJson(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text, "utf8"));
  res.end(text);
}

/** A v2 success without a body (204): v2's clients refuse any content there. */
export function sendEmpty(res: Response): void {
  if (!res.headersSent) res.status(204).end();
}

/** A path parameter (Express has decoded it). */
export function param(req: Request, name: string): string {
  return String(req.params[name]);
}
