/**
 * A recording reverse proxy between the web UI's backend and the server under test: every request the web UI makes
 * goes through it, so the suite can say exactly what a server must answer (method, path, query, status, whether the
 * bearer token came along, the server's `Labtasker-Server-Version`), whichever server it runs against.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  seq: number;
  at: string;
  method: string;
  /** Path and query string, as the web UI sent them. */
  url: string;
  /** The same request with queue names and ids replaced by placeholders, query values dropped but `group_by`'s. */
  operation: string;
  status: number;
  ms: number;
  /** Whether an `Authorization: Bearer` header came along (its value is never recorded). */
  bearer: boolean;
  serverVersion: string | null;
  requestBody?: string;
  /** The response body, cut at 2,000 characters. */
  responseBody: string;
}

export interface Recorder {
  /** The proxy's base URL: give it to the web UI as the server URL. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const BODY_LIMIT = 2_000;

/** `GET /api/v2/queues/q/tasks/t_abc...?status=x` -> `GET /api/v2/queues/{queue}/tasks/{task_id} ?status`. */
export function operationOf(method: string, url: string): string {
  const parsed = new URL(url, "http://x");
  const path = parsed.pathname
    .replace(/^\/api\/v2\/queues\/[^/]+/, "/api/v2/queues/{queue}")
    .replace(/\/t_[A-Za-z0-9_-]{12}(?=\/|$)/, "/{task_id}")
    .replace(/\/w_[A-Za-z0-9_-]{12}(?=\/|$)/, "/{worker_id}");
  const keys = [...new Set(parsed.searchParams.keys())].sort().map((key) => (key === "group_by" ? `group_by=${parsed.searchParams.get(key)}` : key));
  return `${method} ${path}${keys.length ? ` ?${keys.join("&")}` : ""}`;
}

/** Starts the proxy on a free loopback port in front of `target`; each exchange is appended to `logFile` (JSON lines). */
export async function startRecorder(target: string, logFile: string): Promise<Recorder> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  writeFileSync(logFile, "");
  let seq = 0;

  const server: Server = createServer((incoming, outgoing) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer: IncomingMessage) => {
          const answerChunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => answerChunks.push(chunk));
          answer.on("end", () => {
            const answerBody = Buffer.concat(answerChunks);
            const method = incoming.method ?? "GET";
            const url = incoming.url ?? "/";
            const entry: RecordedRequest = {
              seq: ++seq,
              at: new Date(started).toISOString(),
              method,
              url,
              operation: operationOf(method, url),
              status: answer.statusCode ?? 0,
              ms: Date.now() - started,
              bearer: /^Bearer \S+/.test(incoming.headers.authorization ?? ""),
              serverVersion: (answer.headers["labtasker-server-version"] as string | undefined) ?? null,
              ...(body.length ? { requestBody: body.toString("utf8").slice(0, BODY_LIMIT) } : {}),
              responseBody: answerBody.toString("utf8").slice(0, BODY_LIMIT),
            };
            requests.push(entry);
            appendFileSync(logFile, `${JSON.stringify(entry)}\n`);
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(answerBody);
          });
        },
      );
      forward.on("error", (error) => {
        outgoing.writeHead(502, { "content-type": "application/json" });
        outgoing.end(JSON.stringify({ error: { code: "recorder_upstream_error", message: error.message, details: {} } }));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once("error", rejectListen);
    server.listen(0, "127.0.0.1", () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolveClose) => server.close(resolveClose));
    },
  };
}

/** One line per distinct operation, with how often it was made and the statuses it got: the report's summary. */
export function summarize(requests: RecordedRequest[]): string {
  const byOperation = new Map<string, { count: number; statuses: Map<number, number>; bearer: boolean }>();
  for (const entry of requests) {
    const row = byOperation.get(entry.operation) ?? { count: 0, statuses: new Map<number, number>(), bearer: true };
    row.count += 1;
    row.statuses.set(entry.status, (row.statuses.get(entry.status) ?? 0) + 1);
    row.bearer &&= entry.bearer;
    byOperation.set(entry.operation, row);
  }
  return [...byOperation.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, row]) => {
      const statuses = [...row.statuses.entries()].map(([status, n]) => `${status}x${n}`).join(" ");
      return `${String(row.count).padStart(4)}  ${operation}  [${statuses}]${row.bearer ? "" : "  (some without bearer)"}`;
    })
    .join("\n");
}
