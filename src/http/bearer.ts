/**
 * v2's authentication: one optional server-wide bearer token (`LABTASKER_SERVER_TOKEN`, `serve --token`) over every
 * /api/v2 route; v1's routes keep their queue passwords, and neither credential opens the other protocol.
 *
 * v2 refuses to start without a token on a non-loopback address. We must not break v1 deployments that listen on
 * 0.0.0.0 (v1's default), so such a server starts, and its v2 routes answer 401 with a message saying how to open
 * them; v1's routes are unaffected.
 */
import { hash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { V2Error } from "../core/v2/errors.js";

export interface V2AuthOptions {
  /** The server-wide token; none: v2's routes are open (loopback) or closed (other addresses, see `closed`). */
  token?: string | null;
  /** v2's routes answer 401 whatever is sent: no token on a non-loopback address. @defaultValue false */
  closed?: boolean;
}

export const TOKEN_REQUIRED_MESSAGE =
  "The v2 API is disabled: this server listens on a non-loopback address without a token. Set LABTASKER_SERVER_TOKEN " +
  "(or serve --token) to enable it.";

/** v2's rules for a token: not empty, visible ASCII only (as its server checks at start). Null when it is fine. */
export function tokenProblem(token: string): string | null {
  if (token === "") return "LABTASKER_SERVER_TOKEN must not be empty.";
  if (!/^[\x21-\x7e]+$/.test(token)) return "LABTASKER_SERVER_TOKEN must contain only visible ASCII characters.";
  return null;
}

/** Whether v2 allows a bind address without a token: `localhost` or a loopback address (127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  const address = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (isIP(address) === 4) return address.startsWith("127.");
  if (isIP(address) !== 6) return false;
  // An IPv4-mapped loopback (::ffff:127.x.y.z), or ::1 in any of its spellings (0:0:0:0:0:0:0:1, ::0:1...).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return mapped[1]!.startsWith("127.");
  const groups = address.split(":").filter((group) => group !== "");
  return groups.length > 0 && groups.slice(0, -1).every((group) => /^0+$/.test(group)) && /^0*1$/.test(groups.at(-1)!);
}

function digest(text: string): Buffer {
  return hash("sha256", text, "buffer");
}

/** The token's digest, made once: every v2 request compares against it (twice: the version header, then the route). */
const tokenDigests = new Map<string, Buffer>();

function tokenDigest(token: string): Buffer {
  let known = tokenDigests.get(token);
  if (known === undefined) {
    if (tokenDigests.size >= 16) tokenDigests.clear(); // a server has one token; tests make a few
    known = digest(token);
    tokenDigests.set(token, known);
  }
  return known;
}

/**
 * Whether an Authorization header carries the token: scheme `Bearer` (any case), then the token. The comparison is
 * constant-time over fixed-length digests, so neither the token's content nor its length leaks through timing.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const match = /^\s*(\S+)\s+(.*?)\s*$/.exec(header);
  if (!match || match[1]!.toLowerCase() !== "bearer") return false;
  return timingSafeEqual(digest(match[2]!), tokenDigest(token));
}

/** Whether a request may use v2's routes. */
export function v2Authenticated(options: V2AuthOptions, header: string | undefined): boolean {
  if (options.closed) return false;
  if (options.token == null) return true;
  return bearerMatches(header, options.token);
}

export function unauthorized(options: V2AuthOptions): V2Error {
  return new V2Error("unauthorized", options.closed ? TOKEN_REQUIRED_MESSAGE : "Authentication is required.", {});
}
