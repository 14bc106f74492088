/**
 * An HTTP proxy that loses answers: for a chosen number of requests to given routes it forwards the request, lets the
 * server do the work, and then resets the client's connection instead of returning the answer (a network cut at the
 * worst moment). It also records how long each answer of a route took (fetch latency as the loops see it, plus the
 * proxy's own hop).
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface LossRule {
  /** Matched against `METHOD path`, e.g. /^POST \/api\/v1\/queues\/me\/tasks\/next$/. */
  route: RegExp;
  /** Answers to lose in all. */
  budget: number;
  /** Chance that a matching answer is lost while budget remains. */
  probability: number;
}

export interface LossyProxy {
  url: string;
  /** Answers lost, by rule index. */
  lost: number[];
  /** Milliseconds per answered request, by route label. */
  latencies: Map<string, number[]>;
  close(): Promise<void>;
}

export async function startLossyProxy(target: string, rules: LossRule[], label: (method: string, path: string) => string | null = () => null): Promise<LossyProxy> {
  const upstream = new URL(target);
  const lost = rules.map(() => 0);
  const latencies = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const path = (req.url ?? "/").split("?")[0]!;
    const key = `${req.method} ${path}`;
    const ruleIndex = rules.findIndex((rule, i) => rule.route.test(key) && lost[i]! < rule.budget && Math.random() < rule.probability);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer: IncomingMessage) => {
        if (ruleIndex >= 0) {
          // The server has done the work; the client never hears of it.
          answer.resume();
          answer.once("end", () => {
            lost[ruleIndex]! += 1;
            req.socket.destroy();
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once("end", () => {
          const name = label(req.method ?? "", path);
          if (name) {
            const list = latencies.get(name) ?? [];
            list.push(performance.now() - started);
            latencies.set(name, list);
          }
        });
      },
    );
    forward.once("error", () => req.socket.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    lost,
    latencies,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
