/**
 * The dashboard's JSON client: the documented routes under /dashboard/api (docs/dashboard.md), with the session
 * cookie the browser sends by itself and the CSRF token on every request that changes something.
 */

export interface SessionInfo {
  queue_id: string;
  queue_name: string;
  csrf_token: string;
  expires_at: string;
}

/** A v1 task document as the API sends it. */
export interface TaskDoc {
  task_id: string;
  queue_id: string;
  status: string;
  task_name: string | null;
  created_at: string;
  start_time: string | null;
  last_heartbeat: string | null;
  last_modified: string;
  heartbeat_timeout: number | null;
  task_timeout: number | null;
  max_retries: number;
  retries: number;
  priority: number;
  metadata: Record<string, unknown>;
  args: Record<string, unknown>;
  cmd: unknown;
  summary: Record<string, unknown>;
  worker_id: string | null;
}

export interface WorkerDoc {
  worker_id: string;
  status: string;
  worker_name: string | null;
  retries: number;
  max_retries: number;
  metadata: Record<string, unknown>;
  created_at: string;
  last_modified: string;
}

export interface FilterErrorInfo {
  message: string;
  line: number | null;
  column: number | null;
  offset: number | null;
  path: string | null;
}

/** A refusal from the server: its status and `detail` (a message, or v1's list of validation issues). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(ApiError.describe(status, body));
  }

  static describe(status: number, body: Record<string, unknown>): string {
    const detail = body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((issue: { loc?: unknown[]; msg?: string }) => `${(issue.loc ?? []).join(".")}: ${issue.msg ?? ""}`).join("; ");
    }
    return `HTTP ${status}`;
  }
}

/** The server did not answer (down, restarting, network gone). */
export class UnreachableError extends Error {
  constructor() {
    super("The server is unreachable");
  }
}

type Listener = () => void;

export class Api {
  csrfToken = "";
  /** Called when a request finds the session gone (expired, signed out elsewhere). */
  onSignedOut: Listener = () => undefined;
  /** Called with true when a request fails to reach the server, false when one reaches it again. */
  onReachability: (reachable: boolean) => void = () => undefined;

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET") headers["x-csrf-token"] = this.csrfToken;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
    } catch {
      this.onReachability(false);
      throw new UnreachableError();
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      this.onReachability(false);
    } else {
      this.onReachability(true);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      parsed = { detail: text.slice(0, 500) };
    }
    if (!response.ok) {
      if (response.status === 401 && path !== "/dashboard/api/session") this.onSignedOut();
      throw new ApiError(response.status, (parsed ?? {}) as Record<string, unknown>);
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  // Session

  async session(): Promise<SessionInfo | null> {
    try {
      const session = await this.get<SessionInfo>("/dashboard/api/session");
      this.csrfToken = session.csrf_token;
      return session;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  }

  /** With the queue's password (v1), or with the server's token (v2's, which opens every queue). */
  async signIn(queueName: string, secret: string, kind: "password" | "token" = "password"): Promise<SessionInfo> {
    const session = await this.post<SessionInfo>("/dashboard/api/session", { queue_name: queueName, [kind]: secret });
    this.csrfToken = session.csrf_token;
    return session;
  }

  signOut(): Promise<void> {
    return this.request("DELETE", "/dashboard/api/session");
  }
}

export const V1 = "/dashboard/api/v1/queues/me";
export const api = new Api();
