/**
 * Redis loses data under two server replicas and running loops: FLUSHALL; then redis-server, run without persistence,
 * killed and started again (empty); then the timeout sweep's own keys deleted by hand, which is what a failover to a
 * replica that missed the last writes looks like to the sweep. After each loss the queue is created again with the
 * same name and password (as people, and labtasker's own fixtures, do) and work is submitted again.
 *
 * After each fault:
 * - a task past its deadline comes back to pending within two sweep intervals of it. The task is claimed with a time
 *   limit (`eta_max`) by a fetch whose worker then goes silent, as a dead one does (a live loop ends its run at the
 *   deadline itself: docs/loop.md, "Deadlines"), in a queue nobody else fetches from: a fetch expires its own queue's
 *   overdue tasks inline, so there only the periodic sweep can return it;
 * - the loops carry on: each one completes tasks of the queue as it now is (after a loss: the missing queue waited
 *   out, a new worker registered). One more loop runs a slow job that was started just before each loss, so its
 *   report reaches the queue created again, where its task no longer exists: dropped, and the loop goes on;
 * - a replica says once (at most once each) that Redis lost data;
 * - nothing that still exists is lost or run twice at once: the last queue is checked as every scenario checks its
 *   queue (support/accounting.ts), the event streams of the queues that were lost have no gap, no double claim and
 *   no step outside the state machine, and no two runs of one task ever overlap in the ledger.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { parseWireDate } from "../../src/wire/v1/index.js";
import type { Task } from "../../src/core/model.js";
import { account, allTasks, EventCollector, lastEventSequence } from "./support/accounting.js";
import { Fleet, scenarioFleet } from "./support/fleet.js";
import { overlappingRuns, readLedger, writeJob, type LedgerLine } from "./support/ledger.js";
import { startServer, waitFor, type Proc, type ServerHandle } from "./support/procs.js";
import { createQueue, report, workspace, type QueueHandle, type Workspace } from "./support/scenario.js";
import { startVolatileRedis, type VolatileRedis } from "./support/volatileRedis.js";

const LOOPS = 3;
const JOB_SECONDS = 0.2;
/** The slow loop's job: longer than it takes to create the queue again after a loss. */
const SLOW_JOB_SECONDS = 2.5;
/** Heartbeat timeout 3 s: no loop of the main queue is ever cut off long enough for its task to expire. */
const HEARTBEAT_INTERVAL = 1;
const SWEEP_INTERVAL_SECONDS = 0.5;
const SWEEP_INTERVAL_MS = SWEEP_INTERVAL_SECONDS * 1000;
/** The overdue task's time limit (its claim's `eta_max`). */
const ETA_MAX_SECONDS = 2;
/**
 * "Within two sweep intervals" of the deadline, plus this much for machine noise: timers that fire late and Redis
 * round trips on a small machine that also runs three loops and their jobs, both replicas, Redis and the test.
 */
const SLACK_MS = 300;
const RETURN_BOUND_MS = 2 * SWEEP_INTERVAL_MS + SLACK_MS;
/** Tasks kept waiting in the main queue, so that the loops never run dry between faults. */
const BACKLOG = 40;
const KEY_PREFIX = "labtasker";
/** The keys the timeout sweep keeps in Redis besides the queues'. */
const SWEEP_KEYS = [`${KEY_PREFIX}:sweep-lease`, `${KEY_PREFIX}:last-sweep`, `${KEY_PREFIX}:data-marker`];
const FAULTS = ["flushall", "restart", "sweep-keys"] as const;
type FaultKind = (typeof FAULTS)[number];

interface Env {
  ws: Workspace;
  redis?: VolatileRedis;
  servers: ServerHandle[];
  fleets: Fleet[];
  /** Other processes (the overdue tasks' loops). */
  procs: Proc[];
  closers: Array<() => unknown>;
  failed: boolean;
}
let env: Env | undefined;

afterEach(async () => {
  if (!env) return;
  for (const close of env.closers) await close();
  for (const fleet of env.fleets) await fleet.stopAll();
  for (const proc of env.procs) if (proc.running) proc.killTree();
  for (const server of env.servers) await server.proc.stop();
  await env.redis?.stop();
  env.ws.cleanup(env.failed);
  env = undefined;
});

/** The main queue between two losses: each loss ends one, and the queue created again starts the next. */
interface Epoch {
  label: string;
  queueId: string;
  client: HttpLabtasker;
  collector: EventCollector;
  /** Ids of every acknowledged submit. */
  submitted: string[];
}

/**
 * Keeps about {@link BACKLOG} tasks waiting in the current queue; paused around each fault, so that every acknowledged
 * submit belongs to the queue it was sent to.
 */
class Backlog {
  readonly errors: string[] = [];
  private paused = false;
  private stopped = false;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly done: Promise<void>;
  private keys = 0;

  constructor(private readonly epoch: () => Epoch) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const epoch = this.epoch();
      const missing = BACKLOG - (epoch.submitted.length - epoch.collector.succeeded());
      if (!this.paused && missing >= BACKLOG / 2) {
        this.inFlight = (async () => {
          try {
            const ids = await epoch.client.submitTasks(Array.from({ length: missing }, () => ({ args: { key: `${epoch.label}-${this.keys++}` } })));
            epoch.submitted.push(...ids);
          } catch (error) {
            this.errors.push(`${epoch.label}: ${(error as Error).message}`);
          }
        })();
        await this.inFlight;
      }
      await sleep(100);
    }
  }

  /** Stops submitting; resolves once no submit is in flight. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.inFlight;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.paused = true;
    await this.done;
  }
}

/** A task claimed with a time limit and then left alone, in a queue of its own. */
interface Overdue {
  label: string;
  queue: QueueHandle;
  taskId: string;
}

interface Returned {
  label: string;
  /** When the sweep set it pending (its `last_modified`), in ms after its deadline. */
  lateMs: number;
  /** When this test saw it pending, in ms after its deadline. */
  seenLateMs: number;
  retries: number;
  timedOut: boolean;
}

/** A running task's deadline, as the server computes it (lua/includes/tasks.lua, taskDeadline). */
function deadlineOf(task: Task): number {
  const candidates: number[] = [];
  if (task.startTime && task.taskTimeout) candidates.push(task.startTime.getTime() + task.taskTimeout * 1000);
  if (task.lastHeartbeat && task.heartbeatTimeout) candidates.push(task.lastHeartbeat.getTime() + task.heartbeatTimeout * 1000);
  return Math.min(...candidates);
}

/** GET /health/full?details=true: the sweep's interval and how long ago it last ran. */
async function sweepHealth(server: ServerHandle): Promise<{ status: unknown; intervalSeconds: unknown; ageMs: number | null }> {
  const body = (await (await fetch(`${server.url}/health/full?details=true`)).json()) as { status?: unknown; sweep?: { last_run?: unknown; interval_seconds?: unknown } };
  const lastRun = parseWireDate(body.sweep?.last_run ?? null);
  return { status: body.status, intervalSeconds: body.sweep?.interval_seconds, ageMs: lastRun === null ? null : Date.now() - lastRun.getTime() };
}

/** Loop pids with a complete run, started after `since`, of one of `taskIds`. */
function loopsCompletingSince(ledger: LedgerLine[], since: number, taskIds: Set<string>): Set<number> {
  const started = new Set(ledger.filter((line) => line.kind === "start" && line.time > since && taskIds.has(line.taskId)).map((line) => `${line.taskId} ${line.pid}`));
  return new Set(ledger.filter((line) => line.kind === "done" && started.has(`${line.taskId} ${line.pid}`)).map((line) => line.loopPid));
}

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

describe("Redis loses data under running loops and two replicas", () => {
  it("FLUSHALL, Redis restarted without persistence, the sweep's keys deleted: overdue tasks come back within two sweep intervals, the loops carry on, nothing that still exists is lost or run twice at once", async () => {
    const ws = workspace("redis-data-loss");
    const run: Env = (env = { ws, servers: [], fleets: [], procs: [], closers: [], failed: true });
    const redis = (run.redis = await startVolatileRedis({ dir: join(ws.dir, "redis"), logFile: join(ws.logDir, "redis.log") }));
    const replicas = await Promise.all(
      ["replica-a", "replica-b"].map((name) => startServer({ name, redisUrl: redis.url, logDir: ws.logDir, sweepInterval: SWEEP_INTERVAL_SECONDS, keyPrefix: KEY_PREFIX })),
    );
    run.servers.push(...replicas);
    const [a, b] = replicas as [ServerHandle, ServerHandle];
    const admin = new Redis(redis.url);
    admin.on("error", () => undefined); // reconnects by itself after the restart
    run.closers.push(() => admin.disconnect());

    const first = await createQueue(a.url);
    const credentials = { queueName: first.queueName, password: first.password };
    let epoch: Epoch = { label: "e0", queueId: first.queueId, client: first.client, collector: new EventCollector(first.client), submitted: [] };
    const epochs = [epoch];
    const backlog = new Backlog(() => epoch);
    run.closers.push(() => backlog.stop());
    await waitFor("the first tasks to be submitted", () => epoch.submitted.length > 0, { timeoutMs: 30_000 });

    // The loops, spread over both replicas: LOOPS with a quick job, and one with a slow job (its own directories). A
    // loop that finds the queue empty ends (exit 0) and is started again while the scenario runs: that can only happen
    // in the moment between creating the queue again and submitting to it.
    const fleet = scenarioFleet(ws, first, {
      size: LOOPS,
      args: ["--", "sh", writeJob(ws.dir, JOB_SECONDS)],
      apiBaseUrl: (index) => (index % 2 === 0 ? a.url : b.url),
      heartbeatInterval: HEARTBEAT_INTERVAL,
    });
    const slowDir = join(ws.dir, "slow");
    mkdirSync(join(slowDir, "logs"), { recursive: true });
    const slow = new Fleet({
      dir: slowDir,
      logDir: join(slowDir, "logs"),
      size: 1,
      args: ["--", "sh", writeJob(slowDir, SLOW_JOB_SECONDS)],
      env: { FAULTS_LEDGER: ws.ledger },
      apiBaseUrl: () => b.url,
      queueName: first.queueName,
      password: first.password,
      heartbeatInterval: HEARTBEAT_INTERVAL,
    });
    const fleets = [fleet, slow];
    run.fleets.push(...fleets);
    for (const each of fleets) each.start();
    let draining = false;
    const supervisors = fleets.map((each) => each.supervise(() => !draining));
    /** Per loop (fleet and index): the pids of every process that has been that loop. */
    const loopPids = () => fleets.flatMap((each, f) => Array.from({ length: f === 0 ? LOOPS : 1 }, (_, index) => new Set(each.all.filter((proc) => each.indexOf(proc) === index).map((proc) => proc.pid))));
    const everyLoopCompletedSince = (since: number, taskIds: Set<string>) => {
      const pids = loopsCompletingSince(readLedger(ws.ledger), since, taskIds);
      return loopPids().every((own) => [...own].some((pid) => pids.has(pid)));
    };
    const slowPids = () => new Set(slow.all.map((proc) => proc.pid));
    await waitFor("every loop to complete a task", () => everyLoopCompletedSince(0, new Set(epoch.submitted)), { timeoutMs: 60_000, intervalMs: 200 });

    let overdueCount = 0;
    const startOverdue = async (label: string): Promise<Overdue> => {
      const queue = await createQueue(b.url, "overdue");
      const name = `overdue-${overdueCount++}-${label.replace(/[^a-z0-9]+/gi, "-")}`;
      const taskId = await queue.client.submitTask({ taskName: name, args: { n: 1 } });
      const claimed = await queue.client.fetchTask({ etaMax: `${ETA_MAX_SECONDS}s` });
      if (claimed?.taskId !== taskId) throw new Error(`the overdue task of ${label} was not claimed: ${JSON.stringify(claimed)}`);
      return { label, queue, taskId };
    };
    const backToPending = async (overdue: Overdue): Promise<Returned> => {
      const task = await waitFor(`the overdue task of ${overdue.label} to be back to pending (the timeout sweep)`, async () => {
        const current = await overdue.queue.client.getTask(overdue.taskId);
        return current.status === "pending" ? current : null;
      }, { timeoutMs: ETA_MAX_SECONDS * 1000 + 15_000, intervalMs: 25 });
      const seen = Date.now();
      const deadline = deadlineOf(task);
      return {
        label: overdue.label,
        lateMs: task.lastModified.getTime() - deadline,
        seenLateMs: seen - deadline,
        retries: task.retries,
        timedOut: "labtasker_error" in task.summary,
      };
    };
    const health = async () => Promise.all(replicas.map((server) => sweepHealth(server)));

    // Before any fault: the sweep returns an overdue task in time (so a failure below is the fault's doing).
    const returns: Returned[] = [];
    const baseline = await startOverdue("no fault");
    returns.push(await backToPending(baseline));

    interface FaultRecord {
      kind: FaultKind;
      /** Where each replica's log stood when the fault hit. */
      replicaLogFrom: number[];
      /** Whether every loop had met the loss (and was waiting to retry) when the queue was created again. */
      loopsWaitingAtRecreate: boolean | null;
      recreatedAfterMs: number | null;
      overdueGone: boolean | null;
      /** The main queue after a fault that is no loss: still the same queue. */
      queueKept: boolean | null;
      /**
       * After a loss: whether the slow loop's run begun before the loss ended after the queue was created again (so its
       * report found its task gone), and the internal errors that loop logged from the loss until it completed a task
       * of the new queue (a task gone is no error).
       */
      slowRunStraddled: boolean | null;
      slowLoopErrors: number | null;
      health: Awaited<ReturnType<typeof health>>;
    }
    const faults: FaultRecord[] = [];
    for (const kind of FAULTS) {
      const loss = kind !== "sweep-keys";
      await waitFor(`the loops to be busy before ${kind}`, () => epoch.collector.succeeded() >= 10, { timeoutMs: 60_000 });
      // Claimed before the fault: its deadline falls about ETA_MAX_SECONDS after it.
      const before = await startOverdue(`before ${kind}`);
      let slowRun: LedgerLine | undefined;
      if (loss) {
        // The loss hits just after the slow loop began a run.
        const since = Date.now();
        slowRun = await waitFor(`the slow loop to begin a run before ${kind}`, () => readLedger(ws.ledger).find((line) => line.kind === "start" && line.time >= since && slowPids().has(line.loopPid)), { timeoutMs: SLOW_JOB_SECONDS * 1000 + 30_000, intervalMs: 20 });
      }
      await backlog.pause();
      if (loss) await epoch.collector.stop(); // the queue it reads is about to go
      const loopLogFrom = new Map(fleets.flatMap((each) => each.loops).map((proc) => [proc, proc.log().length]));
      const record: FaultRecord = { kind, replicaLogFrom: replicas.map((server) => server.proc.log().length), loopsWaitingAtRecreate: null, recreatedAfterMs: null, overdueGone: null, queueKept: null, slowRunStraddled: null, slowLoopErrors: null, health: [] };
      const at = Date.now();
      if (kind === "flushall") await admin.flushall();
      else if (kind === "restart") {
        await redis.crash();
        await redis.restart();
      } else await admin.del(...SWEEP_KEYS);

      if (loss) {
        // Created again once every quick loop has met the loss and waits to retry (its first wait is 1 s), so that no
        // loop fetches in the moment between the queue's creation and the first submit; at most a few seconds. The slow
        // loop is still in its run.
        record.loopsWaitingAtRecreate = await waitFor("every loop to wait before retrying", () => fleet.loops.every((proc) => !proc.running || /Retrying in/.test(proc.log().slice(loopLogFrom.get(proc) ?? 0))), { timeoutMs: 5000, intervalMs: 20 }).then(
          () => true,
          () => false,
        );
        const client = new HttpLabtasker({ baseUrl: a.url, ...credentials });
        const queueId = await client.createQueue(credentials);
        epoch = { label: `e${epochs.length}`, queueId, client, collector: new EventCollector(client), submitted: [] };
        epochs.push(epoch);
        record.recreatedAfterMs = Date.now() - at;
      }
      backlog.resume();
      const recoveredAt = Date.now();

      // Claimed after the fault: only the sweep, running again, can return it.
      const after = await startOverdue(`after ${kind}`);
      returns.push(await backToPending(after));
      if (loss) {
        // The task claimed before the loss is gone with its queue: nothing to return.
        record.overdueGone = await before.queue.client.getTask(before.taskId).then(
          () => false,
          (error: unknown) => (error as { status?: number }).status === 401,
        );
      } else {
        record.queueKept = (await epoch.client.getQueue()).queueId === epoch.queueId;
        returns.push(await backToPending(before));
      }

      // The loops carry on: each completes a task of the queue as it is now, started after the recovery.
      await waitFor(`every loop to complete a task after ${kind}`, () => everyLoopCompletedSince(recoveredAt, new Set(epoch.submitted)), { timeoutMs: 60_000, intervalMs: 200 });
      if (slowRun) {
        const end = readLedger(ws.ledger).find((line) => line.kind === "done" && line.taskId === slowRun.taskId && line.pid === slowRun.pid);
        record.slowRunStraddled = end !== undefined && end.time > recoveredAt;
        record.slowLoopErrors = slow.all.reduce((sum, proc) => sum + count(proc.log().slice(loopLogFrom.get(proc) ?? 0), /Error in task loop/), 0);
      }
      record.health = await health();
      faults.push(record);
    }

    // Drain the last queue: the loops end by themselves once nothing is left.
    draining = true;
    await backlog.stop();
    for (const each of fleets) each.stopSupervising();
    await Promise.all(supervisors);
    const aliveAfterFaults = fleets.flatMap((each) => each.loops).filter((proc) => proc.running).length;
    const last = epoch;
    await waitFor("every task of the last queue to succeed", async () => {
      const status = new Map((await allTasks(last.client)).map((task) => [task.taskId, task.status]));
      return last.submitted.every((id) => status.get(id) === "success");
    }, { timeoutMs: 120_000, intervalMs: 500 });
    await waitFor("the loops to end", () => fleets.every((each) => each.loops.every((proc) => !proc.running)), { timeoutMs: 30_000 });
    const finalHealth = await health();

    const tasks = await allTasks(last.client);
    await last.collector.caughtUp(await lastEventSequence(redis.url, last.queueId, KEY_PREFIX));
    await last.collector.stop();
    const ledger = readLedger(ws.ledger);
    const final = account({ submitted: last.submitted, tasks, events: last.collector.events, ledger });
    // The queues that were lost: their event streams, as far as they were read before the loss.
    const lostQueues = epochs.slice(0, -1).map((lost) => ({ label: lost.label, submitted: lost.submitted.length, succeeded: lost.collector.succeeded(), ...account({ submitted: [], tasks: [], events: lost.collector.events }) }));
    const overlaps = overlappingRuns(ledger);
    // "Redis lost data" lines across both replicas, from each fault to the next one (the last: to the end).
    const logs = replicas.map((server) => server.proc.log());
    const lostDataLines = faults.map((fault, i) =>
      logs.reduce((sum, text, r) => sum + count(text.slice(fault.replicaLogFrom[r], faults[i + 1]?.replicaLogFrom[r] ?? text.length), /Redis lost data/), 0),
    );
    const lostDataLinesBeforeFaults = logs.reduce((sum, text, r) => sum + count(text.slice(0, faults[0]!.replicaLogFrom[r]), /Redis lost data/), 0);
    const loopFailures = fleets.flatMap((each) => each.failures(new Set()).map((proc) => `${each === slow ? "slow " : ""}${proc.name} exit ${JSON.stringify(proc.exit)}: ${proc.log().slice(-1500)}`));
    const internalErrors = fleets.flatMap((each) => each.all).reduce((sum, proc) => sum + count(proc.log(), /Error in task loop/), 0);

    report("redis-data-loss", {
      ...final.figures,
      loops: LOOPS + 1,
      replicas: replicas.length,
      sweepIntervalSeconds: SWEEP_INTERVAL_SECONDS,
      faults: FAULTS,
      lostQueues: lostQueues.map((lost) => ({ label: lost.label, submitted: lost.submitted, succeeded: lost.succeeded, doubleClaims: lost.figures.doubleClaims })),
      overdueReturnedAfterDeadlineMs: returns.map((r) => `${r.label}: ${r.lateMs} (seen ${r.seenLateMs})`),
      returnBoundMs: RETURN_BOUND_MS,
      lostDataLinesPerFault: lostDataLines,
      lostDataLinesBeforeFaults,
      queueRecreatedAfterMs: faults.map((fault) => fault.recreatedAfterMs),
      loopsWaitingAtRecreate: faults.map((fault) => fault.loopsWaitingAtRecreate),
      sweepAgeAfterFaultsMs: faults.map((fault) => fault.health.map((h) => h.ageMs)),
      sweepAgeAtEndMs: finalHealth.map((h) => h.ageMs),
      slowRunStraddledLoss: faults.map((fault) => fault.slowRunStraddled),
      slowLoopInternalErrorsAfterLoss: faults.map((fault) => fault.slowLoopErrors),
      loopInternalErrors: internalErrors,
      loopsStarted: fleet.started + slow.started,
      loopsEndedOnEmptyQueue: fleet.respawnedAfterDone + slow.respawnedAfterDone,
      overlappingRuns: overlaps.length,
    });

    // Nothing that still exists is lost or run twice; the lost queues' streams were sound while they lasted.
    expect(final.violations).toEqual([]);
    expect(lostQueues.flatMap((lost) => lost.violations.map((violation) => `${lost.label}: ${violation}`))).toEqual([]);
    expect(overlaps).toEqual([]);
    expect(backlog.errors).toEqual([]);
    // Overdue tasks: back to pending through the sweep (a timeout, one retry) within two sweep intervals.
    expect(returns).toHaveLength(1 + FAULTS.length + 1);
    expect(returns.filter((r) => !r.timedOut || r.retries !== 1 || r.lateMs < 0 || r.lateMs > RETURN_BOUND_MS)).toEqual([]);
    // The losses did take the data with them; the sweep's keys alone did not take the queue.
    expect(faults.map((fault) => fault.overdueGone)).toEqual([true, true, null]);
    expect(faults.map((fault) => fault.queueKept)).toEqual([null, null, true]);
    // One replica (at most each) noticed each loss: the marker key they keep was gone.
    expect(FAULTS.map((kind, i) => `${kind}: ${lostDataLines[i]}`).filter((_, i) => !(lostDataLines[i]! >= 1 && lostDataLines[i]! <= 2))).toEqual([]);
    // The loops carried on: none ended in error, all were still running when the faults were over. The slow loop's
    // report of a task lost with its queue was dropped without an error, and the loop went on.
    expect(loopFailures).toEqual([]);
    expect(aliveAfterFaults).toBe(LOOPS + 1);
    expect(faults.map((fault) => fault.slowRunStraddled)).toEqual([true, true, null]);
    expect(faults.map((fault) => fault.slowLoopErrors)).toEqual([0, 0, null]);
    // The sweep runs, and says so.
    const healthReads = [...faults.flatMap((fault) => fault.health), ...finalHealth];
    expect(healthReads).toHaveLength(2 * (FAULTS.length + 1));
    expect(healthReads.filter((h) => h.status !== "healthy" || h.intervalSeconds !== SWEEP_INTERVAL_SECONDS || h.ageMs === null || h.ageMs > RETURN_BOUND_MS)).toEqual([]);
    for (const server of replicas) expect(server.proc.running).toBe(true);
    run.failed = false;
  });
});
