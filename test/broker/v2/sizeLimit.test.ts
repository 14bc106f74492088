/**
 * v2's 1 MiB limit on a task's stored data (task_data_too_large, 422), checked as 2.8.0 checks it on every write that
 * grows the task: a completion's result, a progress report, a bulk update (refusing the whole batch before writing).
 */
import { describe, expect, it } from "vitest";
import { createV2Queue, runId, taskId } from "./support.js";

// Half the limit: two of them are over it, one is not.
const HALF = "x".repeat(512 * 1024);
const TOO_LARGE = { code: "task_data_too_large", status: 422, details: { max_bytes: 1048576 } };

describe("stored-data limit", () => {
  it("refuses a result that takes the task over 1 MiB; the run goes on and a smaller result completes it", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { args: { s: HALF } });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await expect(q.v2.completeTask(q.queue, id, run, { r: HALF })).rejects.toMatchObject(TOO_LARGE);
    expect(await q.v2.getTask(q.queue, id)).toMatchObject({ status: "running", result: {} });
    await q.v2.completeTask(q.queue, id, run, { r: "small" });
    expect(await q.v2.getTask(q.queue, id)).toMatchObject({ status: "succeeded", result: { r: "small" } });
    // A repeat after the run ended keeps the run's own answer (accepted as a duplicate), not the size's.
    await q.v2.completeTask(q.queue, id, run, { r: HALF });
  });

  it("a result the script's bound cannot place under 1 MiB is measured exactly: just under the limit completes", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    // A result that brings the task to exactly 1 MiB: the script's bound (each number counted as 25 bytes, each text
    // with 2 to spare) is over the limit, so the script refuses, the exact measure accepts and the script runs again.
    const args = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, "x".repeat(400)]));
    await q.v2.putTask(q.queue, id, { args });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    const exact = JSON.stringify({ args, max_attempts: 3, metadata: {}, name: null, priority: 0, result: { r: "" }, routes: ["default"] }).length;
    const room = 1024 * 1024 - exact;
    await expect(q.v2.completeTask(q.queue, id, run, { r: "y".repeat(room + 1) })).rejects.toMatchObject(TOO_LARGE);
    await q.v2.completeTask(q.queue, id, run, { r: "y".repeat(room) });
    expect((await q.v2.getTask(q.queue, id)).status).toBe("succeeded");
  });

  it("refuses progress that takes the task over 1 MiB, keeping the last accepted progress", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { args: { s: HALF } });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await q.v2.reportProgress(q.queue, id, run, { step: 1 });
    await expect(q.v2.reportProgress(q.queue, id, run, { p: HALF })).rejects.toMatchObject(TOO_LARGE);
    expect((await q.v2.getTask(q.queue, id)).progress).toEqual({ step: 1 });
  });

  it("a stale run gets stale_run, not the size refusal", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { args: { s: HALF } });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await expect(q.v2.completeTask(q.queue, id, runId(), { r: HALF })).rejects.toMatchObject({ code: "stale_run" });
  });

  it("a bulk update taking one match over 1 MiB refuses the whole batch before writing any", async () => {
    await using q = await createV2Queue();
    const [small, large] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, small, { args: { k: 1 } });
    await q.v2.putTask(q.queue, large, { args: { k: 1, s: HALF } });
    await expect(q.v2.updateTasks(q.queue, { filter: "args.k == 1" }, { metadata: { m: HALF } })).rejects.toMatchObject(TOO_LARGE);
    expect((await q.v2.getTask(q.queue, small)).metadata).toEqual({});
    expect(await q.v2.updateTasks(q.queue, { filter: "args.k == 1" }, { metadata: { m: "ok" } })).toEqual({ matched: 2, updated: 2 });
  });
});
