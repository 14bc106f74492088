import type { ServerResponse } from "node:http";
import type { Request, Response } from "express";
import type { LabtaskerV2 } from "../../../core/v2/api.js";
import { stringifyJson, type JsonValue } from "../../../json.js";
import { sendJson } from "../../respond.js";

/** What a v2 operation answers: a status with a JSON document, or no body (204). */
export interface V2Answer {
  status: number;
  body?: unknown;
}

/** A route's path parameters as Express gives them (decoded), by name. */
export type V2PathParams = Readonly<Record<string, string | undefined>>;

/**
 * A route's work from its path parameters and parsed body to its answer, shared by its Express route and, for the
 * hot routes, by ./hot.ts: one place checks the request, calls the broker and shapes the answer, whichever way the
 * request came. Throws what the error handler answers.
 */
export type V2Operation = (v2: LabtaskerV2, params: V2PathParams, body: JsonValue | undefined) => Promise<V2Answer>;

/** The Express handler of an operation. */
export function answering(v2: LabtaskerV2, operation: V2Operation) {
  return async (req: Request, res: Response): Promise<void> => {
    writeAnswer(res, await operation(v2, req.params as V2PathParams, req.body as JsonValue | undefined));
  };
}

/**
 * A JSON answer written on Node's response, with the headers Express's `send` writes for a request that is neither
 * GET nor HEAD (`Content-Type: application/json; charset=utf-8`, `Content-Length`; no ETag, which the app turns off):
 * `send` (type lookup, charset, freshness, encoding) took 4% of a v2 request's CPU, and the hot routes (./hot.ts)
 * answer without Express at all. Numbers keep their original form (src/json.ts).
 */
export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  // A stopping server may have answered already (a 503 to a request still waiting on Redis): the late answer is dropped.
  if (res.headersSent) return;
  const text = stringifyJson(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text, "utf8"));
  res.end(text);
}

/** A v2 success without a body (204): v2's clients refuse any content there. */
export function writeEmpty(res: ServerResponse): void {
  if (res.headersSent) return;
  res.statusCode = 204;
  res.end();
}

/** An operation's answer, written on Node's response (for PUT, POST, PATCH and DELETE: see {@link writeJson}). */
export function writeAnswer(res: ServerResponse, answer: V2Answer): void {
  if (answer.body === undefined) writeEmpty(res);
  else writeJson(res, answer.status, answer.body);
}

/**
 * A v2 success with a JSON body. A GET or HEAD keeps Express's answer, whose freshness check and bodiless HEAD belong
 * to those methods; every other method is written directly ({@link writeJson}).
 */
export function sendV2(res: Response, status: number, body: unknown): void {
  const method = res.req.method;
  if (method === "GET" || method === "HEAD") sendJson(res, status, body);
  else writeJson(res, status, body);
}

/** A path parameter (Express has decoded it). */
export function param(req: Request, name: string): string {
  return String(req.params[name]);
}
