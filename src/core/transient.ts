/**
 * The one rule for "this failed because something could not be reached, and may work a moment later", used by the
 * server (503 instead of 500), direct mode and the HTTP client (repeat what is safe to repeat), the SDK's event
 * stream (reconnect) and the CLI (exit 255, "cannot reach"). No imports beyond the errors, so the SDK's light entry
 * point can use it without loading ioredis.
 */
import { LabtaskerError } from "./errors.js";

/** Socket errors of a peer that is down, unknown or gone. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

/**
 * Whether an error means Redis cannot be reached right now (down, restarting, loading, failing over): the command
 * never ran or its outcome is unknown, and the same request may succeed a moment later.
 */
export function isRedisUnavailable(error: unknown): boolean {
  const { name, message = "", code = "" } = (error ?? {}) as { name?: string; message?: string; code?: string };
  return (
    name === "MaxRetriesPerRequestError" ||
    /^Connection is closed\.?$|Stream isn't writeable/.test(message) ||
    /^(LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN)\b/.test(message) ||
    NETWORK_CODES.has(code)
  );
}

/** Whether nothing answered at all: the server (an HTTP transport error, status 0) or Redis (direct mode). */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof LabtaskerError) return error.status === 0;
  return (error as { name?: string } | null)?.name === "NetworkError" || isRedisUnavailable(error);
}

/** Whether trying again later may succeed: nothing answered, or the server answered with a server error (5xx). */
export function isTransient(error: unknown): boolean {
  if (error instanceof LabtaskerError) return error.status === 0 || error.status >= 500;
  return isUnreachable(error);
}
