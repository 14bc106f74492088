/**
 * HTTP requests over node:http(s) with a keep-alive agent. Node's built-in fetch would do, but loading it (undici and
 * its WebAssembly parser) costs about 20 ms, a seventh of a CLI command's time budget; node:http is already there.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** Keep-alive agents: a worker's fetch, heartbeat and report reuse one connection. */
const agents = {
  "http:": new HttpAgent({ keepAlive: true }),
  "https:": new HttpsAgent({ keepAlive: true }),
};

export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  /** Text, or bytes sent as they are (a log chunk), in one piece or several sent one after the other. */
  body?: string | Uint8Array | readonly Uint8Array[];
  /** Abort when no response has arrived in this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Raised when the server cannot be reached or stops answering; other HTTP statuses are responses, not errors. */
export class NetworkError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = "NetworkError";
  }
}

/** Sends a request and resolves with the response head; the body is the stream to read. */
export function open(url: string, options: TransportRequest): Promise<IncomingMessage> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const agent = agents[target.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new NetworkError(`unsupported URL scheme '${target.protocol}' (use http:// or https://)`));
  return new Promise((resolve, reject) => {
    const { body } = options;
    const headers = { ...options.headers, ...(body !== undefined ? { "content-length": String(byteLength(body)) } : {}) };
    const request = send(target, { method: options.method, headers, agent, signal: options.signal }, resolve);
    request.on("error", (error) => reject(new NetworkError(error.message, error)));
    if (options.timeoutMs) {
      request.setTimeout(options.timeoutMs, () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    }
    if (body === undefined || typeof body === "string" || body instanceof Uint8Array) return void request.end(body);
    // Pieces, not one buffer joined from them: a log batch's megabytes are then not copied once more.
    for (const piece of body) request.write(piece);
    request.end();
  });
}

function byteLength(body: string | Uint8Array | readonly Uint8Array[]): number {
  if (typeof body === "string") return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return body.reduce((sum, piece) => sum + piece.byteLength, 0);
}

/** Sends a request and reads the whole response body as text. */
export async function send(url: string, options: TransportRequest): Promise<{ status: number; text: string }> {
  const response = await open(url, options);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response) chunks.push(chunk as Buffer);
  } catch (error) {
    throw new NetworkError((error as Error).message, error);
  }
  return { status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") };
}
