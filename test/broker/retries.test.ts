import { describe, expect, it } from "vitest";
import { WorkerMismatchError, WorkerSuspendedError } from "../../src/core/errors.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe.each(TRANSPORTS)("retries (contract 3.1 fail()) over %s", (transport) => {
  it.each([
    [0, ["failed"]],
    [1, ["failed"]],
    [3, ["pending", "pending", "failed"]],
  ])("max_retries=%i gives %j after successive failures", async (maxRetries, expected) => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxRetries });
    const statuses: string[] = [];
    for (const _ of expected) {
      expect((await q.api.fetchTask())?.taskId).toBe(taskId);
      await q.api.reportTaskStatus(taskId, "failed");
      statuses.push((await q.api.getTask(taskId)).status);
    }
    expect(statuses).toEqual(expected);
    expect((await q.api.getTask(taskId)).retries).toBe(Math.max(expected.length, 1));
    expect(await q.api.fetchTask()).toBeNull();
  });

  it("treats failed -> failed as a null transition that still merges the summary", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxRetries: 1 });
    await q.api.fetchTask();
    await q.api.reportTaskStatus(taskId, "failed");
    await q.api.reportTaskStatus(taskId, "failed", { summary: { note: "again" } });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "failed", retries: 1, summary: { note: "again" } });
  });
});

describe.each(TRANSPORTS)("worker failure budget (contract 3.3) over %s", (transport) => {
  it("crashes a worker after max_retries cumulative failures, then fetch is 403 until reactivated", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker({ maxRetries: 3 });
    for (let i = 0; i < 3; i++) await q.api.submitTask({ args: { i }, maxRetries: 1 });
    for (let i = 0; i < 3; i++) {
      const task = await q.api.fetchTask({ workerId });
      await q.api.reportTaskStatus(task!.taskId, i === 1 ? "success" : "failed", { workerId });
    }
    // success does not reset the count: 2 failures so far, still active
    expect(await q.api.getWorker(workerId)).toMatchObject({ status: "active", retries: 2 });
    await q.api.submitTask({ args: { i: 9 }, maxRetries: 1 });
    const task = await q.api.fetchTask({ workerId });
    await q.api.reportTaskStatus(task!.taskId, "failed");
    expect(await q.api.getWorker(workerId)).toMatchObject({ status: "crashed", retries: 3 });
    await q.api.submitTask({ args: { i: 10 } });
    await expect(q.api.fetchTask({ workerId })).rejects.toBeInstanceOf(WorkerSuspendedError);
    await q.api.reportWorkerStatus(workerId, "active");
    expect(await q.api.getWorker(workerId)).toMatchObject({ status: "active", retries: 0 });
    expect(await q.api.fetchTask({ workerId })).not.toBeNull();
  });

  it("follows the worker state machine and keeps v1's answer to 'crashed'", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    await q.api.reportWorkerStatus(workerId, "suspended");
    await expect(q.api.reportWorkerStatus(workerId, "suspended")).rejects.toMatchObject({
      status: 400,
      detail: "500: InvalidStateTransition: Cannot transition from suspended to suspended.",
    });
    await expect(q.api.reportWorkerStatus(workerId, "crashed")).rejects.toMatchObject({
      status: 400,
      detail: "400: Invalid report_status: crashed",
    });
    await expect(q.api.reportWorkerStatus("ghost", "active")).rejects.toMatchObject({ status: 404, detail: "Worker ghost not found" });
  });
});

describe.each(TRANSPORTS)("fencing over %s", (transport) => {
  it("refuses a report from a worker that no longer holds the task (409)", async () => {
    await using q = await queueOver(transport);
    const stale = await q.api.createWorker();
    const fresh = await q.api.createWorker();
    const taskId = await q.api.submitTask({ args: { a: 1 }, heartbeatTimeout: 10 });
    await q.api.fetchTask({ workerId: stale });
    q.clock.advance(11_000);
    // The stale worker's heartbeat lapsed; the task is retried and claimed by another worker.
    expect((await q.api.fetchTask({ workerId: fresh }))?.taskId).toBe(taskId);
    const report = q.api.reportTaskStatus(taskId, "success", { workerId: stale });
    await expect(report).rejects.toBeInstanceOf(WorkerMismatchError);
    await expect(report).rejects.toMatchObject({ status: 409, detail: `Task ${taskId} is assigned to worker ${fresh}` });
    await expect(q.api.refreshTaskHeartbeat(taskId, stale)).rejects.toMatchObject({
      status: 403,
      detail: `Task '${taskId}' is assigned to worker '${fresh}', not '${stale}'`,
    });
    await q.api.reportTaskStatus(taskId, "success", { workerId: fresh });
    expect((await q.api.getTask(taskId)).status).toBe("success");
    // A report naming a worker on a task with none says None, as v1 prints it.
    await expect(q.api.reportTaskStatus(taskId, "success", { workerId: stale })).rejects.toMatchObject({
      detail: `Task ${taskId} is assigned to worker None`,
    });
  });
});
