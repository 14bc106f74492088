/**
 * What an open dashboard costs the API (issue 17: "the API's ratios do not get worse while the dashboard is open on
 * the queue"): v1's fetch + report over HTTP (`POST .../tasks/next`, `POST .../tasks/{id}/status`, Basic auth, 4
 * workers at once) on one server and queue, in rounds that alternate between no dashboard and a signed-in page in
 * headless Chromium on the overview tab, live from the queue's event stream (every fetch and report is an event the
 * page receives, and the overview reloads its counts from them). The figure is the median of the per-pair ratios
 * (open / closed throughput); 1.0 means the dashboard costs the API nothing. Also reported: the page's requests per
 * second while open (its reloads), which is what an open page adds besides the stream.
 *
 * Run: `npm run build && npm run bench -- dashboard-load`.
 */
import { sweepTask } from "./lib/fixtures.js";
import { startDashboardServer } from "./lib/dashboardServer.js";
import { median } from "./lib/stats.js";
import { nowMs } from "./lib/timing.js";
import type { BenchOptions, BenchResult } from "./lib/types.js";

const QUEUE = "dashboard-load";
const PASSWORD = "bench-password";
/** fetch + report cycles per round, shared by the workers. */
const CYCLES = 600;
const WORKERS = 4;
/** Within this of the API alone counts as "not worse" (the 2-core machine's noise between rounds is about this). */
const TOLERANCE = 0.05;

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

export async function run(options: BenchOptions = {}): Promise<BenchResult[]> {
  const reps = options.repetitions ?? 5;
  const log = options.log ?? (() => undefined);
  const bench = await startDashboardServer(options.redisUrl, "bench-dashboard-load");
  const { broker, url, browser } = bench;
  try {
    const queueId = await broker.queues.create({ queueName: QUEUE, password: PASSWORD, metadata: null });
    const rounds = 2 * (reps + 1);
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
    let pageRequests = 0;
    page.on("request", () => pageRequests++);

    const closed: number[] = [];
    const open: number[] = [];
    const ratios: number[] = [];
    const requestRates: number[] = [];
    for (let rep = 0; rep < reps + 1; rep++) {
      // Alternate which goes first, so a drift over the run does not favour either.
      const order = rep % 2 === 0 ? (["closed", "open"] as const) : (["open", "closed"] as const);
      const pair: Record<string, number> = {};
      for (const kind of order) {
        if (kind === "open") {
          await page.goto(`${url}/`);
          await page.waitForFunction(overviewDrawn, undefined, { timeout: 30_000, polling: "raf" });
          await new Promise((resolve) => setTimeout(resolve, 300)); // its event stream connected
          pageRequests = 0;
          const start = nowMs();
          pair.open = await fetchReportRound(url);
          requestRates.push(pageRequests / ((nowMs() - start) / 1000));
        } else {
          await page.goto("about:blank"); // the page, its event stream and its reloads gone
          pair.closed = await fetchReportRound(url);
        }
      }
      const line = `closed ${pair.closed!.toFixed(0)}/s, open ${pair.open!.toFixed(0)}/s, ratio ${(pair.open! / pair.closed!).toFixed(3)}`;
      if (rep === 0) {
        log(`warm-up: ${line}`);
        continue;
      }
      closed.push(pair.closed!);
      open.push(pair.open!);
      ratios.push(pair.open! / pair.closed!);
      log(`#${rep}: ${line}, page ${requestRates.at(-1)!.toFixed(1)} requests/s`);
    }
    await context.close();
    const ratio = median(ratios);
    return [
      { name: "fetch + report over HTTP, dashboard open on the queue", value: median(open), unit: "cycles/s", anchor: "no dashboard open", anchorValue: median(closed), ratio, goal: `>= ${(1 - TOLERANCE).toFixed(2)}x`, pass: ratio >= 1 - TOLERANCE },
      { name: "  the open page's requests while the API works", value: median(requestRates.slice(1)), unit: "req/s" },
    ];
  } finally {
    await bench[Symbol.asyncDispose]();
  }
}
