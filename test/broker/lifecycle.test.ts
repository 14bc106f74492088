import { describe, expect, it } from "vitest";
import { InvalidStateTransitionError, TaskNotFoundError } from "../../src/core/errors.js";
import { parseJson } from "../../src/json.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe.each(TRANSPORTS)("task lifecycle over %s", (transport) => {
  it("submits with v1's defaults and returns every field", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { lr: 0.1, "optim.momentum": 0.9 } });
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({
      taskId,
      queueId: q.queueId,
      status: "pending",
      taskName: null,
      startTime: null,
      lastHeartbeat: null,
      heartbeatTimeout: null,
      taskTimeout: null,
      maxRetries: 3,
      retries: 0,
      priority: 10,
      metadata: {},
      args: { lr: 0.1, optim: { momentum: 0.9 } },
      cmd: "",
      summary: {},
      workerId: null,
    });
    expect(task.createdAt.getTime()).toBe(q.clock.ms);
    expect(task.lastModified.getTime()).toBe(q.clock.ms);
  });

  it("refuses a task with neither args nor cmd, and conflicting dotted keys", async () => {
    await using q = await queueOver(transport);
    await expect(q.api.submitTask({})).rejects.toThrow("Either args or cmd must be provided");
    await expect(q.api.submitTask({ args: { a: 1, "a.b": 2 } })).rejects.toThrow(
      "Conflict detected at key: a. Cannot merge nested and non-nested keys.",
    );
    await expect(q.api.submitTask({ args: { "bad key": 1 } })).rejects.toMatchObject({ status: 422 });
  });

  it("keeps numbers exactly as submitted", async () => {
    await using q = await queueOver(transport);
    const args = parseJson('{"lr":3.0,"big":12345678901234567890,"tiny":1e-05}') as Record<string, never>;
    const taskId = await q.api.submitTask({ args });
    const fetched = await q.api.fetchTask();
    expect(fetched?.taskId).toBe(taskId);
    expect(String(fetched?.args.lr)).toBe("3.0");
    expect(String(fetched?.args.big)).toBe("12345678901234567890");
    expect(String(fetched?.args.tiny)).toBe("1e-05");
  });

  it("runs pending -> running -> success, clearing the worker", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const taskId = await q.api.submitTask({ args: { x: 1 }, heartbeatTimeout: 60 });
    q.clock.advance(1000);
    const task = await q.api.fetchTask({ workerId, cmd: ["python", "job.py"] });
    expect(task).toMatchObject({ taskId, status: "running", workerId, cmd: ["python", "job.py"], summary: {} });
    expect(task?.startTime?.getTime()).toBe(q.clock.ms);
    expect(task?.lastHeartbeat?.getTime()).toBe(q.clock.ms);
    await q.api.reportTaskStatus(taskId, "success", { workerId, summary: { acc: 0.9 } });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "success", workerId: null, summary: { acc: 0.9 } });
  });

  it("refuses transitions the state machine forbids, with v1's detail", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    await expect(q.api.reportTaskStatus(taskId, "success")).rejects.toMatchObject({
      status: 400,
      detail: "500: InvalidStateTransition: Cannot transition from pending to success.",
    });
    await expect(q.api.reportTaskStatus(taskId, "failed")).rejects.toThrow(
      "500: InvalidStateTransition: Cannot fail task in pending state.",
    );
    await expect(q.api.reportTaskStatus(taskId, "failed")).rejects.toBeInstanceOf(InvalidStateTransitionError);
    await q.api.reportTaskStatus(taskId, "cancelled");
    expect((await q.api.getTask(taskId)).status).toBe("cancelled");
    // cancelled -> cancelled is allowed; cancelled tasks are never fetched.
    await q.api.reportTaskStatus(taskId, "cancelled");
    expect(await q.api.fetchTask()).toBeNull();
  });

  it("404s for an unknown task, with the detail of each route", async () => {
    await using q = await queueOver(transport);
    await expect(q.api.getTask("nope")).rejects.toMatchObject({ status: 404, detail: "Task not found" });
    await expect(q.api.deleteTask("nope")).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(q.api.reportTaskStatus("nope", "success")).rejects.toMatchObject({ status: 404, detail: "Task nope not found" });
  });

  it("deletes a task from every index", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { x: 1 } });
    await q.api.deleteTask(taskId);
    expect(await q.api.fetchTask()).toBeNull();
    expect((await q.api.lsTasks()).content).toEqual([]);
  });
});
