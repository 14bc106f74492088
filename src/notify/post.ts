/**
 * One POST of a message to its target. The host is resolved here and every address it resolves to checked against
 * the allow-list (src/notify/allowList.ts) inside the connection's own lookup, so the address checked is the address
 * connected to: no second lookup that DNS could answer differently. Redirects are not followed (a 3xx is a failure:
 * following one would reach a host nobody allowed).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { AllowList } from "./allowList.js";

export interface PostResult {
  status: number;
}

/** Bytes of a receiver's answer read at most (it is discarded: only the status counts). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** A lookup that refuses addresses the allow-list does not allow (its error fails the request). */
function checkedLookup(allowList: AllowList): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      try {
        for (const { address } of addresses) allowList.checkAddress(hostname, address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, "", 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * POSTs `body` with `headers` and resolves with the answer's status; rejects on a refused address (the allow-list's
 * TargetRefusedError), a network error, no complete answer within `timeoutMs`, or `signal` aborting.
 */
export function postMessage(
  url: URL,
  body: string,
  headers: Record<string, string>,
  allowList: AllowList,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PostResult> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(host) !== 0) allowList.checkAddress(host, host);
  const options: RequestOptions = {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
    lookup: checkedLookup(allowList),
    // A fresh connection per message: a pooled one would skip the lookup, hence the address check.
    agent: false,
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve, reject) => {
    const req = send(url, options, (res: IncomingMessage) => {
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on("close", () => resolve({ status: res.statusCode ?? 0 }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0 }));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const abort = () => req.destroy(new Error("the server stopped before the receiver answered"));
    signal?.addEventListener("abort", abort, { once: true });
    req.on("error", reject);
    req.on("close", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    });
    req.end(body);
  });
}
