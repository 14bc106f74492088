import { describe, expect, it } from "vitest";
import { TimeoutSweeper } from "../../src/broker/sweeper.js";
import { createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe("timeouts (contract 3.5)", () => {
  it("writes summary.labtasker_error and frees the worker on expiry", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 }, taskTimeout: 5, maxRetries: 1 });
    await q.api.fetchTask({ startHeartbeat: false, etaMax: "5" });
    await q.api.reportTaskStatus(taskId, "running", { summary: { epoch: 3.0, note: "keep me" } });
    q.clock.advance(5_001);
    expect(await q.broker.expireAll()).toBe(1);
    const task = await q.api.getTask(taskId);
    expect(task).toMatchObject({
      status: "failed",
      workerId: null,
      summary: { epoch: 3, note: "keep me", labtasker_error: "Either heartbeat or task execution timed out" },
    });
  });

  it("uses the earlier of heartbeat expiry and task timeout", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 }, heartbeatTimeout: 100, taskTimeout: 10 });
    await q.api.fetchTask();
    q.clock.advance(5_000);
    await q.api.refreshTaskHeartbeat(taskId);
    q.clock.advance(5_001);
    expect(await q.broker.expireAll()).toBe(1);
    expect((await q.api.getTask(taskId)).status).toBe("pending");
  });

  it("expires tasks through the periodic sweep within a second of the deadline", async () => {
    await using q = await createTestQueue({ now: Date.now });
    const taskId = await q.api.submitTask({ args: { a: 1 }, heartbeatTimeout: 0.2 });
    await q.api.fetchTask();
    const deadline = Date.now() + 200;
    await using _sweeper = await TimeoutSweeper.start(q.broker, { intervalMs: 250 });
    let status = "running";
    while (status === "running" && Date.now() < deadline + 3000) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = (await q.api.getTask(taskId)).status;
    }
    expect(status).toBe("pending");
    expect(Date.now() - deadline).toBeLessThan(1000);
  });
});

describe.each(TRANSPORTS)("timeouts (contract 3.5) over %s", (transport) => {
  it("fails and retries a task whose heartbeat lapsed, charging its worker, when the next fetch runs", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const taskId = await q.api.submitTask({ args: { a: 1 }, heartbeatTimeout: 30 });
    await q.api.fetchTask({ workerId });
    q.clock.advance(20_000);
    await q.api.refreshTaskHeartbeat(taskId, workerId);
    q.clock.advance(30_000); // exactly the timeout: not yet expired (v1 compares with >)
    expect(await q.api.fetchTask()).toBeNull();
    expect((await q.api.getTask(taskId)).status).toBe("running");
    q.clock.advance(1);
    const retried = await q.api.fetchTask();
    expect(retried).toMatchObject({ taskId, retries: 1 });
    expect(await q.api.getWorker(workerId)).toMatchObject({ retries: 1, status: "active" });
  });

  it("refuses heartbeats for tasks that are not running", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await expect(q.api.refreshTaskHeartbeat(taskId)).rejects.toMatchObject({
      status: 404,
      detail: `Task '${taskId}' not found in queue '${q.queueId}' or not in 'running' state`,
    });
  });
});
