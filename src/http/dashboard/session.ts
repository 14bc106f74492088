/**
 * Dashboard sessions: a signed cookie instead of Basic auth, and a CSRF token for every request that changes
 * something.
 *
 * The cookie holds the queue, an expiry and the session's CSRF token, signed with HMAC-SHA256 under a key kept in
 * Redis (`<prefix>:dashboard-session-key`), so every replica accepts every other's sessions and nothing is stored per
 * session. It is HttpOnly (page scripts never read it), SameSite=Strict (no other site's page sends it), Secure when
 * the request came over HTTPS, and expires with the session. The CSRF token reaches the page in the JSON of
 * `GET /dashboard/api/session` (same-origin only: no CORS headers are ever sent) and must come back in the
 * `X-CSRF-Token` header of every POST, PUT and DELETE; a request whose `Origin` or `Sec-Fetch-Site` says it came from
 * another site is refused before that. Sign-in checks credentials with the API's own check (the same time for an
 * unknown queue as for a wrong password, the same "Invalid credentials", no lockout).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Broker } from "../../broker/broker.js";
import { AuthError, LabtaskerError } from "../../core/errors.js";
import type { V2AuthOptions } from "../bearer.js";

export const SESSION_COOKIE = "labtasker_session";
export const CSRF_HEADER = "x-csrf-token";

/** 8 hours: a working day; a session is not renewed while used, so a stolen cookie is good for a day at most. */
export const DEFAULT_SESSION_SECONDS = 8 * 3600;

/** How long a replica trusts the key it read from Redis before reading it again (a FLUSHALL replaces it). */
const KEY_REFRESH_MS = 60_000;

/** Who a session is: the queue it may act on. */
export interface SessionSubject {
  queueId: string;
  queueName: string;
}

export interface Session extends SessionSubject {
  /** ms since the epoch. */
  expiresAt: number;
  csrfToken: string;
}

/**
 * One way to sign in: reads the sign-in body and answers who it names, `undefined` when the body is not of its kind,
 * or throws {@link AuthError}. The server's list is v1's queue name and password, then labtasker v2's token.
 */
export type SignInMethod = (body: Record<string, unknown>, broker: Broker) => Promise<SessionSubject | undefined>;

/** labtasker v1's credentials: the queue's name (or id) and password, checked as Basic auth checks them. */
export const v1Credentials: SignInMethod = async (body, broker) => {
  const { queue_name: name, password } = body;
  if (typeof name !== "string" || typeof password !== "string") return undefined;
  const queueId = await broker.queues.authenticate(name, password);
  const queue = await broker.queues.get(queueId);
  return { queueId, queueName: queue.queueName };
};

/** Said when a token is sent to a server without one: the form shows it, so the user knows to use the password. */
export const NO_TOKEN_MESSAGE = "This server has no token (serve --token or LABTASKER_SERVER_TOKEN); sign in with the queue's password.";

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * labtasker v2's credential: the server-wide token and the name (or id) of the queue to open. As in v2, the token
 * opens every queue. The token is compared as v2's bearer check compares it (constant-time over fixed-length
 * digests), and a wrong one gets v1's "Invalid credentials"; a server without a token (or with v2 closed) refuses
 * every token, saying so.
 */
export function v2Token(auth: V2AuthOptions): SignInMethod {
  return async (body, broker) => {
    const { queue_name: name, token } = body;
    if (typeof name !== "string" || typeof token !== "string") return undefined;
    if (auth.token == null || auth.closed) throw new LabtaskerError(401, NO_TOKEN_MESSAGE);
    if (!timingSafeEqual(sha256(token), sha256(auth.token))) throw new AuthError("Invalid credentials");
    // Past the token, the holder may see every queue, so an unknown name may be answered plainly.
    const queueId = (await broker.store.queueIdByName(name)) ?? ((await broker.store.readQueue(name)) === null ? null : name);
    if (queueId === null) throw new LabtaskerError(404, `No queue named ${JSON.stringify(name)}`);
    const queue = await broker.queues.get(queueId);
    return { queueId, queueName: queue.queueName };
  };
}

const base64url = (buffer: Buffer) => buffer.toString("base64url");

/** Signs and reads session cookies with the servers' shared key. */
export class SessionKeeper {
  private key: { value: Buffer; readAt: number } | undefined;

  constructor(
    private readonly broker: Broker,
    readonly lifetimeSeconds: number = DEFAULT_SESSION_SECONDS,
  ) {}

  private async signingKey(): Promise<Buffer> {
    if (this.key === undefined || Date.now() - this.key.readAt > KEY_REFRESH_MS) {
      const hex = await this.broker.store.dashboardSessionKey(randomBytes(32).toString("hex"));
      this.key = { value: Buffer.from(hex, "hex"), readAt: Date.now() };
    }
    return this.key.value;
  }

  /** A new session for `subject` and its cookie value. */
  async open(subject: SessionSubject): Promise<{ session: Session; cookie: string }> {
    const session: Session = { ...subject, expiresAt: Date.now() + this.lifetimeSeconds * 1000, csrfToken: base64url(randomBytes(24)) };
    const payload = base64url(Buffer.from(JSON.stringify({ q: session.queueId, n: session.queueName, e: session.expiresAt, c: session.csrfToken })));
    const signature = base64url(createHmac("sha256", await this.signingKey()).update(payload).digest());
    return { session, cookie: `${payload}.${signature}` };
  }

  /** The session a cookie value holds, or undefined when it is malformed, forged or expired. */
  async read(cookie: string | undefined): Promise<Session | undefined> {
    if (cookie === undefined) return undefined;
    const [payload, signature, extra] = cookie.split(".");
    if (!payload || !signature || extra !== undefined) return undefined;
    const expected = createHmac("sha256", await this.signingKey()).update(payload).digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let fields: { q?: unknown; n?: unknown; e?: unknown; c?: unknown };
    try {
      fields = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof fields;
    } catch {
      return undefined;
    }
    const { q, n, e, c } = fields;
    if (typeof q !== "string" || typeof n !== "string" || typeof e !== "number" || typeof c !== "string") return undefined;
    if (e <= Date.now()) return undefined;
    return { queueId: q, queueName: n, expiresAt: e, csrfToken: c };
  }
}

/** The value of one cookie of the request (no cookie library: one name, one parse). */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header of a session (or of its removal, with `maxAge` 0). */
export function sessionCookieHeader(req: Request, value: string, maxAgeSeconds: number): string {
  const secure = req.secure || req.headers["x-forwarded-proto"] === "https" ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** Refused: a request from another site's page, or without the session's CSRF token. */
export class CsrfError extends LabtaskerError {
  constructor(detail: string) {
    super(403, detail);
  }
}

/**
 * Whether the request comes from a page of this server: `Sec-Fetch-Site` (sent by every current browser) must not be
 * `cross-site` or `same-site`, and an `Origin`, when sent, must name the host the request was sent to. Requests
 * without either header (scripts, curl) pass this check and still need the CSRF token.
 */
export function assertSameOrigin(req: Request): void {
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") throw new CsrfError("Cross-origin request refused");
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== req.headers.host) throw new CsrfError("Cross-origin request refused");
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Authenticates a dashboard request by its session cookie and puts the queue in `res.locals.queueId` (where the v1
 * routes read it, as after Basic auth); a request that changes something must also come from this server's pages and
 * carry the session's CSRF token.
 */
export function sessionAuth(keeper: SessionKeeper) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!SAFE_METHODS.has(req.method)) assertSameOrigin(req);
    const session = await keeper.read(cookieOf(req, SESSION_COOKIE));
    if (session === undefined) throw new AuthError("Not authenticated");
    if (!SAFE_METHODS.has(req.method)) {
      const header = req.headers[CSRF_HEADER];
      const token = Buffer.from(typeof header === "string" ? header : "");
      const expected = Buffer.from(session.csrfToken);
      if (token.length !== expected.length || !timingSafeEqual(token, expected)) throw new CsrfError("CSRF token missing or wrong");
    }
    res.locals.queueId = session.queueId;
    res.locals.session = session;
    next();
  };
}

/** The session {@link sessionAuth} read. */
export function sessionOf(res: Response): Session {
  return res.locals.session as Session;
}
