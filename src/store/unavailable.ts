/** Errors of a Redis that cannot be reached; no imports, so the SDK's entry point can use it without loading ioredis. */

/**
 * Whether an error means Redis cannot be reached right now (down, restarting, loading, failing over): the command
 * never ran or its outcome is unknown, and the same request may succeed a moment later.
 */
export function isRedisUnavailable(error: unknown): boolean {
  const { name, message = "", code = "" } = (error ?? {}) as { name?: string; message?: string; code?: string };
  return (
    name === "MaxRetriesPerRequestError" ||
    message === "Connection is closed." ||
    /^(LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN)\b/.test(message) ||
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"].includes(code)
  );
}
