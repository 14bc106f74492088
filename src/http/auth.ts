/**
 * HTTP Basic authentication as labtasker v1 does it: the user name is the queue's id or name, the password the
 * queue's. A missing header is 401 "Not authenticated"; anything wrong is 401 "Invalid credentials", never saying
 * which part was wrong.
 */
import type { NextFunction, Request, Response } from "express";
import type { Broker } from "../broker/broker.js";
import { AuthError } from "../core/errors.js";

/** Puts the authenticated queue's id in `res.locals.queueId`. */
export function basicAuth(broker: Broker) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    const match = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new AuthError("Not authenticated");
    const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new AuthError("Invalid credentials");
    res.locals.queueId = await broker.queues.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
    next();
  };
}

/** The queue id that {@link basicAuth} authenticated. */
export function queueIdOf(res: Response): string {
  return res.locals.queueId as string;
}
