import { startTestServer, type TestServer } from "../../support/http.js";
import type { AppOptions } from "../../../src/http/app.js";

export interface V2TestServer extends TestServer {
  /** A v2 request: JSON body (a string is sent as is), optional bearer token. */
  v2(method: string, path: string, options?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<Response>;
  /** The JSON answer of a v2 request, with its status. */
  json<T = unknown>(method: string, path: string, options?: { body?: unknown; token?: string }): Promise<{ status: number; body: T; headers: Headers }>;
}

/** The in-process app over a real Redis, with v2's options. */
export async function startV2Server(options: Partial<AppOptions> = {}): Promise<V2TestServer> {
  const server = await startTestServer(options);
  // As `labtasker-server serve` does at start (v2 has `default` on a fresh database).
  await server.broker.v2.ensureQueue("default");
  const v2: V2TestServer["v2"] = (method, path, { body, token, headers = {} } = {}) =>
    server.request(method, path.startsWith("/") ? path : `/api/v2/${path}`, {
      body,
      headers: { ...headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    });
  return {
    ...server,
    v2,
    async json(method, path, options) {
      const response = await v2(method, path, options);
      const text = await response.text();
      return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as never, headers: response.headers };
    },
  };
}

/** v2's validation error body. */
export function validation(code: string, errors: Array<[Array<string | number>, string]>) {
  return { error: { code, message: "Request validation failed.", details: { errors: errors.map(([location, message]) => ({ location, message })) } } };
}
