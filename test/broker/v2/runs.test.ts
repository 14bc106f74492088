/**
 * v2's runs: the claim (order, routes, replay) and the run's reports, fenced by its run id (stale_run,
 * run_finalized, effect-idempotent repeats), with the lease in the deadline index the sweep reads.
 */
import { describe, expect, it } from "vitest";
import { createV2Queue, runId, taskId } from "./support.js";

describe("claim", () => {
  it("takes priority high first, then the longest waiting, then creation order; answers null when none", async () => {
    await using q = await createV2Queue();
    const ids = [taskId(), taskId(), taskId(), taskId()];
    await q.v2.putTask(q.queue, ids[0]!, { priority: 0 });
    q.clock.advance(1);
    await q.v2.putTask(q.queue, ids[1]!, { priority: 5 });
    q.clock.advance(1);
    await q.v2.putTask(q.queue, ids[2]!, { priority: 0 });
    await q.v2.putTask(q.queue, ids[3]!, { priority: 5 });
    const order: string[] = [];
    for (let claim = await q.v2.claimTask(q.queue, "default", runId()); claim; claim = await q.v2.claimTask(q.queue, "default", runId())) order.push(claim.task.id);
    expect(order).toEqual([ids[1], ids[3], ids[0], ids[2]]);
  });

  it("a failed retry waits behind its priority class; an unclaimed task too", async () => {
    await using q = await createV2Queue();
    const [a, b] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, a, {});
    await q.v2.putTask(q.queue, b, {});
    const run = runId();
    expect((await q.v2.claimTask(q.queue, "default", run))?.task.id).toBe(a);
    q.clock.advance(1);
    await q.v2.failTask(q.queue, a, run, { type: "E", message: "m" });
    expect((await q.v2.claimTask(q.queue, "default", runId()))?.task.id).toBe(b);
  });

  it("takes only tasks whose routes include the route; `default` ignores the args' keys", async () => {
    await using q = await createV2Queue();
    const [gpu, both, plain, other] = [taskId(), taskId(), taskId(), taskId()];
    await q.v2.putTask(q.queue, gpu, { routes: ["gpu"], priority: 3, args: { a: 1 } });
    await q.v2.putTask(q.queue, both, { routes: ["gpu", "default"], priority: 2, args: { b: 1 } });
    await q.v2.putTask(q.queue, plain, { priority: 1, args: { c: { d: 1 } } });
    await q.v2.putTask(q.queue, other, { routes: ["cpu"] });
    expect(await q.v2.claimTask(q.queue, "tpu", runId())).toBeNull();
    const claim = await q.v2.claimTask(q.queue, "gpu", runId());
    expect(claim).toMatchObject({ task: { id: gpu, status: "running", attempt: 1, last_route: "gpu" } });
    expect((await q.v2.claimTask(q.queue, "default", runId()))?.task).toMatchObject({ id: both, last_route: "default" });
    expect(await q.v2.claimTask(q.queue, "gpu", runId())).toBeNull(); // both is running now
    expect((await q.v2.claimTask(q.queue, "default", runId()))?.task.id).toBe(plain);
    expect(await q.v2.claimTask(q.queue, "default", runId())).toBeNull();
    expect((await q.v2.claimTask(q.queue, "cpu", runId()))?.task.id).toBe(other);
    await expect(q.v2.claimTask("no-such-queue", "default", runId())).rejects.toMatchObject({ code: "queue_not_found", status: 404 });
  });

  it("replays the same claim for the same run id; a run id running on another route is run_id_conflict; one that ended is stale_run", async () => {
    await using q = await createV2Queue();
    const [a, b] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, a, {});
    await q.v2.putTask(q.queue, b, {});
    const run = runId();
    const claim = await q.v2.claimTask(q.queue, "default", run);
    q.clock.advance(1000);
    expect(await q.v2.claimTask(q.queue, "default", run)).toEqual(claim);
    await expect(q.v2.claimTask(q.queue, "gpu", run)).rejects.toMatchObject({ code: "run_id_conflict", status: 409, details: { run_id: run } });
    await q.v2.completeTask(q.queue, a, run, {});
    await expect(q.v2.claimTask(q.queue, "default", run)).rejects.toMatchObject({ code: "stale_run", status: 409, details: { run_id: run } });
    expect((await q.v2.getTask(q.queue, b)).status).toBe("pending");
  });
});

describe("the run's reports", () => {
  it("heartbeat renews the lease; progress keeps the latest snapshot without renewing it, and each claim resets it", async () => {
    await using q = await createV2Queue({ v2LeaseSeconds: 10 });
    const id = taskId();
    await q.v2.putTask(q.queue, id, {});
    const run = runId();
    const claim = await q.v2.claimTask(q.queue, "default", run);
    expect(claim!.lease_expires_at).toEqual(new Date(q.clock.ms + 10_000));
    q.clock.advance(6000);
    expect(await q.v2.heartbeat(q.queue, id, run)).toEqual(new Date(q.clock.ms + 10_000));
    q.clock.advance(6000);
    await q.v2.reportProgress(q.queue, id, run, { completed: 1, total: 4 });
    const task = await q.v2.getTask(q.queue, id);
    expect(task).toMatchObject({ progress: { completed: 1, total: 4 }, progress_attempt: 1, progress_updated_at: new Date(q.clock.ms) });
    expect(task.updated_at).toEqual(claim!.task.updated_at);
    q.clock.advance(5000); // 11 s after the heartbeat: progress did not renew the lease
    expect(await q.broker.expireAll()).toBe(1);
    const expired = await q.v2.getTask(q.queue, id);
    expect(expired).toMatchObject({ status: "pending", attempt: 1, last_error: { type: "HeartbeatTimeout", attempt: 1, run_id: run, traceback: null }, result: {} });
    expect((await q.v2.claimTask(q.queue, "default", runId()))?.task).toMatchObject({ attempt: 2, progress: null, progress_attempt: null, progress_updated_at: null });
  });

  it("complete is effect-idempotent for its run; any other action of the run after it is run_finalized", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, {});
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await q.v2.completeTask(q.queue, id, run, { a: 1 });
    await q.v2.completeTask(q.queue, id, run, { a: 2 });
    expect((await q.v2.getTask(q.queue, id))).toMatchObject({ status: "succeeded", result: { a: 1 } });
    for (const action of [
      () => q.v2.failTask(q.queue, id, run, { type: "E", message: "m" }),
      () => q.v2.unclaimTask(q.queue, id, run),
      () => q.v2.heartbeat(q.queue, id, run),
      () => q.v2.reportProgress(q.queue, id, run, {}),
    ]) {
      await expect(action()).rejects.toMatchObject({ code: "run_finalized", status: 409, details: { action: "complete" } });
    }
    const stranger = runId();
    await expect(q.v2.heartbeat(q.queue, id, stranger)).rejects.toMatchObject({ code: "stale_run", details: { run_id: stranger } });
    await expect(q.v2.completeTask(q.queue, taskId(), run, {})).rejects.toMatchObject({ code: "task_not_found" });
  });

  it("fail charges the shared rule: back to pending while retries < max_retries, then failed; a repeat changes nothing", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { max_attempts: 2 });
    const first = runId();
    await q.v2.claimTask(q.queue, "default", first);
    await q.v2.failTask(q.queue, id, first, { type: "E1", message: "one" });
    await q.v2.failTask(q.queue, id, first, { type: "E9", message: "repeat" });
    expect(await q.v2.getTask(q.queue, id)).toMatchObject({ status: "pending", attempt: 1, last_error: { type: "E1", message: "one", attempt: 1, run_id: first } });
    await expect(q.v2.completeTask(q.queue, id, first, {})).rejects.toMatchObject({ code: "run_finalized", details: { action: "fail" } });
    const second = runId();
    await q.v2.claimTask(q.queue, "default", second);
    // The first run's reports are still told how it ended while a later run holds the task (2.8.0 keeps it).
    await expect(q.v2.unclaimTask(q.queue, id, first)).rejects.toMatchObject({ code: "run_finalized", details: { action: "fail" } });
    await q.v2.failTask(q.queue, id, second, { type: "E2", message: "two", traceback: "line 1" });
    expect(await q.v2.getTask(q.queue, id)).toMatchObject({ status: "failed", attempt: 2, last_error: { type: "E2", traceback: "line 1", attempt: 2 } });
    await expect(q.v2.failTask(q.queue, id, first, { type: "E", message: "m" })).rejects.toMatchObject({ code: "stale_run" });
  });

  it("unclaim gives the attempt back, charges nothing, and is idempotent", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { max_attempts: 1 });
    for (let i = 0; i < 3; i++) {
      const run = runId();
      expect((await q.v2.claimTask(q.queue, "default", run))?.task.attempt).toBe(1);
      await q.v2.unclaimTask(q.queue, id, run);
      await q.v2.unclaimTask(q.queue, id, run);
    }
    expect(await q.v2.getTask(q.queue, id)).toMatchObject({ status: "pending", attempt: 0, last_error: null });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await q.v2.failTask(q.queue, id, run, { type: "E", message: "m" });
    expect((await q.v2.getTask(q.queue, id)).status).toBe("failed");
  });

  it("a report after the lease passed expires the task there (run_finalized heartbeat_expired); the sweep charges it otherwise", async () => {
    await using q = await createV2Queue({ v2LeaseSeconds: 5 });
    const [a, b] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, a, { max_attempts: 1, priority: 1 });
    await q.v2.putTask(q.queue, b, {});
    const [runA, runB] = [runId(), runId()];
    await q.v2.claimTask(q.queue, "default", runA);
    await q.v2.claimTask(q.queue, "default", runB);
    q.clock.advance(5000);
    await expect(q.v2.completeTask(q.queue, a, runA, {})).rejects.toMatchObject({ code: "run_finalized", details: { action: "heartbeat_expired" } });
    expect(await q.v2.getTask(q.queue, a)).toMatchObject({ status: "failed", last_error: { type: "HeartbeatTimeout", run_id: runA } });
    await expect(q.v2.claimTask(q.queue, "default", runB)).rejects.toMatchObject({ code: "stale_run" });
    q.clock.advance(1);
    expect(await q.broker.expireAll()).toBe(1);
    expect(await q.v2.getTask(q.queue, b)).toMatchObject({ status: "pending", attempt: 1, last_error: { type: "HeartbeatTimeout" } });
    await expect(q.v2.heartbeat(q.queue, b, runB)).rejects.toMatchObject({ code: "run_finalized", details: { action: "heartbeat_expired" } });
  });
});
