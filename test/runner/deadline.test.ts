/**
 * Run time of resumable tasks in the loop runtime (the SDK's view): a run's deadline (LABTASKER_DEADLINE,
 * `remainingTime()`), the job's signal aborted with SIGTERM `grace` seconds before it, the run reported as timed out,
 * the run directory reused by the task's next attempt, and the task's `env` in the job's environment.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JobTimedOutError, RUNNER_ENV, findRunDir, finish, remainingTime, runLoop, silentLogger, type LoopJobContext, type LoopOptions } from "../../src/runner/index.js";
import { slotArgv } from "../../src/cli/loop/pool/argv.js";
import { createTestQueue } from "../support/redis.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function scratchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "deadline-test-"));
  roots.push(root);
  return root;
}

function options(api: LoopOptions["client"], job: LoopOptions["job"], more: Partial<LoopOptions> = {}): LoopOptions {
  return { client: api, job, root: scratchRoot(), handleSignals: false, promptOnFailure: false, log: silentLogger, uploadLogs: false, ...more };
}

describe("run deadlines in the loop runtime", () => {
  it("exports LABTASKER_DEADLINE and answers remainingTime() from the task's timeout, or the loop's etaMax", async () => {
    await using q = await createTestQueue({ now: () => Date.now() });
    await q.api.submitTask({ args: { n: 1 }, taskTimeout: 100 });
    await q.api.submitTask({ args: { n: 2 } });
    const seen: Array<{ remaining: number | null; env: string | undefined; own: string | undefined }> = [];
    await runLoop(
      options(q.api, async (_task, context) => {
        seen.push({ remaining: remainingTime(), env: context.env[RUNNER_ENV.deadline], own: process.env[RUNNER_ENV.deadline] });
      }),
    );
    const [withTimeout, without] = seen;
    expect(withTimeout!.remaining).toBeGreaterThan(98);
    expect(withTimeout!.remaining).toBeLessThanOrEqual(100);
    expect(Number(withTimeout!.env)).toBeCloseTo(Date.now() / 1000 + 100, -1);
    expect(withTimeout!.env).toMatch(/^\d+$/);
    expect(without).toEqual({ remaining: null, env: undefined, own: undefined });

    await q.api.submitTask({ args: { n: 3 }, taskTimeout: 100 });
    let etaMaxRemaining: number | null = null;
    await runLoop(options(q.api, async () => void (etaMaxRemaining = remainingTime()), { etaMax: "20s" }));
    expect(etaMaxRemaining).toBeGreaterThan(18);
    expect(etaMaxRemaining).toBeLessThanOrEqual(20);
    expect(process.env[RUNNER_ENV.deadline]).toBeUndefined(); // restored when the loop ends
  });

  it("reads LABTASKER_DEADLINE outside the loop's process", () => {
    const saved = process.env[RUNNER_ENV.deadline];
    try {
      process.env[RUNNER_ENV.deadline] = String(Math.floor(Date.now() / 1000) + 50);
      expect(remainingTime()).toBeGreaterThan(48);
      expect(remainingTime()).toBeLessThanOrEqual(50);
      delete process.env[RUNNER_ENV.deadline];
      expect(remainingTime()).toBeNull();
    } finally {
      if (saved !== undefined) process.env[RUNNER_ENV.deadline] = saved;
    }
  });

  it("aborts the job's signal with SIGTERM `grace` seconds before the deadline, reports the run timed out, and resumes it in the same directory", async () => {
    await using q = await createTestQueue({ now: () => Date.now() });
    const taskId = await q.api.submitTask({ args: { n: 1 }, taskTimeout: 2, maxTimeouts: 1 });
    const runs: Array<{ logDir: string; reason: unknown; afterMs: number }> = [];
    const job = async (_task: unknown, context: LoopJobContext) => {
      const started = Date.now();
      if (runs.length === 0) {
        writeFileSync(join(context.logDir, "checkpoint"), "epoch 7");
        await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
      }
      runs.push({ logDir: context.logDir, reason: context.signal.reason, afterMs: Date.now() - started });
    };
    const result = await runLoop(options(q.api, job, { grace: 1 }));
    expect(result).toMatchObject({ reason: "done", timedOut: 1, succeeded: 1, failed: 0 });
    expect(runs[0]!.reason).toBe("SIGTERM");
    expect(runs[0]!.afterMs).toBeGreaterThanOrEqual(900);
    expect(runs[0]!.afterMs).toBeLessThan(1900);
    expect(runs[1]!.logDir).toBe(runs[0]!.logDir);
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "success", retries: 0, timeouts: 1 });
  });

  it("caps the grace at half the run's time limit, so a short task runs for half its limit before its SIGTERM", async () => {
    await using q = await createTestQueue({ now: () => Date.now() });
    const taskId = await q.api.submitTask({ args: { n: 1 }, taskTimeout: 2 });
    const sigtermAfterMs: number[] = [];
    const abortedAtStart: boolean[] = [];
    await runLoop(
      options(q.api, async (_task, context) => {
        const started = Date.now();
        abortedAtStart.push(context.signal.aborted); // the default 30 s grace would stop it at once
        await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve(), { once: true }));
        sigtermAfterMs.push(Date.now() - started);
      }),
    );
    expect(abortedAtStart).toEqual([false, false, false]);
    for (const ms of sigtermAfterMs) {
      expect(ms).toBeGreaterThanOrEqual(850); // half of 2 s, less the fetch's share of the run's start
      expect(ms).toBeLessThan(1_900);
    }
    // It returned after its SIGTERM: timed out, without max_timeouts a charged failure, each run, until it failed.
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "failed", retries: 3 });
  });

  it("a job's JobTimedOutError is a timeout; without timeouts left it is a charged failure", async () => {
    await using q = await createTestQueue({ now: () => Date.now() });
    const taskId = await q.api.submitTask({ args: { n: 1 }, maxRetries: 1 });
    const result = await runLoop(
      options(q.api, async () => {
        throw new JobTimedOutError("out of time");
      }),
    );
    expect(result).toMatchObject({ timedOut: 1, failed: 0 });
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({ status: "failed", retries: 1 });
    expect(task.summary).toMatchObject({ labtasker_exception: { type: "TimeoutError", message: "out of time" } });
  });

  it("a job's own finish(\"failed\", ..., { timedOut: true }) reports a timeout", async () => {
    await using q = await createTestQueue({ now: () => Date.now() });
    const taskId = await q.api.submitTask({ args: { n: 1 }, maxTimeouts: 1 });
    let runs = 0;
    await runLoop(
      options(q.api, async () => {
        runs += 1;
        if (runs === 1) await finish("failed", { saved: "epoch 3" }, { timedOut: true });
      }),
    );
    expect(runs).toBe(2);
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "success", retries: 0, timeouts: 1 });
  });

  it("sets the task's env for the job, except CUDA_VISIBLE_DEVICES and LABTASKER_* which stay the loop's", async () => {
    await using q = await createTestQueue({ now: () => Date.now() });
    await q.api.submitTask({
      args: { n: 1 },
      env: { MY_SETTING: "from-task", HOME_OVERRIDE: "x", CUDA_VISIBLE_DEVICES: "7", LABTASKER_WORKER_ID: "not-mine" },
    });
    const savedCuda = process.env.CUDA_VISIBLE_DEVICES;
    const savedSetting = process.env.MY_SETTING;
    process.env.CUDA_VISIBLE_DEVICES = "3";
    process.env.MY_SETTING = "from-loop";
    let env: NodeJS.ProcessEnv = {};
    try {
      const result = await runLoop(options(q.api, async (_task, context) => void (env = context.env)));
      expect(env).toMatchObject({ MY_SETTING: "from-task", HOME_OVERRIDE: "x", CUDA_VISIBLE_DEVICES: "3", LABTASKER_WORKER_ID: result.workerId });
    } finally {
      if (savedCuda === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
      else process.env.CUDA_VISIBLE_DEVICES = savedCuda;
      if (savedSetting === undefined) delete process.env.MY_SETTING;
      else process.env.MY_SETTING = savedSetting;
    }
  });
});

describe("findRunDir", () => {
  it("finds the first run directory of a task by the id in its name", () => {
    const parent = scratchRoot();
    for (const name of [
      "run_t2026-01-02-10-00-00_nNone_idt_AAAAAAAAAAAA_rd0000000a",
      "run_t2026-01-01-09-00-00_ntrain_idt_AAAAAAAAAAAA_rd0000000b",
      "run_t2026-01-01-08-00-00_nNone_idt_BBBBBBBBBBBB_rd0000000c",
      "run_t2026-01-01-07-00-00_nx_idt_AAAAAAAAAAAA_rd0000000c_copy",
    ]) {
      mkdirSync(join(parent, name));
    }
    expect(findRunDir(parent, "t_AAAAAAAAAAAA")).toBe("run_t2026-01-01-09-00-00_ntrain_idt_AAAAAAAAAAAA_rd0000000b");
    expect(findRunDir(parent, "t_CCCCCCCCCCCC")).toBeNull();
    expect(findRunDir(join(parent, "missing"), "t_AAAAAAAAAAAA")).toBeNull();
  });
});

describe("the GPU pool", () => {
  it("passes --grace on to every slot", () => {
    expect(slotArgv(["loop", "--gpus", "2", "--grace", "5", "--eta-max", "1h", "--", "run"], null)).toEqual(["loop", "--grace", "5", "--eta-max", "1h", "--", "run"]);
  });
});
