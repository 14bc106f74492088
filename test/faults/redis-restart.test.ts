/**
 * Redis restarted mid-sweep: redis-server with AOF is killed (SIGKILL) and started again on the same port and data
 * directory while loops (over HTTP), SDK programs (the loop runtime over HTTP and in direct mode) and a submitter
 * work. Server, loops and SDK clients reconnect and carry on; every acknowledged submit and report survives.
 *
 * - `appendfsync always`: nothing acknowledged may be lost, whatever dies.
 * - `appendfsync everysec` (the default): a crash of redis-server alone loses nothing either (Redis hands the AOF to
 *   the kernel before it answers); what an operating-system crash or power cut can lose, at most the writes of the
 *   last second (two when the disk stalls), is shown by a power cut simulated with an LD_PRELOAD shim
 *   (support/powercut.c) that keeps AOF writes in memory until Redis fsyncs them, as the page cache does.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { account, allTasks, EventCollector, lastEventSequence } from "./support/accounting.js";
import { scenarioFleet } from "./support/fleet.js";
import { readLedger, writeJob } from "./support/ledger.js";
import { canBuildPowercut, powercutRedisBinary } from "./support/powercut.js";
import { startProgram, startRedis, startServer, waitFor, type Proc, type RedisHandle, type ServerHandle } from "./support/procs.js";
import { createQueue, report, scaled, setting, workspace, type Workspace } from "./support/scenario.js";

const INITIAL_TASKS = scaled("REDIS_TASKS", 400);
const SUBMITTED_TASKS = scaled("REDIS_SUBMITS", 300);
const LOOPS = setting("REDIS_LOOPS", 4);
const OUTAGE_MS = setting("REDIS_OUTAGE_MS", 3000);
const JOB_SECONDS = 0.2;
/** Heartbeats every 3 s, timeout 9 s: longer than the outage, so no running task expires because Redis was away. */
const HEARTBEAT_INTERVAL = 3;

interface Run {
  ws: Workspace;
  redis?: RedisHandle;
  server?: ServerHandle;
  procs: Proc[];
  failed: boolean;
}

let current: Run | undefined;

afterEach(async () => {
  if (!current) return;
  for (const proc of current.procs) if (proc.running) proc.killTree();
  await current.server?.proc.stop();
  await current.redis?.stop();
  current.ws.cleanup(current.failed);
  current = undefined;
});

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Log lines a process wrote between two offsets in its log. */
function linesBetween(text: string, from: number, to: number): string[] {
  return text.slice(from, to).split("\n").filter(Boolean);
}

interface ScenarioOptions {
  appendFsync: "always" | "everysec";
  restarts: number;
  powercut?: boolean;
  blipSeconds?: number;
  /** How long Redis stays down at each restart. @defaultValue OUTAGE_MS */
  outageMs?: number;
  /** The loops' and SDK programs' heartbeat interval (s); their timeout is 3 x this. @defaultValue HEARTBEAT_INTERVAL */
  heartbeatInterval?: number;
}

async function scenario(name: string, options: ScenarioOptions) {
  const outageMs = options.outageMs ?? OUTAGE_MS;
  const heartbeatInterval = options.heartbeatInterval ?? HEARTBEAT_INTERVAL;
  const ws = workspace(name);
  const run: Run = { ws, procs: [], failed: true };
  current = run;
  const binary = options.powercut ? powercutRedisBinary(ws.dir) : undefined;
  const redis = (run.redis = await startRedis({ dataDir: join(ws.dir, "redis"), appendFsync: options.appendFsync, binary }));
  const server = (run.server = await startServer({ name: "server", redisUrl: redis.url, logDir: ws.logDir, sweepInterval: 0.5 }));
  const queue = await createQueue(server.url);
  const collector = new EventCollector(queue.client);
  const job = writeJob(ws.dir, JOB_SECONDS);
  const initial = await queue.client.submitTasks(Array.from({ length: INITIAL_TASKS }, (_, i) => ({ taskName: `t${i}`, args: { i } })));

  const fleet = scenarioFleet(ws, queue, { size: LOOPS, args: ["--", "sh", job], apiBaseUrl: () => server.url, heartbeatInterval });
  const successes = () => collector.succeeded();
  const acksFile = join(ws.dir, "submit-acks.txt");
  const reportAcks = join(ws.dir, "report-acks.txt");
  const sdkEnv = { LABTASKER_ROOT: join(ws.dir, "sdk-root") };
  const sdk = [
    startProgram("sdk-http", "sdk-worker.ts", ["http", server.url, queue.queueName, queue.password, ws.ledger, reportAcks, String(JOB_SECONDS), String(heartbeatInterval)], join(ws.logDir, "sdk-http.log"), sdkEnv),
    startProgram("sdk-direct", "sdk-worker.ts", ["direct", redis.url, queue.queueName, queue.password, ws.ledger, reportAcks, String(JOB_SECONDS), String(heartbeatInterval)], join(ws.logDir, "sdk-direct.log"), sdkEnv),
  ];
  const submitter = startProgram("submitter", "submitter.ts", [server.url, queue.queueName, queue.password, acksFile, "s", String(SUBMITTED_TASKS), "1", "30"], join(ws.logDir, "submitter.log"));
  run.procs.push(...sdk, submitter);
  fleet.start();
  run.procs.push(...fleet.all);
  // Work left: the submitter still submitting, or acknowledged tasks not yet done.
  const expected = () => INITIAL_TASKS + lines(acksFile).length;
  const supervisor = fleet.supervise(() => submitter.running || successes() < expected());

  const outages: Array<{ downMs: number; sweepResumedMs: number; serverLines: number; serverLog: string[] }> = [];
  /** Acknowledged writes missing right after a restart, and how long before the crash the oldest was acknowledged. */
  const rolledBack = { submits: [] as string[], reports: [] as string[], windowMs: 0 };
  for (let restart = 0; restart < options.restarts; restart++) {
    // Crash mid-sweep: while loops run tasks and the submitter submits.
    await waitFor("the sweep to be under way", () => lines(acksFile).length >= ((restart + 1) * SUBMITTED_TASKS) / (options.restarts + 2) && successes() > 20, { timeoutMs: 60_000 });
    await sleep(300);
    const serverLogBefore = server.proc.log().length;
    const crashAt = Date.now();
    await redis.crash();
    const submitsBefore = lines(acksFile).map((line) => line.split(" ")).filter((parts) => Number(parts[2]) < crashAt);
    const reportsBefore = lines(reportAcks).map((line) => line.split(" ")).filter((parts) => Number(parts[1]) < crashAt);
    await sleep(outageMs);
    await redis.restart();
    const upAt = Date.now();
    const downMs = upAt - crashAt;
    // What the restarted Redis holds of what was acknowledged before the crash.
    const restored = new Map((await allTasks(queue.client)).map((task) => [task.taskId, task]));
    const missingSubmits = submitsBefore.filter(([id]) => !restored.has(id!));
    const revertedReports = reportsBefore.filter(([id]) => restored.get(id!)?.status !== "success");
    rolledBack.submits.push(...missingSubmits.map(([id]) => id!));
    rolledBack.reports.push(...revertedReports.map(([id]) => id!));
    const lostTimes = [...missingSubmits.map((parts) => Number(parts[2])), ...revertedReports.map((parts) => Number(parts[1]))];
    if (lostTimes.length > 0) rolledBack.windowMs = Math.max(rolledBack.windowMs, crashAt - Math.min(...lostTimes));
    // The timeout sweep runs again (GET /api/v1/polling: when it last ran).
    await waitFor("the timeout sweep to run again", async () => {
      const polling = (await (await fetch(`${server.url}/api/v1/polling`)).json()) as { prev_polling: number };
      return polling.prev_polling * 1000 > upAt;
    }, { timeoutMs: 120_000, intervalMs: 100 });
    const sweepResumedMs = Date.now() - upAt;
    // Give everyone a moment to reconnect before reading what they said.
    await sleep(1000);
    const serverLog = linesBetween(server.proc.log(), serverLogBefore, server.proc.log().length);
    outages.push({ downMs, sweepResumedMs, serverLines: serverLog.length, serverLog: serverLog.slice(0, 20) });
  }

  // Connection cuts: every client connection of Redis (server, its sweep and event readers, direct-mode SDK) is
  // killed again and again while work goes on; each reconnects, and commands whose answer was lost are sent again.
  let connectionsCut = 0;
  if (options.blipSeconds) {
    await waitFor("the sweep to be under way", () => lines(acksFile).length >= SUBMITTED_TASKS / 4 && successes() > 20, { timeoutMs: 60_000 });
    const admin = new Redis(redis.url);
    const until = Date.now() + options.blipSeconds * 1000;
    while (Date.now() < until) {
      connectionsCut += Number(await admin.client("KILL", "TYPE", "normal", "SKIPME", "yes"));
      await sleep(20 + Math.random() * 100);
    }
    admin.disconnect();
  }

  await waitFor("the submitter to finish", () => !submitter.running, { timeoutMs: 120_000 });
  const submitAcks = lines(acksFile).map((line) => line.split(" ")[0]!);
  const tried = new Set(lines(`${acksFile}.tried`));
  const ackedKeys = new Set(lines(acksFile).map((line) => line.split(" ")[1]!));
  // After a power cut, acknowledged submits may be gone (that is what the scenario measures): they cannot succeed.
  const lostSubmits = rolledBack.submits;
  const expectedIds = [...initial, ...submitAcks.filter((id) => !lostSubmits.includes(id))];
  const expectedSet = new Set(expectedIds);
  const isMaybe = (task: { args: unknown }) => {
    const key = (task.args as { key?: unknown }).key;
    return typeof key === "string" && tried.has(key) && !ackedKeys.has(key);
  };
  const done = async () => {
    const tasks = await allTasks(queue.client);
    return tasks.filter((task) => expectedSet.has(task.taskId) || isMaybe(task)).every((task) => task.status === "success");
  };
  await waitFor("every task to succeed", done, { timeoutMs: 180_000, intervalMs: 1000 });
  fleet.stopSupervising();
  await supervisor;
  await waitFor("the loops to end", () => fleet.loops.every((proc) => !proc.running), { timeoutMs: 30_000 });
  for (const proc of sdk) await proc.stop();
  await fleet.stopAll();

  const tasks = await allTasks(queue.client);
  await collector.caughtUp(await lastEventSequence(redis.url, queue.queueId));
  await collector.stop();
  const ledger = readLedger(ws.ledger);
  const { figures, violations } = account({ submitted: expectedIds, tasks, events: collector.events, ledger, maybeSubmitted: isMaybe });
  const byId = new Map(tasks.map((task) => [task.taskId, task]));
  const reportAckIds = lines(reportAcks).map((line) => line.split(" ")[0]!);
  const lostReports = [...new Set([...rolledBack.reports, ...reportAckIds.filter((id) => byId.get(id)?.status !== "success")])];
  const loopFailures = fleet.failures(new Set()).map((proc) => `${proc.name} exit ${JSON.stringify(proc.exit)}: ${proc.log().slice(-1500)}`);
  const sdkFailures = sdk.filter((proc) => proc.exit?.code !== 0 && proc.exit?.signal !== "SIGTERM").map((proc) => `${proc.name} ${JSON.stringify(proc.exit)}: ${proc.log().slice(-1500)}`);

  report(name, {
    ...figures,
    appendfsync: options.appendFsync,
    powercut: options.powercut ?? false,
    redisRestarts: outages.length,
    connectionsCut,
    outageMs: outages.map((outage) => outage.downMs),
    serverLogLinesPerOutage: outages.map((outage) => outage.serverLines),
    sweepResumedAfterMs: outages.map((outage) => outage.sweepResumedMs),
    acknowledgedSubmits: submitAcks.length,
    failedSubmitRequests: tried.size - ackedKeys.size,
    acknowledgedReports: reportAckIds.length,
    lostAcknowledgedSubmits: lostSubmits.length,
    lostAcknowledgedReports: lostReports.length,
    lostWindowMs: rolledBack.windowMs,
    loopsStarted: fleet.started,
    sseReconnects: collector.errors.length,
  });
  return { figures, violations, outages, lostSubmits, lostReports, loopFailures, sdkFailures, server, run, lostWindowMs: rolledBack.windowMs, connectionsCut };
}

describe("Redis restarted mid-sweep", () => {
  it("appendfsync always: everyone reconnects and carries on; no acknowledged submit or report is lost", async () => {
    const result = await scenario("redis-restart-always", { appendFsync: "always", restarts: 2 });
    expect(result.violations).toEqual([]);
    expect(result.lostSubmits).toEqual([]);
    expect(result.lostReports).toEqual([]);
    expect(result.loopFailures).toEqual([]);
    expect(result.sdkFailures).toEqual([]);
    expect(result.server.proc.running).toBe(true);
    // No flood: a few lines per outage, not one per request or reconnect attempt.
    for (const outage of result.outages) {
      expect(outage.serverLines, `${outage.serverLog.join("\n")}`).toBeLessThanOrEqual(10);
      expect(outage.sweepResumedMs).toBeLessThan(5000);
    }
    result.run.failed = false;
  });

  it("Redis away longer than a command waits for it (15 s): 503s, retried; loops and SDK programs carry on, nothing runs twice", async () => {
    const result = await scenario("redis-long-outage", { appendFsync: "always", restarts: 1, outageMs: setting("REDIS_LONG_OUTAGE_MS", 15_000), heartbeatInterval: 10 });
    expect(result.violations).toEqual([]);
    expect(result.lostSubmits).toEqual([]);
    expect(result.lostReports).toEqual([]);
    expect(result.loopFailures).toEqual([]);
    expect(result.sdkFailures).toEqual([]);
    // The heartbeat timeout (30 s) outlasts the outage: no running job timed out. A claim the crash cut off from its
    // answer (written, then Redis killed before replying) times out without having run; nothing else may.
    expect(result.figures.timeouts).toBe(result.figures.claimsNeverRun);
    expect(result.figures.claimsNeverRun).toBeLessThanOrEqual(LOOPS + 2);
    for (const outage of result.outages) expect(outage.serverLines, `${outage.serverLog.join("\n")}`).toBeLessThanOrEqual(10);
    result.run.failed = false;
  });

  it("appendfsync everysec: a redis-server crash loses nothing acknowledged either", async () => {
    const result = await scenario("redis-restart-everysec", { appendFsync: "everysec", restarts: 1 });
    expect(result.violations).toEqual([]);
    expect(result.lostSubmits).toEqual([]);
    expect(result.lostReports).toEqual([]);
    expect(result.loopFailures).toEqual([]);
    expect(result.sdkFailures).toEqual([]);
    result.run.failed = false;
  });

  it.skipIf(!canBuildPowercut())("appendfsync everysec, power cut: at most the writes of the last 1-2 s before the cut are lost", async () => {
    const result = await scenario("redis-restart-powercut", { appendFsync: "everysec", restarts: 1, powercut: true });
    console.log(JSON.stringify({ violations: result.violations.slice(0, 30) }, null, 1));
    expect(result.lostWindowMs).toBeLessThanOrEqual(2000);
    // A worker created just before the cut can be among the lost writes: its loop then ends on "worker not found", as
    // it does when someone deletes its worker. Any other ending is a failure.
    const workerLost = (failure: string) => /Worker '[^']+' not found/.test(failure);
    expect(result.loopFailures.filter((failure) => !workerLost(failure))).toEqual([]);
    expect(result.sdkFailures.filter((failure) => !workerLost(failure))).toEqual([]);
    result.run.failed = false;
  });

  it("connections to Redis cut again and again (CLIENT KILL): commands sent again after a lost answer apply once", async () => {
    const result = await scenario("redis-connection-cuts", { appendFsync: "everysec", restarts: 0, blipSeconds: setting("REDIS_BLIP_SECONDS", 8) });
    expect(result.violations).toEqual([]);
    expect(result.lostSubmits).toEqual([]);
    expect(result.lostReports).toEqual([]);
    expect(result.loopFailures).toEqual([]);
    expect(result.sdkFailures).toEqual([]);
    expect(result.connectionsCut).toBeGreaterThan(20);
    result.run.failed = false;
  });
});
