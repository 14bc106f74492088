/**
 * Reads a v2 request's body into `req.body` (a Buffer), as `express.raw` does. Almost every v2 request is the plain
 * kind: a Content-Length within the limit, no Content-Encoding, no Transfer-Encoding. Those are read here, straight
 * from the request's chunks: body-parser's general reader (charset and encoding checks, an async resource, five
 * listeners and a decompression switch per request) took 5% of a v2 request's CPU. Every other request (compressed,
 * chunked, too large, already finished) goes to `express.raw`, which inflates, refuses and reports as before.
 * The hot routes (./hot.ts) read their bodies with the same two functions, and leave every other kind to Express.
 */
import type { IncomingMessage } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";

const DIGITS = /^\d+$/;

/** Whether the request has no body at all (body-parser's `hasBody` is false): neither a length nor chunks. */
export function hasNoBody(req: IncomingMessage): boolean {
  return req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined;
}

/** Whether the body is the plain kind this file reads itself (see above), still to be read from the socket. */
export function isPlainBody(req: IncomingMessage, limit: number): boolean {
  const { headers } = req;
  const length = headers["content-length"];
  const encoding = headers["content-encoding"];
  return (
    length !== undefined &&
    DIGITS.test(length) &&
    Number(length) <= limit &&
    headers["transfer-encoding"] === undefined &&
    (encoding === undefined || encoding.toLowerCase() === "identity") &&
    req.readable &&
    !req.complete &&
    req.socket?.readable === true
  );
}

/**
 * Reads a plain body ({@link isPlainBody}), then calls `done` once: with the bytes, or with body-parser's error for a
 * client that went away mid-body (no answer can reach it; the error handler still settles the request).
 */
export function readPlainBody(req: IncomingMessage, done: (error: Error | null, body?: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  req.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
  });
  req.on("end", () => {
    if (settled) return;
    settled = true;
    done(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
  });
  req.on("error", () => {
    if (settled) return;
    settled = true;
    done(Object.assign(new Error("request aborted"), { status: 400, type: "request.aborted" }));
  });
}

export function readV2Body(limit: number) {
  const general = express.raw({ type: () => true, limit });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (hasNoBody(req)) {
      next(); // no body: the next step reads `req.body` as none
      return;
    }
    if (!isPlainBody(req, limit)) {
      general(req, res, next);
      return;
    }
    readPlainBody(req, (error, body) => {
      if (error) {
        next(error);
        return;
      }
      req.body = body;
      next();
    });
  };
}
