/**
 * v2 loops killed: labtasker 2.8.0's own Python worker (`@labtasker.loop`, test/faults/bin/v2-loop.py) drains a queue
 * through /api/v2 while, every few seconds, one loop gets SIGKILL in the middle of a task and a new one starts. The
 * killed runs' leases expire (the server runs with LABTASKER_V2_LEASE_SECONDS, a few seconds instead of 300) and
 * their tasks are claimed again: every task succeeds once (nothing lost), no task is worked on by two runs at once,
 * each killed attempt is charged as a HeartbeatTimeout, and a killed run's late completion is refused (409).
 *
 * Skipped unless test/compat-v2/.venv exists (test/compat-v2/setup_venv.sh). FAULTS_V2_SERVER=reference runs the
 * same scenario against labtasker 2.8.0's own server (test/compat-v2/tools/serve_reference.py) instead of ours.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/store/embeddedRedis.js";
import { cleanEnv, ROOT, spawnLogged, startRedis, startServer, waitFor, type Proc, type RedisHandle } from "./support/procs.js";
import { report, scaled, setting, workspace, type Workspace } from "./support/scenario.js";

const V2_PYTHON = join(ROOT, "test/compat-v2/.venv/bin/python");
const LOOP_SCRIPT = join(ROOT, "test/faults/bin/v2-loop.py");
const REFERENCE_SERVER = join(ROOT, "test/compat-v2/tools/serve_reference.py");
const AGAINST_REFERENCE = process.env.FAULTS_V2_SERVER === "reference";

const TASKS = scaled("V2_KILL_TASKS", 200);
const LOOPS = setting("V2_KILL_LOOPS", 4);
const KILL_EVERY_MS = setting("V2_KILL_EVERY_MS", 1500);
const MAX_KILLS = setting("V2_KILLS", 8);
const JOB_SECONDS = setting("V2_KILL_JOB_SECONDS", 0.3);
const LEASE_SECONDS = setting("V2_LEASE_SECONDS", 3);
const IDLE_TIMEOUT_SECONDS = 60; // longer than a lease and its expiry scan: loops wait for killed tasks to come back

interface V2Task {
  id: string;
  status: string;
  attempt: number;
  args: { i: number };
  result: { i?: number; runId?: string };
  last_error: { type: string; run_id: string } | null;
}

interface LedgerLine {
  kind: "start" | "end";
  taskId: string;
  runId: string;
  attempt: number;
  pid: number;
  time: number;
}

interface Reply {
  status: number;
  body: unknown;
}

/** One /api/v2 request: the status and the decoded JSON body (undefined when empty, the text when not JSON). */
async function v2(base: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${base}/api/v2/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let decoded: unknown = text || undefined;
  try {
    decoded = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // not JSON (an error page): kept as text for the failure message
  }
  return { status: response.status, body: decoded };
}

async function v2ok<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await v2(base, method, path, body);
  if (reply.status >= 300) throw new Error(`${method} ${path}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as T;
}

function readLedger(file: string): LedgerLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line)
    .map((line) => JSON.parse(line) as LedgerLine);
}

/** Every task of the queue, through the keyset cursor. */
async function allTasks(base: string, queue: string): Promise<V2Task[]> {
  const tasks: V2Task[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=1000&order_by=created_at&descending=false${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await v2ok<{ items: V2Task[]; next_cursor: string | null }>(base, "GET", `queues/${queue}/tasks?${query}`);
    tasks.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return tasks;
}

const taskId = () => `t_${randomBytes(9).toString("base64url")}`;

describe.skipIf(!existsSync(V2_PYTHON))(`v2 loops killed (${AGAINST_REFERENCE ? "labtasker 2.8.0's server" : "our server"})`, () => {
  let ws: Workspace;
  let redis: RedisHandle | undefined;
  let server: Proc;
  let baseUrl: string;
  let failed = true;

  beforeAll(async () => {
    ws = workspace("v2-loops-killed");
    const env = { LABTASKER_V2_LEASE_SECONDS: String(LEASE_SECONDS), NO_PROXY: "127.0.0.1,localhost" };
    if (AGAINST_REFERENCE) {
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      server = spawnLogged("server", V2_PYTHON, [REFERENCE_SERVER, "serve", "--connection", "http", "--host", "127.0.0.1", "--port", String(port), "--database", join(ws.dir, "server.db")], join(ws.logDir, "server.log"), { env: cleanEnv(env), cwd: ws.dir });
      await waitFor("labtasker-server 2.8.0 to answer", async () => {
        if (!server.running) throw new Error(`server exited: ${server.log().slice(-2000)}`);
        return (await fetch(`${baseUrl}/health`)).ok;
      });
    } else {
      redis = await startRedis({ dataDir: join(ws.dir, "redis") });
      const ours = await startServer({ name: "server", redisUrl: redis.url, logDir: ws.logDir, env });
      server = ours.proc;
      baseUrl = ours.url;
    }
  });

  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
    ws?.cleanup(failed);
  });

  it("every task succeeds once; no two runs of a task overlap; killed runs expire, are charged and fenced", async () => {
    const queue = `faults-v2-${randomBytes(4).toString("hex")}`;
    await v2ok(baseUrl, "PUT", `queues/${queue}`);
    const ids = Array.from({ length: TASKS }, taskId);
    for (let start = 0; start < ids.length; start += 25) {
      await Promise.all(ids.slice(start, start + 25).map((id, k) => v2ok(baseUrl, "PUT", `queues/${queue}/tasks/${id}`, { args: { i: start + k }, max_attempts: 20 })));
    }
    const ledger = join(ws.dir, "ledger.jsonl");
    const started = Date.now();

    let spawned = 0;
    const spawnLoop = (): Proc => {
      const name = `loop-${spawned++}`;
      const root = join(ws.dir, name);
      mkdirSync(root, { recursive: true });
      const env = cleanEnv({ LABTASKER_URL: baseUrl, LABTASKER_QUEUE: queue, LABTASKER_ROOT: root, PYTHONUNBUFFERED: "1", NO_PROXY: "127.0.0.1,localhost" });
      return spawnLogged(name, V2_PYTHON, [LOOP_SCRIPT, ledger, String(JOB_SECONDS), String(IDLE_TIMEOUT_SECONDS)], join(ws.logDir, `${name}.log`), { env, cwd: root });
    };
    const loops = Array.from({ length: LOOPS }, spawnLoop);
    const allLoops = [...loops];
    const killed: Array<{ pid: number; taskId: string; runId: string; frozenAt: number }> = [];
    const probes: Array<Promise<{ taskId: string; status: number; code: string; resultAfter: unknown }>> = [];

    const succeeded = async () => (await v2ok<{ count: number }>(baseUrl, "GET", `queues/${queue}/tasks/count?status=succeeded`)).count;

    /** Once another run holds the killed run's task, the killed run reports completion: it must be refused. */
    const probeStaleComplete = async (victim: { taskId: string; runId: string }) => {
      await waitFor(`task ${victim.taskId} to be claimed again`, () => readLedger(ledger).some((line) => line.taskId === victim.taskId && line.kind === "start" && line.runId !== victim.runId), { timeoutMs: 120_000, intervalMs: 200 });
      const reply = await v2(baseUrl, "POST", `queues/${queue}/tasks/${victim.taskId}/complete`, { run_id: victim.runId, result: { stale: true } });
      const after = await v2ok<V2Task>(baseUrl, "GET", `queues/${queue}/tasks/${victim.taskId}`);
      return { taskId: victim.taskId, status: reply.status, code: (reply.body as { error?: { code?: string } } | undefined)?.error?.code ?? "", resultAfter: after.result };
    };

    const deadline = Date.now() + 480_000;
    let done = 0;
    while ((done = await succeeded()) < TASKS) {
      if (Date.now() > deadline) throw new Error(`only ${done} of ${TASKS} tasks succeeded in time`);
      await sleep(KILL_EVERY_MS);
      // A loop that ended on its own (it should not, before the queue is drained) is replaced.
      for (let k = 0; k < loops.length; k++) {
        if (!loops[k]!.running) {
          loops[k] = spawnLoop();
          allLoops.push(loops[k]!);
        }
      }
      if (killed.length >= MAX_KILLS || done >= TASKS * 0.9) continue;
      const k = Math.floor(Math.random() * loops.length);
      const victim = loops[k]!;
      // Frozen before the ledger is read: a run that ends in between would be reported and never claimed again.
      victim.freezeTree("SIGSTOP");
      const last = readLedger(ledger).filter((line) => line.pid === victim.pid).at(-1);
      if (!last || last.kind !== "start") {
        victim.freezeTree("SIGCONT"); // between two tasks: another victim at the next round
        continue;
      }
      killed.push({ pid: victim.pid, taskId: last.taskId, runId: last.runId, frozenAt: Date.now() });
      victim.killTree();
      loops[k] = spawnLoop();
      allLoops.push(loops[k]!);
      if (probes.length < 4) probes.push(probeStaleComplete(last));
    }
    const drainSeconds = (Date.now() - started) / 1000;
    const staleProbes = await Promise.all(probes);
    await Promise.all(loops.map((proc) => proc.stop(5_000)));

    const tasks = await allTasks(baseUrl, queue);
    const lines = readLedger(ledger);
    const killedPids = new Set(killed.map((victim) => victim.pid));
    const violations: string[] = [];
    expect(tasks).toHaveLength(TASKS);
    for (const task of tasks) {
      const runs = new Map<string, { start?: LedgerLine; end?: LedgerLine }>();
      for (const line of lines.filter((l) => l.taskId === task.id)) {
        const run = runs.get(line.runId) ?? {};
        run[line.kind] = line;
        runs.set(line.runId, run);
      }
      const ends = [...runs.values()].filter((run) => run.end);
      if (task.status !== "succeeded") violations.push(`${task.id}: ${task.status}, not succeeded (lost)`);
      if (ends.length !== 1) violations.push(`${task.id}: worked to the end by ${ends.length} runs`);
      if (task.result.runId !== ends[0]?.end?.runId || task.result.i !== task.args.i) violations.push(`${task.id}: result ${JSON.stringify(task.result)} is not its finished run's`);
      if (task.attempt !== runs.size) violations.push(`${task.id}: attempt ${task.attempt} after ${runs.size} runs`);
      // Runs in start order: each ends (its end line, or the freeze that preceded its SIGKILL) before the next starts.
      const spans = [...runs.entries()]
        .map(([runId, run]) => {
          const victim = killed.find((v) => v.runId === runId);
          return { runId, start: run.start?.time ?? NaN, stop: run.end?.time ?? victim?.frozenAt ?? Infinity };
        })
        .sort((a, b) => a.start - b.start);
      for (let k = 1; k < spans.length; k++) {
        if (spans[k]!.start < spans[k - 1]!.stop) violations.push(`${task.id}: run ${spans[k]!.runId} started while ${spans[k - 1]!.runId} ran`);
      }
      const wasKilled = killed.some((victim) => victim.taskId === task.id);
      if (wasKilled && task.last_error?.type !== "HeartbeatTimeout") violations.push(`${task.id}: killed, but last_error is ${JSON.stringify(task.last_error)}`);
      if (!wasKilled && task.last_error !== null) violations.push(`${task.id}: never killed, but last_error is ${JSON.stringify(task.last_error)}`);
    }
    const loopFailures = allLoops
      .filter((proc) => !killedPids.has(proc.pid) && proc.exit && proc.exit.code !== 0 && proc.exit.signal !== "SIGTERM")
      .map((proc) => `${proc.name} exit ${JSON.stringify(proc.exit)}: ${proc.log().slice(-1500)}`);

    report("v2-loops-killed", {
      server: AGAINST_REFERENCE ? "labtasker-server 2.8.0" : "ours",
      tasks: TASKS,
      loops: LOOPS,
      loopsStarted: allLoops.length,
      kills: killed.length,
      leaseSeconds: LEASE_SECONDS,
      reclaimedAfterKill: new Set(killed.map((victim) => victim.taskId)).size,
      runs: new Set(lines.map((line) => line.runId)).size,
      staleReportsRefused: staleProbes.filter((probe) => probe.status === 409).length,
      staleReportsTried: staleProbes.length,
      drainSeconds,
    });

    expect(violations).toEqual([]);
    expect(loopFailures).toEqual([]);
    expect(killed.length).toBeGreaterThanOrEqual(3);
    expect(staleProbes.length).toBeGreaterThan(0);
    for (const probe of staleProbes) {
      // run_finalized while the killed run is the task's latest finished one; stale_run once a newer run finished.
      expect(probe).toMatchObject({ status: 409 });
      expect(["run_finalized", "stale_run"]).toContain(probe.code);
      expect(probe.resultAfter).not.toEqual({ stale: true });
    }
    failed = false;
  });
});
