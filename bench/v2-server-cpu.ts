/**
 * The server's CPU per v2 request, of this tree and of another, alternately: `npx tsx bench/v2-server-cpu.ts`.
 * Not a benchmark module (the harness runs only *.bench.ts); it backs the v2 server figures in docs/benchmarks.md.
 *
 * bench/v2.bench.ts drives the servers with labtasker 2.8.0's Python client, whose own CPU (about 1 ms a request)
 * and the machine's load decide its throughput; what a change to the server saves is lost in that. Here a minimal
 * client (one socket a connection, headers and body in two writes as the 2.8.0 client sends them, 4 connections
 * with one request in flight each) drives `node dist/http/main.js serve` of each tree on one Redis, and what is
 * compared is the server process's CPU (user + system, /proc/<pid>/stat) per request: submits (PUT a task by id),
 * and claim + complete pairs. Set up the other tree once, and build both:
 *
 *   git worktree add /tmp/base <rev> && ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npm run build)
 *   npm run build && BASE=/tmp/base npx tsx bench/v2-server-cpu.ts
 *
 * Environment: BASE (the other tree; without it, this tree alone), ROUNDS (rounds a tree, default 3), REQUESTS
 * (submits and claim + complete pairs a connection and a round, default 1,000).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { freePort } from "../src/store/embeddedRedis.js";
import { waitForHealth } from "./lib/health.js";
import { startRedis } from "./lib/redis.js";
import { median } from "./lib/stats.js";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 1_000);
const CONNECTIONS = 4;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function id(prefix: string): string {
  return prefix + Array.from(randomBytes(12), (byte) => ALPHABET[byte % ALPHABET.length]).join("");
}

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, clock ticks of 10 ms
}

/** One keep-alive connection; `send` writes the headers, then the body in a later write, and reads the answer. */
function connection(port: number): Promise<{ send(method: string, path: string, body: unknown): Promise<{ status: number; body: string }>; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve({ send, socket }));
    socket.setNoDelay(true);
    socket.once("error", reject);
    let buffered = Buffer.alloc(0);
    let waiting: ((answer: { status: number; body: string }) => void) | null = null;
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0 || waiting === null) return;
      const head = buffered.subarray(0, end).toString();
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const answer = { status: Number(head.slice(9, 12)), body: buffered.subarray(end + 4, end + 4 + length).toString() };
      buffered = buffered.subarray(end + 4 + length);
      const done = waiting;
      waiting = null;
      done(answer);
    });
    function send(method: string, path: string, body: unknown): Promise<{ status: number; body: string }> {
      return new Promise((done) => {
        waiting = done;
        const text = JSON.stringify(body);
        socket.write(
          `${method} /api/v2/${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n` +
            `User-Agent: python-httpx/0.28.1\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\n\r\n`,
        );
        setImmediate(() => socket.write(text));
      });
    }
  });
}

async function expectStatus(answer: Promise<{ status: number; body: string }>, statuses: number[]): Promise<string> {
  const { status, body } = await answer;
  if (!statuses.includes(status)) throw new Error(`unexpected ${status}: ${body}`);
  return body;
}

/** CONNECTIONS connections, each `count` submits or claim + complete pairs; the server's CPU ms per request. */
async function load(port: number, pid: number, mode: "submit" | "cycle", count: number): Promise<number> {
  const before = await cpuMs(pid);
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const { send, socket } = await connection(port);
      for (let i = 0; i < count; i++) {
        if (mode === "submit") {
          const definition = { name: null, args: { lr: 0.001 * (i + 1), model: "vit", bs: 32, seed: i, epochs: 10 }, metadata: {}, priority: 0, max_attempts: 3, routes: ["default"] };
          await expectStatus(send("PUT", `queues/q/tasks/${id("t_")}`, definition), [201]);
        } else {
          const claim = JSON.parse(await expectStatus(send("POST", "queues/q/tasks/claim", { route: "default", run_id: id("r_") }), [200])) as { task: { id: string }; run_id: string };
          await expectStatus(send("POST", `queues/q/tasks/${claim.task.id}/complete`, { run_id: claim.run_id, result: { acc: 0.9 } }), [204]);
        }
      }
      socket.end();
    }),
  );
  return ((await cpuMs(pid)) - before) / (CONNECTIONS * count * (mode === "cycle" ? 2 : 1));
}

/** A server of the tree at `root` on the Redis; warmed up (JIT), then one round of each kind. */
async function round(root: string, redisUrl: string): Promise<{ submit: number; cycle: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, "dist/http/main.js"), "serve", "--host", "127.0.0.1", "--port", String(port), "--redis-url", redisUrl, "--key-prefix", `v2cpu-${port}`], {
    stdio: "ignore",
    env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("LABTASKER_"))),
  });
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, child);
    await fetch(`http://127.0.0.1:${port}/api/v2/queues/q`, { method: "PUT" });
    await load(port, child.pid!, "submit", 300);
    await load(port, child.pid!, "cycle", 300);
    const submit = await load(port, child.pid!, "submit", REQUESTS);
    const cycle = await load(port, child.pid!, "cycle", REQUESTS);
    return { submit, cycle };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

const trees: Array<[string, string]> = [["this tree", join(import.meta.dirname, "..")]];
if (process.env.BASE) trees.unshift(["base", process.env.BASE]);
const redis = await startRedis();
try {
  const results = new Map<string, Array<{ submit: number; cycle: number }>>(trees.map(([label]) => [label, []]));
  for (let r = 1; r <= ROUNDS; r++) {
    for (const [label, root] of trees) {
      const result = await round(root, redis.url);
      results.get(label)!.push(result);
      console.error(`#${r} ${label}: server CPU per submit ${result.submit.toFixed(3)} ms, per claim or complete ${result.cycle.toFixed(3)} ms`);
    }
  }
  for (const [label, runs] of results) {
    const submit = median(runs.map((run) => run.submit));
    const cycle = median(runs.map((run) => run.cycle));
    console.log(`${label}: server CPU per request, medians of ${runs.length}: submit ${submit.toFixed(3)} ms, claim or complete ${cycle.toFixed(3)} ms`);
  }
} finally {
  await redis.stop();
}
