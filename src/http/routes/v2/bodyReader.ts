/**
 * Reads a v2 request's body into `req.body` (a Buffer), as `express.raw` does. Almost every v2 request is the plain
 * kind: a Content-Length within the limit, no Content-Encoding, no Transfer-Encoding. Those are read here, straight
 * from the request's chunks: body-parser's general reader (charset and encoding checks, an async resource, five
 * listeners and a decompression switch per request) took 5% of a v2 request's CPU. Every other request (compressed,
 * chunked, too large, already finished) goes to `express.raw`, which inflates, refuses and reports as before.
 */
import express, { type NextFunction, type Request, type Response } from "express";

const DIGITS = /^\d+$/;

export function readV2Body(limit: number) {
  const general = express.raw({ type: () => true, limit });
  return (req: Request, res: Response, next: NextFunction): void => {
    const { headers } = req;
    const length = headers["content-length"];
    const encoding = headers["content-encoding"];
    if (length === undefined && headers["transfer-encoding"] === undefined) {
      next(); // no body (body-parser's `hasBody`): the next step reads `req.body` as none
      return;
    }
    const plain =
      length !== undefined &&
      DIGITS.test(length) &&
      Number(length) <= limit &&
      headers["transfer-encoding"] === undefined &&
      (encoding === undefined || encoding.toLowerCase() === "identity") &&
      req.readable &&
      !req.complete &&
      req.socket?.readable === true;
    if (!plain) {
      general(req, res, next);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      next();
    });
    // The client went away mid-body (no answer can reach it): the error body-parser gives, for the error handler.
    req.on("error", () => {
      if (done) return;
      done = true;
      next(Object.assign(new Error("request aborted"), { status: 400, type: "request.aborted" }));
    });
  };
}
