/**
 * What an open dashboard costs the API (issue 17: "the API's ratios do not get worse while the dashboard is open on
 * the queue"): v1's fetch + report over HTTP (`POST .../tasks/next`, `POST .../tasks/{id}/status`, Basic auth, 4
 * workers at once) on one server and queue, in rounds of three kinds, taken in turn (the order rotating from one
 * repetition to the next, so a drift over the run favours none):
 *
 * - `closed`: no dashboard;
 * - `open`: a signed-in page in headless Chromium on the overview tab, live from the queue's event stream (every
 *   fetch and report is an event the page receives; the overview reloads its counts from them, at most once a second);
 * - `stream`: the dashboard's event stream read by a plain HTTP client in this process, no browser: the server's part
 *   of what an open page costs, without the browser's (which, here, shares the 2 cores with the server).
 *
 * The throughput figures are the medians of the per-repetition ratios (open / closed, stream / closed), with their
 * spread (quartiles, min and max); 1.0 means the dashboard costs the API nothing. On a machine shared with other work
 * the throughput of one round varies by tens of percent, so the CPU time of each round is also reported, per cycle:
 * this process's (the server and the load's clients), Redis's (INFO), and Chromium's (every process of the browser,
 * from /proc). CPU time per cycle varies far less than throughput with the machine's other load.
 *
 * Run: `npm run build && npm run bench -- dashboard-load --reps N`.
 */
import { readFileSync, readdirSync } from "node:fs";
import { Redis } from "ioredis";
import { sweepTask } from "./lib/fixtures.js";
import { startDashboardServer } from "./lib/dashboardServer.js";
import { median, percentile } from "./lib/stats.js";
import { nowMs } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const QUEUE = "dashboard-load";
const PASSWORD = "bench-password";
/** fetch + report cycles per round, shared by the workers. */
const CYCLES = 500;
const WORKERS = 4;
/** Within this of the API alone counts as "not worse". */
const TOLERANCE = 0.05;
const KINDS = ["closed", "open", "stream"] as const;
type Kind = (typeof KINDS)[number];

/** In the page: the overview's counts are drawn. */
function overviewDrawn(): boolean {
  const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
  return doc.querySelector('[data-count="total"] .n') !== null;
}

/** `CYCLES` fetch + report cycles over HTTP by `WORKERS` concurrent workers; cycles per second. */
async function fetchReportRound(url: string): Promise<number> {
  const headers = { authorization: `Basic ${Buffer.from(`${QUEUE}:${PASSWORD}`).toString("base64")}`, "content-type": "application/json" };
  let left = CYCLES;
  const worker = async () => {
    while (left-- > 0) {
      const next = await fetch(`${url}/api/v1/queues/me/tasks/next`, { method: "POST", headers, body: "{}" });
      const body = (await next.json()) as { task?: { task_id: string } | null };
      if (!next.ok || !body.task) throw new Error(`fetch: ${next.status} ${JSON.stringify(body)} (the queue ran out of tasks?)`);
      const { task } = body;
      const report = await fetch(`${url}/api/v1/queues/me/tasks/${task.task_id}/status`, { method: "POST", headers, body: JSON.stringify({ status: "success", summary: { acc: 0.5 } }) });
      if (!report.ok) throw new Error(`report: ${report.status} ${await report.text()}`);
      await report.arrayBuffer();
    }
  };
  const start = nowMs();
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return CYCLES / ((nowMs() - start) / 1000);
}

/**
 * CPU seconds (user + system) of Chromium: every process below the browser that playwright started as a child of
 * this one (the browser, its renderers, its network and GPU processes), from /proc.
 */
function chromiumCpuSeconds(): number {
  const ticks = 100; // USER_HZ on Linux
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The fields after the command (which may hold spaces), from the state on.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(name), Number(fields[1]));
      cpu.set(Number(name), (Number(fields[11]) + Number(fields[12])) / ticks);
    } catch {
      // The process ended meanwhile.
    }
  }
  const isChromium = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("chrom");
    } catch {
      return false;
    }
  };
  const roots = new Set([...parent].filter(([pid, ppid]) => ppid === process.pid && isChromium(pid)).map(([pid]) => pid));
  const inTree = (pid: number): boolean => {
    for (let at: number | undefined = pid, depth = 0; at !== undefined && at > 1 && depth < 64; at = parent.get(at), depth++) if (roots.has(at)) return true;
    return false;
  };
  let total = 0;
  for (const [pid, seconds] of cpu) if (inTree(pid)) total += seconds;
  return total;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(info)?.[1] ?? 0);
  return field("used_cpu_user") + field("used_cpu_sys");
}

function processCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** "median (quartiles q1–q3, min–max)" of ratios. */
function spread(values: readonly number[]): string {
  const f = (n: number) => n.toFixed(2);
  return `${f(median(values))} (quartiles ${f(percentile(values, 25))}–${f(percentile(values, 75))}, min–max ${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

interface Round {
  rate: number;
  /** CPU ms per cycle: this process, Redis, Chromium. */
  node: number;
  redis: number;
  browser: number;
  pageRequests: number;
}

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const reps = options.repetitions ?? 6;
  const log = options.log ?? (() => undefined);
  const bench = await startDashboardServer(options.redisUrl, "bench-dashboard-load");
  const { broker, url, browser } = bench;
  const redis = new Redis(bench.redisUrl);
  try {
    const queueId = await broker.queues.create({ queueName: QUEUE, password: PASSWORD, metadata: null });
    const rounds = KINDS.length * (reps + 1);
    const total = rounds * CYCLES + 1000;
    for (let start = 0; start < total; start += 5000) {
      await broker.tasks.submit(queueId, Array.from({ length: Math.min(5000, total - start) }, (_, i) => sweepTask(start + i)));
    }
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.getByLabel("Queue").fill(QUEUE);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("header.top .queue").waitFor();
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    let pageRequests = 0;
    page.on("request", () => pageRequests++);

    const measured = async (kind: Kind): Promise<Round> => {
      let stream: AbortController | undefined;
      let streamed: Promise<void> | undefined;
      if (kind === "open") {
        await page.goto(`${url}/`);
        await page.waitForFunction(overviewDrawn, undefined, { timeout: 30_000, polling: "raf" });
        await new Promise((resolve) => setTimeout(resolve, 300)); // its event stream connected
      } else {
        await page.goto("about:blank"); // the page, its event stream and its reloads gone
      }
      if (kind === "stream") {
        stream = new AbortController();
        const response = await fetch(`${url}/dashboard/api/v1/queues/me/events`, { headers: { cookie, accept: "text/event-stream" }, signal: stream.signal });
        if (!response.ok || response.body === null) throw new Error(`event stream: ${response.status}`);
        const reader = response.body.getReader();
        streamed = (async () => {
          for (;;) if ((await reader.read()).done) return;
        })().catch(() => undefined);
      }
      pageRequests = 0;
      const before = { node: processCpuSeconds(), redis: await redisCpuSeconds(redis), browser: chromiumCpuSeconds() };
      const start = nowMs();
      const rate = await fetchReportRound(url);
      const seconds = (nowMs() - start) / 1000;
      const perCycle = (now: number, then: number) => ((now - then) * 1000) / CYCLES;
      const round = {
        rate,
        node: perCycle(processCpuSeconds(), before.node),
        redis: perCycle(await redisCpuSeconds(redis), before.redis),
        browser: perCycle(chromiumCpuSeconds(), before.browser),
        pageRequests: pageRequests / seconds,
      };
      stream?.abort();
      await streamed;
      return round;
    };

    const samples: Record<Kind, Round[]> = { closed: [], open: [], stream: [] };
    const ratios: Record<"open" | "stream", number[]> = { open: [], stream: [] };
    for (let rep = 0; rep < reps + 1; rep++) {
      // Rotate which kind goes first, so a drift over the run does not favour any.
      const order = KINDS.map((_, i) => KINDS[(i + rep) % KINDS.length]!);
      const got: Partial<Record<Kind, Round>> = {};
      for (const kind of order) got[kind] = await measured(kind);
      const describe = (kind: Kind) => {
        const r = got[kind]!;
        return `${kind} ${r.rate.toFixed(0)}/s (cpu/cycle: node ${r.node.toFixed(2)}, redis ${r.redis.toFixed(2)}, chromium ${r.browser.toFixed(2)} ms)`;
      };
      const line = `${KINDS.map(describe).join("; ")}; open/closed ${(got.open!.rate / got.closed!.rate).toFixed(3)}, stream/closed ${(got.stream!.rate / got.closed!.rate).toFixed(3)}`;
      if (rep === 0) {
        log(`warm-up: ${line}`);
        continue;
      }
      for (const kind of KINDS) samples[kind].push(got[kind]!);
      ratios.open.push(got.open!.rate / got.closed!.rate);
      ratios.stream.push(got.stream!.rate / got.closed!.rate);
      log(`#${rep}: ${line}, page ${got.open!.pageRequests.toFixed(1)} requests/s`);
    }
    await context.close();
    log(`open / closed: ${spread(ratios.open)}`);
    log(`stream / closed: ${spread(ratios.stream)}`);
    const rate = (kind: Kind) => median(samples[kind].map((r) => r.rate));
    const cpu = (kind: Kind, part: "node" | "redis" | "browser") => median(samples[kind].map((r) => r[part]));
    const openRatio = median(ratios.open);
    const rows: BenchResult[] = [
      { name: "fetch + report over HTTP, dashboard open on the queue", value: rate("open"), unit: "cycles/s", anchor: "no dashboard open", anchorValue: rate("closed"), ratio: openRatio, goal: `>= ${(1 - TOLERANCE).toFixed(2)}x`, pass: openRatio >= 1 - TOLERANCE },
      { name: "  the same, its event stream read without a browser", value: rate("stream"), unit: "cycles/s", anchor: "no dashboard open", anchorValue: rate("closed"), ratio: median(ratios.stream) },
      { name: "  the open page's requests while the API works", value: median(samples.open.map((r) => r.pageRequests)), unit: "req/s" },
    ];
    for (const kind of KINDS) {
      rows.push({ name: `  CPU per cycle, ${kind}: server + load clients / Redis / Chromium`, value: cpu(kind, "node"), unit: `ms (Redis ${cpu(kind, "redis").toFixed(2)}, Chromium ${cpu(kind, "browser").toFixed(2)})` });
    }
    return rows;
  } finally {
    redis.disconnect();
    await bench[Symbol.asyncDispose]();
  }
}
