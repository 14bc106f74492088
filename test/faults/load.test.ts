/**
 * Load: 32 loops and 4 submitters on one queue of 20,000 tasks. Zero double claims (checked three ways: the event
 * stream's walk per task, the jobs' ledger, the server's retries), every task completed once, and the fetch latency
 * the loops see (through a pass-through proxy that times every answer) reported: p50, p99, max.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, allTasks, EventCollector, lastEventSequence } from "./support/accounting.js";
import { scenarioFleet, type Fleet } from "./support/fleet.js";
import { readLedger, writeLightJob } from "./support/ledger.js";
import { startLossyProxy, type LossyProxy } from "./support/lossyProxy.js";
import { startProgram, startRedis, startServer, waitFor, type Proc, type RedisHandle, type ServerHandle } from "./support/procs.js";
import { createQueue, percentile, report, scaled, setting, workspace, type QueueHandle, type Workspace } from "./support/scenario.js";

const TASKS = scaled("LOAD_TASKS", 20_000);
const LOOPS = setting("LOAD_LOOPS", 32);
const SUBMITTERS = setting("LOAD_SUBMITTERS", 4);
const BATCH = 250;

describe("load", () => {
  let ws: Workspace;
  let redis: RedisHandle;
  let server: ServerHandle;
  let proxy: LossyProxy;
  let queue: QueueHandle;
  let fleet: Fleet | undefined;
  const submitters: Proc[] = [];
  let failed = true;

  beforeAll(async () => {
    ws = workspace("load");
    redis = await startRedis({ dataDir: join(ws.dir, "redis") });
    server = await startServer({ name: "server", redisUrl: redis.url, logDir: ws.logDir });
    proxy = await startLossyProxy(server.url, [], (method, path) => (method === "POST" && path === "/api/v1/queues/me/tasks/next" ? "fetch" : method === "POST" && path.endsWith("/status") ? "report" : null));
    queue = await createQueue(server.url);
  });

  afterAll(async () => {
    for (const proc of submitters) if (proc.running) proc.killTree();
    await fleet?.stopAll();
    await proxy?.close();
    await server?.proc.stop();
    await redis?.stop();
    ws?.cleanup(failed);
  });

  it(`${LOOPS} loops and ${SUBMITTERS} submitters, ${TASKS} tasks: no double claim, each task completed once`, async () => {
    const collector = new EventCollector(queue.client);
    const started = Date.now();
    const perSubmitter = Math.ceil(TASKS / SUBMITTERS);
    for (let i = 0; i < SUBMITTERS; i++) {
      const count = Math.min(perSubmitter, TASKS - i * perSubmitter);
      submitters.push(startProgram(`submitter-${i}`, "submitter.ts", [proxy.url, queue.queueName, queue.password, join(ws.dir, `acks-${i}.txt`), `s${i}`, String(count), String(BATCH), "100"], join(ws.logDir, `submitter-${i}.log`)));
    }
    fleet = scenarioFleet(ws, queue, { size: LOOPS, args: ["--", "sh", writeLightJob(ws.dir)], apiBaseUrl: () => proxy.url, heartbeatInterval: 5 });
    const acks = () => submitters.flatMap((_, i) => {
      const file = join(ws.dir, `acks-${i}.txt`);
      return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => line.split(" ")[0]!) : [];
    });
    // Start the loops once the first tasks are in, so none ends at once on an empty queue.
    await waitFor("the first submits", () => acks().length > 0, { timeoutMs: 60_000 });
    fleet.start();
    const successes = () => collector.events.reduce((sum, e) => sum + (e.newState === "success" ? 1 : 0), 0);
    const supervisor = fleet.supervise(() => submitters.some((proc) => proc.running) || successes() < TASKS);
    await waitFor("every task to succeed", () => successes() >= TASKS, { timeoutMs: 600_000, intervalMs: 500 });
    const drainSeconds = (Date.now() - started) / 1000;
    fleet.stopSupervising();
    await supervisor;
    await waitFor("the loops to end", () => fleet!.loops.every((proc) => !proc.running), { timeoutMs: 60_000 });

    const submitted = acks();
    const tasks = await allTasks(queue.client);
    await collector.caughtUp(await lastEventSequence(redis.url, queue.queueId));
    await collector.stop();
    const { figures, violations } = account({ submitted, tasks, events: collector.events, ledger: readLedger(ws.ledger), ledgerHasStarts: false });
    const fetches = proxy.latencies.get("fetch") ?? [];
    const reports = proxy.latencies.get("report") ?? [];
    const doneLines = new Map<string, number>();
    for (const line of readLedger(ws.ledger)) doneLines.set(line.taskId, (doneLines.get(line.taskId) ?? 0) + 1);
    const ranTwice = [...doneLines.values()].filter((count) => count > 1).length;
    const loopFailures = fleet.failures(new Set()).map((proc) => `${proc.name} exit ${JSON.stringify(proc.exit)}: ${proc.log().slice(-1500)}`);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    report("load", {
      ...figures,
      loops: LOOPS,
      submitters: SUBMITTERS,
      tasksPerSecond: Math.round(TASKS / drainSeconds),
      drainSeconds,
      fetches: fetches.length,
      fetchP50Ms: round(percentile(fetches, 50)),
      fetchP99Ms: round(percentile(fetches, 99)),
      fetchMaxMs: round(Math.max(...fetches)),
      reportP99Ms: round(percentile(reports, 99)),
      tasksRunTwice: ranTwice,
      sseReconnects: collector.errors.length,
      events: collector.events.length,
    });
    expect(violations).toEqual([]);
    expect(figures.doubleClaims).toBe(0);
    expect(figures.timeouts).toBe(0);
    expect(ranTwice).toBe(0);
    expect(tasks.every((task) => task.retries === 0)).toBe(true);
    expect(loopFailures).toEqual([]);
    expect(submitters.map((proc) => proc.exit?.code)).toEqual(submitters.map(() => 0));
    expect(submitters.every((proc) => /done, 0 failed requests/.test(proc.log()))).toBe(true);
    failed = false;
  });
});
