/**
 * Resumable tasks (issue 14): a run that reaches its deadline goes back to pending with `timeouts + 1` and its
 * retries unchanged while `timeouts < max_timeouts`; after that a timeout is a charged failure. A heartbeat timeout is
 * never a timeout. Both ways a deadline is seen: the sweep or a fetch expiring the run, and the loop's report with
 * `timed_out`.
 */
import { describe, expect, it } from "vitest";
import { BadRequestError } from "../../src/core/errors.js";
import { startTestServerWithQueue } from "../support/http.js";
import { createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe("resumable tasks: the sweep", () => {
  it("puts a run that reached its task timeout back to pending, uncharged, until max_timeouts are spent", async () => {
    await using q = await createTestQueue();
    const workerId = await q.api.createWorker({ maxRetries: 10 });
    const taskId = await q.api.submitTask({ args: { a: 1 }, taskTimeout: 5, maxTimeouts: 2, maxRetries: 3 });
    for (const timeouts of [1, 2]) {
      await q.api.fetchTask({ workerId });
      q.clock.advance(5_001);
      expect(await q.broker.expireAll()).toBe(1);
      const task = await q.api.getTask(taskId);
      expect(task).toMatchObject({ status: "pending", retries: 0, timeouts, maxTimeouts: 2, workerId: null });
      expect(task.summary).toMatchObject({ labtasker_error: "Either heartbeat or task execution timed out" });
      expect(await q.api.getWorker(workerId)).toMatchObject({ retries: 0, status: "active" });
    }
    // The budget is spent: the third timeout is a failure as before, charged to the task and the worker.
    await q.api.fetchTask({ workerId });
    q.clock.advance(5_001);
    expect(await q.broker.expireAll()).toBe(1);
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 1, timeouts: 2 });
    expect(await q.api.getWorker(workerId)).toMatchObject({ retries: 1 });
  });

  it("treats the fetch's eta_max as the run's deadline", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxTimeouts: 1 });
    await q.api.fetchTask({ etaMax: "5s" });
    q.clock.advance(5_001);
    expect(await q.broker.expireAll()).toBe(1);
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 0, timeouts: 1 });
  });

  it("charges a heartbeat timeout as a failure, whatever the task's max_timeouts", async () => {
    await using q = await createTestQueue();
    const workerId = await q.api.createWorker();
    const taskId = await q.api.submitTask({ args: { a: 1 }, heartbeatTimeout: 10, taskTimeout: 100, maxTimeouts: 5 });
    await q.api.fetchTask({ workerId });
    q.clock.advance(10_001);
    expect(await q.broker.expireAll()).toBe(1);
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({ status: "pending", retries: 1, maxTimeouts: 5 });
    expect(task.timeouts).toBeUndefined();
    expect(await q.api.getWorker(workerId)).toMatchObject({ retries: 1 });
  });

  it("without max_timeouts, a task timeout is a charged failure as in v1", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 }, taskTimeout: 5, maxRetries: 1 });
    await q.api.fetchTask();
    q.clock.advance(5_001);
    expect(await q.broker.expireAll()).toBe(1);
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({ status: "failed", retries: 1 });
    expect(task.timeouts).toBeUndefined();
  });

  it("starts the budget again on --reset-pending", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 }, taskTimeout: 5, maxTimeouts: 1 });
    await q.api.fetchTask();
    q.clock.advance(5_001);
    await q.broker.expireAll();
    expect(await q.api.getTask(taskId)).toMatchObject({ timeouts: 1 });
    await q.api.updateTasks([{ taskId }], { resetPending: true });
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({ status: "pending", retries: 0 });
    expect(task.timeouts).toBeUndefined();
  });
});

describe.each(TRANSPORTS)("resumable tasks over %s", (transport) => {
  it("a fetch expires an overdue run as the sweep does", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const taskId = await q.api.submitTask({ args: { a: 1 }, taskTimeout: 5, maxTimeouts: 1 });
    await q.api.fetchTask({ workerId });
    q.clock.advance(5_001);
    const again = await q.api.fetchTask({ workerId });
    expect(again).toMatchObject({ taskId, retries: 0, timeouts: 1, maxTimeouts: 1 });
    expect(await q.api.getWorker(workerId)).toMatchObject({ retries: 0 });
  });

  it("a failed report with timed_out goes back to pending uncharged while timeouts remain, then is a failure", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker({ maxRetries: 10 });
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxTimeouts: 1, maxRetries: 2 });
    await q.api.fetchTask({ workerId });
    await q.api.reportTaskStatus(taskId, "failed", { workerId, timedOut: true, summary: { epoch: 7 } });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 0, timeouts: 1, summary: { epoch: 7 } });
    expect(await q.api.getWorker(workerId)).toMatchObject({ retries: 0 });

    await q.api.fetchTask({ workerId });
    await q.api.reportTaskStatus(taskId, "failed", { workerId, timedOut: true });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "pending", retries: 1, timeouts: 1 });
    expect(await q.api.getWorker(workerId)).toMatchObject({ retries: 1 });
  });

  it("a failed report without timed_out is charged whatever the task's max_timeouts", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxTimeouts: 3 });
    await q.api.fetchTask();
    await q.api.reportTaskStatus(taskId, "failed");
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({ status: "pending", retries: 1 });
    expect(task.timeouts).toBeUndefined();
  });

  it("refuses timed_out beside another status than failed", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxTimeouts: 3 });
    await q.api.fetchTask();
    const refused = q.api.reportTaskStatus(taskId, "success", { timedOut: true });
    await expect(refused).rejects.toBeInstanceOf(BadRequestError);
    await expect(refused).rejects.toMatchObject({ status: 400 });
    expect((await q.api.getTask(taskId)).status).toBe("running");
  });
});

describe("the report's timed_out on the v1 wire", () => {
  it("is a boolean beside status failed; another type is refused as v1's validation refuses a bad field", async () => {
    await using s = await startTestServerWithQueue();
    const submitted = await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { x: 1 }, max_timeouts: 1 } });
    const taskId = ((await submitted.json()) as { task_id: string }).task_id;
    await s.request("POST", "/api/v1/queues/me/tasks/next", { auth: s.auth, body: {} });
    const report = (body: object) => s.request("POST", `/api/v1/queues/me/tasks/${taskId}/status`, { auth: s.auth, body });
    expect((await report({ status: "failed", timed_out: "yes" })).status).toBe(422);
    expect((await report({ status: "success", timed_out: true })).status).toBe(400);
    expect((await report({ status: "failed", timed_out: true })).status).toBe(200);
    const task = (await (await s.request("GET", `/api/v1/queues/me/tasks/${taskId}`, { auth: s.auth, headers: { "labtasker-extensions": "task-fields" } })).json()) as Record<string, unknown>;
    expect(task).toMatchObject({ status: "pending", retries: 0, timeouts: 1 });
  });
});
