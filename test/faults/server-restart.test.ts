/**
 * Server restarted mid-sweep: `labtasker-server` is killed (SIGKILL) and stopped (SIGTERM), then started again on the
 * same port while 8 loops drain the queue; the loops retry and carry on. Then two replicas behind one Redis (and a
 * plain TCP balancer), one of them killed for good: the loops carry on through the other, and the timeout sweep keeps
 * running there (a task claimed by a worker that never heart-beats, in a queue nobody fetches from, still comes back).
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { HttpLabtasker } from "../../src/client/labtasker.js";
import { account, allTasks, EventCollector, lastEventSequence } from "./support/accounting.js";
import { startBalancer, type Balancer } from "./support/balancer.js";
import { scenarioFleet, type Fleet } from "./support/fleet.js";
import { startLossyProxy } from "./support/lossyProxy.js";
import { readLedger, writeJob } from "./support/ledger.js";
import { startRedis, startServer, waitFor, type RedisHandle, type ServerHandle } from "./support/procs.js";
import { createQueue, report, scaled, setting, workspace, type Workspace } from "./support/scenario.js";

const TASKS = scaled("SERVER_TASKS", 600);
const LOOPS = setting("SERVER_LOOPS", 8);
const JOB_SECONDS = 0.2;
/** Heartbeat timeout 6 s: longer than a restart takes. */
const HEARTBEAT_INTERVAL = 2;

interface Env {
  ws: Workspace;
  redis?: RedisHandle;
  servers: ServerHandle[];
  balancer?: Balancer;
  fleet?: Fleet;
  closers: Array<() => Promise<void>>;
  failed: boolean;
}
let env: Env | undefined;

afterEach(async () => {
  if (!env) return;
  await env.fleet?.stopAll();
  await env.balancer?.close();
  for (const close of env.closers) await close();
  for (const server of env.servers) await server.proc.stop();
  await env.redis?.stop();
  env.ws.cleanup(env.failed);
  env = undefined;
});

/** Internal-error lines of the loops ("Error in task loop"), and the loops that ended in error. */
function loopTrouble(fleet: Fleet) {
  const internalErrors = fleet.all.reduce((sum, proc) => sum + (proc.log().match(/Error in task loop/g)?.length ?? 0), 0);
  const failures = fleet.failures(new Set()).map((proc) => `${proc.name} exit ${JSON.stringify(proc.exit)}: ${proc.log().slice(-1500)}`);
  return { internalErrors, failures };
}

describe("server restarted mid-sweep", () => {
  it("one server killed and restarted, then stopped and restarted, answers lost on the way: the loops retry and carry on", async () => {
    const ws = workspace("server-restart");
    env = { ws, servers: [], closers: [], failed: true };
    const redis = (env.redis = await startRedis({ dataDir: join(ws.dir, "redis") }));
    const server = await startServer({ name: "server", redisUrl: redis.url, logDir: ws.logDir });
    env.servers.push(server);
    // Between the loops and the server: some fetches claim a task whose answer never arrives, some reports are
    // applied but their answer is lost (the client sends them again).
    const proxy = await startLossyProxy(server.url, [
      { route: /^POST \/api\/v1\/queues\/me\/tasks\/next$/, budget: 8, probability: 0.03 },
      { route: /^POST \/api\/v1\/queues\/me\/tasks\/[^/]+\/status$/, budget: 5, probability: 0.03 },
    ]);
    env.closers.push(() => proxy.close());
    const queue = await createQueue(server.url);
    const collector = new EventCollector(queue.client);
    const submitted = await queue.client.submitTasks(Array.from({ length: TASKS }, (_, i) => ({ args: { i } })));
    const fleet = (env.fleet = scenarioFleet(ws, queue, { size: LOOPS, args: ["--", "sh", writeJob(ws.dir, JOB_SECONDS)], apiBaseUrl: () => proxy.url, heartbeatInterval: HEARTBEAT_INTERVAL }));
    const successes = () => collector.succeeded();
    fleet.start();
    const supervisor = fleet.supervise(() => successes() < TASKS);

    const restarts: Array<{ how: string; downMs: number }> = [];
    const gracefulStopMs: number[] = [];
    for (const [fraction, how] of [[0.25, "SIGKILL"], [0.6, "SIGTERM"]] as const) {
      await waitFor(`${fraction * 100}% of the tasks done`, () => successes() >= TASKS * fraction, { timeoutMs: 120_000 });
      const down = Date.now();
      if (how === "SIGKILL") server.proc.killTree();
      else await server.proc.stop();
      await server.proc.exited;
      if (how === "SIGTERM") gracefulStopMs.push(Date.now() - down);
      await sleep(2000);
      await server.restart();
      restarts.push({ how, downMs: Date.now() - down });
    }
    await waitFor("every task to succeed", () => successes() >= TASKS, { timeoutMs: 180_000, intervalMs: 200 });
    fleet.stopSupervising();
    await supervisor;
    await fleet.stopAll();

    const tasks = await allTasks(queue.client);
    await collector.caughtUp(await lastEventSequence(redis.url, queue.queueId));
    await collector.stop();
    const { figures, violations } = account({ submitted, tasks, events: collector.events, ledger: readLedger(ws.ledger) });
    const trouble = loopTrouble(fleet);
    report("server-restart", {
      ...figures,
      loops: LOOPS,
      serverRestarts: restarts.map((restart) => `${restart.how} (down ${restart.downMs} ms)`),
      gracefulStopMs,
      loopsRefusedAtStart: fleet.refusedAtStart.size,
      fetchAnswersLost: proxy.lost[0],
      reportAnswersLost: proxy.lost[1],
      loopInternalErrors: trouble.internalErrors,
      loopsStarted: fleet.started,
      sseReconnects: collector.errors.length,
    });
    expect(violations).toEqual([]);
    expect(trouble.failures).toEqual([]);
    // Each claim whose answer was lost came back after its heartbeat timeout, charged one retry.
    expect(figures.timeouts).toBe(proxy.lost[0]);
    // A graceful stop finishes in-flight requests and ends event streams without waiting for idle clients.
    for (const ms of gracefulStopMs) expect(ms).toBeLessThan(5000);
    env.failed = false;
  });

  it("two replicas, one killed for good: loops carry on through the other, whose timeout sweep keeps running", async () => {
    const ws = workspace("server-replicas");
    env = { ws, servers: [], closers: [], failed: true };
    const redis = (env.redis = await startRedis({ dataDir: join(ws.dir, "redis") }));
    const [a, b] = await Promise.all(["replica-a", "replica-b"].map((name) => startServer({ name, redisUrl: redis.url, logDir: ws.logDir })));
    env.servers.push(a!, b!);
    const balancer = (env.balancer = await startBalancer([a!.port, b!.port]));
    const queue = await createQueue(balancer.url);
    const collector = new EventCollector(queue.client);
    const submitted = await queue.client.submitTasks(Array.from({ length: TASKS }, (_, i) => ({ args: { i } })));
    const fleet = (env.fleet = scenarioFleet(ws, queue, { size: LOOPS, args: ["--", "sh", writeJob(ws.dir, JOB_SECONDS)], apiBaseUrl: () => balancer.url, heartbeatInterval: HEARTBEAT_INTERVAL }));
    const successes = () => collector.succeeded();

    // A queue nobody fetches from: only the sweep can return its abandoned tasks to pending.
    const ghost = await createQueue(b!.url, "ghost");
    const ghostClient = new HttpLabtasker({ baseUrl: b!.url, queueName: ghost.queueName, password: ghost.password });
    await ghostClient.submitTasks(Array.from({ length: 10 }, (_, i) => ({ args: { i } })));

    // When the sweep last ran, as the surviving replica reports it, every 100 ms.
    const sweeps: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const body = (await (await fetch(`${b!.url}/api/v1/polling`)).json()) as { prev_polling: number };
          if (sweeps.at(-1) !== body.prev_polling * 1000) sweeps.push(body.prev_polling * 1000);
        } catch {
          // keep polling
        }
        await sleep(100);
      }
    })();

    fleet.start();
    const supervisor = fleet.supervise(() => successes() < TASKS);
    await waitFor("30% of the tasks done", () => successes() >= TASKS * 0.3, { timeoutMs: 120_000 });
    const killedAt = Date.now();
    a!.proc.killTree();
    await a!.proc.exited;

    // Abandoned claims in the ghost queue come back within their heartbeat timeout plus a sweep or two.
    const returns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const task = await ghostClient.fetchTask({ heartbeatTimeout: 2 });
      expect(task).not.toBeNull();
      const claimed = Date.now();
      await waitFor(`abandoned task ${task!.taskId} to return to pending`, async () => (await ghostClient.getTask(task!.taskId)).status === "pending", { timeoutMs: 90_000, intervalMs: 50 });
      returns.push(Date.now() - claimed);
    }

    await waitFor("every task to succeed", () => successes() >= TASKS, { timeoutMs: 180_000, intervalMs: 200 });
    polling = false;
    await poller;
    fleet.stopSupervising();
    await supervisor;
    await fleet.stopAll();

    const tasks = await allTasks(queue.client);
    await collector.caughtUp(await lastEventSequence(redis.url, queue.queueId));
    await collector.stop();
    const { figures, violations } = account({ submitted, tasks, events: collector.events, ledger: readLedger(ws.ledger) });
    const trouble = loopTrouble(fleet);
    const after = sweeps.filter((time) => time > killedAt);
    const gaps = after.slice(1).map((time, i) => time - after[i]!);
    const maxSweepGapMs = Math.max(after[0]! - killedAt, ...gaps);
    report("server-replicas", {
      ...figures,
      loops: LOOPS,
      replicas: 2,
      replicasKilled: 1,
      balancerResets: balancer.resets,
      abandonedTaskReturnedAfterMs: returns,
      maxSweepGapAfterKillMs: maxSweepGapMs,
      loopInternalErrors: trouble.internalErrors,
      loopsStarted: fleet.started,
      sseReconnects: collector.errors.length,
    });
    expect(violations).toEqual([]);
    expect(trouble.failures).toEqual([]);
    // Heartbeat timeout 2 s, sweep every 0.5 s: back within 4 s; the sweep never paused for more than 3 s.
    for (const ms of returns) expect(ms).toBeLessThan(4000);
    expect(maxSweepGapMs).toBeLessThan(3000);
    env.failed = false;
  });
});
