/**
 * Workers killed: 8 loops drain 1,000 short tasks; every few seconds one loop and its command get SIGKILL and a new
 * loop starts. The killed loops' tasks come back to pending after their heartbeat timeout and are completed once;
 * each killed attempt counts one retry (v1); a stale worker cannot report over a newer claim (409), neither one that
 * reports by hand nor a real loop frozen (SIGSTOP) past its heartbeat timeout and then woken up.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabtaskerError } from "../../src/core/errors.js";
import { account, allTasks, EventCollector, lastEventSequence } from "./support/accounting.js";
import { scenarioFleet } from "./support/fleet.js";
import { readLedger, writeJob } from "./support/ledger.js";
import { startRedis, startServer, waitFor, type Proc, type RedisHandle, type ServerHandle } from "./support/procs.js";
import { createQueue, report, scaled, setting, workspace, type QueueHandle, type Workspace } from "./support/scenario.js";

const TASKS = scaled("KILL_TASKS", 1000);
const LOOPS = setting("KILL_LOOPS", 8);
const KILL_EVERY_MS = setting("KILL_EVERY_MS", 2000);
const JOB_SECONDS = setting("KILL_JOB_SECONDS", 0.2);
const HEARTBEAT_INTERVAL = 1; // s; the loops' heartbeat timeout is 3 x this

describe("workers killed", () => {
  let ws: Workspace;
  let redis: RedisHandle;
  let server: ServerHandle;
  let queue: QueueHandle;
  let failed = true;

  beforeAll(async () => {
    ws = workspace("workers-killed");
    redis = await startRedis({ dataDir: `${ws.dir}/redis` });
    server = await startServer({ name: "server", redisUrl: redis.url, logDir: ws.logDir, sweepInterval: 0.5 });
    queue = await createQueue(server.url);
  });

  afterAll(async () => {
    await server?.proc.stop();
    await redis?.stop();
    ws?.cleanup(failed);
  });

  it("completes every task once; killed attempts come back and count one retry each; stale reports get 409", async () => {
    const collector = new EventCollector(queue.client);
    const job = writeJob(ws.dir, JOB_SECONDS);
    const started = Date.now();
    const submitted = await queue.client.submitTasks(Array.from({ length: TASKS }, (_, i) => ({ taskName: `t${i}`, args: { i } })));
    expect(submitted).toHaveLength(TASKS);

    const fleet = scenarioFleet(ws, queue, { size: LOOPS, args: ["--", "sh", job], apiBaseUrl: () => server.url, heartbeatInterval: HEARTBEAT_INTERVAL });
    const successes = () => collector.succeeded();
    fleet.start();
    const supervisor = fleet.supervise(() => successes() < TASKS);

    const killed = new Set<Proc>();
    const frozen = new Set<Proc>();
    const staleProbes: Array<{ taskId: string; status: number; detail: string; holderBefore: string; holderAfter: string; statusAfter: string }> = [];
    let frozenRefusals = 0;
    let kills = 0;

    /** The worker id and running task of a loop, from the ledger (its latest line). */
    const currentRun = (proc: Proc) => {
      const lines = readLedger(ws.ledger).filter((line) => line.loopPid === proc.pid);
      const last = lines.at(-1);
      return last && last.kind === "start" ? last : undefined;
    };

    /** Once `taskId` is claimed again by another worker, the killed worker reports success over that claim. */
    const probeStaleReport = async (taskId: string, staleWorker: string) => {
      const reclaim = await waitFor(`task ${taskId} to be claimed again`, () =>
        collector.events.find((e) => e.entityId === taskId && e.oldState === "pending" && e.newState === "running" && e.entityData.worker_id !== staleWorker),
      { timeoutMs: 60_000 });
      const holderBefore = String(reclaim.entityData.worker_id);
      let status = 200;
      let detail = "";
      try {
        await queue.client.reportTaskStatus(taskId, "success", { workerId: staleWorker, summary: { stale: true } });
      } catch (error) {
        status = (error as LabtaskerError).status;
        detail = (error as Error).message;
      }
      const after = await queue.client.getTask(taskId);
      staleProbes.push({ taskId, status, detail, holderBefore, holderAfter: String(after.workerId), statusAfter: after.status });
    };

    const probes: Promise<void>[] = [];
    let freezeDone = false;
    while (successes() < TASKS * 0.95) {
      await sleep(KILL_EVERY_MS);
      const candidates = fleet.loops.filter((proc) => proc.running && !frozen.has(proc));
      if (candidates.length === 0) continue;

      // Once, halfway: freeze a loop while it runs a task, past its heartbeat timeout, then wake it up.
      if (!freezeDone && successes() > TASKS / 2) {
        const target = candidates[Math.floor(Math.random() * candidates.length)]!;
        target.freezeTree("SIGSTOP");
        const run = currentRun(target); // read after the freeze: the run cannot end meanwhile
        if (!run) {
          target.freezeTree("SIGCONT"); // between two tasks: try again at the next round
          continue;
        }
        freezeDone = true;
        frozen.add(target);
        // Woken up only once another worker holds the task: its report then comes over a newer claim.
        await waitFor(`frozen task ${run.taskId} to be claimed by another worker`, () =>
          collector.events.find((e) => e.entityId === run.taskId && e.oldState === "pending" && e.newState === "running" && e.entityData.worker_id !== run.workerId), { timeoutMs: 30_000 });
        target.freezeTree("SIGCONT");
        await waitFor("the frozen loop's report to be refused", () => /report was refused/.test(target.log()) || !target.running, { timeoutMs: 30_000 });
        if (/report was refused/.test(target.log())) frozenRefusals += 1;
        continue;
      }

      const victim = candidates[Math.floor(Math.random() * candidates.length)]!;
      // Frozen before its ledger is read: a job that ends in between would be reported, and never claimed again.
      victim.freezeTree("SIGSTOP");
      const run = currentRun(victim);
      victim.killTree();
      killed.add(victim);
      kills += 1;
      fleet.spawn(fleet.indexOf(victim));
      if (run && staleProbes.length + probes.length < 5) probes.push(probeStaleReport(run.taskId, run.workerId));
    }
    await Promise.all(probes);
    await waitFor("every task to succeed", () => successes() >= TASKS, { timeoutMs: 120_000, intervalMs: 200 });
    const drainSeconds = (Date.now() - started) / 1000;
    fleet.stopSupervising();
    await supervisor;
    await waitFor("the loops to end", () => fleet.loops.every((proc) => !proc.running), { timeoutMs: 30_000 });
    await fleet.stopAll();

    const tasks = await allTasks(queue.client);
    await collector.caughtUp(await lastEventSequence(redis.url, queue.queueId));
    await collector.stop();

    const ledger = readLedger(ws.ledger);
    const disturbedPids = new Set([...killed, ...frozen].map((proc) => proc.pid));
    const disturbedWorkers = new Set(ledger.filter((line) => disturbedPids.has(line.loopPid)).map((line) => line.workerId));
    const { figures, violations } = account({ submitted, tasks, events: collector.events, ledger, disturbedWorkers });

    const loopFailures = fleet.failures(killed).map((proc) => `${proc.name} exit ${JSON.stringify(proc.exit)}: ${proc.log().slice(-1500)}`);
    report("workers-killed", {
      ...figures,
      loops: LOOPS,
      loopsStarted: fleet.started,
      kills,
      frozen: frozen.size,
      frozenReportRefused: frozenRefusals,
      staleReportsRefused: staleProbes.filter((probe) => probe.status === 409).length,
      staleReportsTried: staleProbes.length,
      loopsRespawnedAfterDone: fleet.respawnedAfterDone,
      drainSeconds,
      sseReconnects: collector.errors.length,
    });

    expect(violations).toEqual([]);
    expect(loopFailures).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(figures.timeouts).toBeGreaterThanOrEqual(1);
    expect(staleProbes.length).toBeGreaterThan(0);
    for (const probe of staleProbes) {
      expect(probe, `${JSON.stringify(probe)}`).toMatchObject({ status: 409 });
      // The newer claim is untouched: still that worker's, or finished by it since (v1 then clears worker_id).
      expect(probe.statusAfter === "success" ? probe.holderBefore : probe.holderAfter).toBe(probe.holderBefore);
    }
    expect(frozenRefusals).toBe(1);
    failed = false;
  });
});
