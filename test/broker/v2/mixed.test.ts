/**
 * Both protocols on one store, at the broker: v1's tasks run by v2 and the reverse, the fences between them, the
 * shared failure rule, and v1's documents left as v1's.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DirectLabtasker } from "../../../src/broker/direct.js";
import { argsSignature } from "../../../src/broker/requiredFields.js";
import { createV2Queue, runId, taskId } from "./support.js";

async function mixed() {
  const q = await createV2Queue();
  const v1 = new DirectLabtasker(q.broker, { queueName: q.queue, password: "" });
  const queueId = (await q.broker.store.queueIdByName(q.queue))!;
  return Object.assign(q, { v1, queueId });
}

/** The keys of a v1 task record before v2: a v1 document must keep exactly these. */
const V1_TASK_KEYS = [
  "args", "cmd", "createdAt", "heartbeatTimeout", "lastHeartbeat", "lastModified", "maxRetries", "metadata", "priority",
  "queueId", "retries", "startTime", "status", "summary", "taskId", "taskName", "taskTimeout", "workerId",
].sort();

describe("one store, two protocols", () => {
  it("a v1 task claimed and completed by v2: v1 sees success and the result as its summary, and only v1's fields", async () => {
    await using q = await mixed();
    const id = await q.v1.submitTask({ args: { lr: 0.1 }, taskName: "sweep" });
    expect(id).toMatch(/^t_[A-Za-z0-9_-]{12}$/);
    const run = runId();
    const claim = await q.v2.claimTask(q.queue, "default", run);
    expect(claim?.task).toMatchObject({ id, name: "sweep", args: { lr: 0.1 }, attempt: 1, status: "running" });
    expect((await q.v1.getTask(id)).status).toBe("running");
    await q.v2.completeTask(q.queue, id, run, { acc: 0.9 });
    const task = await q.v1.getTask(id);
    expect(task).toMatchObject({ status: "success", summary: { acc: 0.9 }, retries: 0, workerId: null });
    expect(Object.keys(task).sort()).toEqual(V1_TASK_KEYS);
  });

  it("a v1 fetch starts a run (attempt, run id) that fences v2's reports out (stale_run); a v1 failure is v2's last_error", async () => {
    await using q = await mixed();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { args: { a: 1 }, max_attempts: 2 });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await q.v2.unclaimTask(q.queue, id, run);
    const workerId = await q.v1.createWorker();
    const fetched = await q.v1.fetchTask({ workerId });
    expect(fetched?.taskId).toBe(id);
    expect(await q.v2.getTask(q.queue, id)).toMatchObject({ status: "running", attempt: 1, last_route: "default" });
    // A v1 run's id is not stored: its failure's last_error derives it.
    expect((await q.broker.store.readTask(q.queueId, id))!.run_id).toBeUndefined();
    await expect(q.v2.heartbeat(q.queue, id, runId())).rejects.toMatchObject({ code: "stale_run" });
    await expect(q.v2.completeTask(q.queue, id, run, {})).rejects.toMatchObject({ code: "run_finalized", details: { action: "unclaim" } });
    await q.v1.reportTaskStatus(id, "failed", { workerId });
    const failed = await q.v2.getTask(q.queue, id);
    expect(failed).toMatchObject({ status: "pending", attempt: 1, last_error: { type: "TaskFailed", attempt: 1, run_id: expect.stringMatching(/^r_[A-Za-z0-9_-]{12}$/) } });
    expect((await q.v1.getTask(id)).retries).toBe(1);
    // The second charged failure, by a v2 run, is the last of max_attempts 2 (v1's max_retries).
    const second = runId();
    await q.v2.claimTask(q.queue, "default", second);
    await q.v2.failTask(q.queue, id, second, { type: "E", message: "m" });
    expect(await q.v1.getTask(id)).toMatchObject({ status: "failed", retries: 2 });
  });

  it("a v1 report after a v2 claim took the task over is refused; a v2 report after a v1 fetch took it over is stale_run", async () => {
    await using q = await mixed();
    const id = await q.v1.submitTask({ args: { a: 1 } });
    const workerId = await q.v1.createWorker();
    await q.v1.fetchTask({ workerId, heartbeatTimeout: 1 });
    q.clock.advance(2000);
    const run = runId();
    expect((await q.v2.claimTask(q.queue, "default", run))?.task.id).toBe(id); // the claim expired v1's run first
    expect((await q.v2.getTask(q.queue, id)).last_error).toMatchObject({ type: "HeartbeatTimeout" });
    await expect(q.v1.reportTaskStatus(id, "success", { workerId })).rejects.toMatchObject({ status: 409 });
    await q.v2.failTask(q.queue, id, run, { type: "E", message: "m" });
    const next = await q.v1.fetchTask({ workerId });
    expect(next?.taskId).toBe(id);
    await expect(q.v2.completeTask(q.queue, id, run, {})).rejects.toMatchObject({ code: "run_finalized", details: { action: "fail" } });
    await expect(q.v2.completeTask(q.queue, id, runId(), {})).rejects.toMatchObject({ code: "stale_run" });
    await q.v1.reportTaskStatus(id, "success", { workerId });
    expect((await q.v2.getTask(q.queue, id)).status).toBe("succeeded");
  });

  it("v1 fetches only tasks whose routes include default, never a waiting one; v1 lists and counts them all as pending", async () => {
    await using q = await mixed();
    const [gpu, waiting, both] = [taskId(), taskId(), taskId()];
    await q.v2.putTask(q.queue, gpu, { routes: ["gpu"], priority: 9, args: { a: 1 } });
    await q.v2.putTask(q.queue, waiting, { priority: 8, args: { a: 1 }, dependencies: [gpu] });
    await q.v2.putTask(q.queue, both, { routes: ["gpu", "default"], priority: 7, args: { a: 1 } });
    const plain = await q.v1.submitTask({ args: { a: 1 }, priority: 0 });
    expect((await q.v1.countTasks()).pending).toBe(4);
    expect((await q.v1.lsTasks({ status: "pending", sort: [["priority", -1], ["last_modified", 1], ["created_at", 1]] })).content.map((task) => task.taskId)).toEqual([gpu, waiting, both, plain]);
    expect((await q.v1.fetchTask({ requiredFields: ["a"] }))?.taskId).toBe(both);
    expect((await q.v1.fetchTask())?.taskId).toBe(plain);
    expect(await q.v1.fetchTask()).toBeNull();
    expect(await q.v1.fetchTask({ extraFilter: () => true })).toBeNull();
    // v1 changes to a routed task keep it in its route's index.
    await q.v1.updateTasks([{ taskId: gpu, priority: 1 }]);
    expect((await q.v2.claimTask(q.queue, "gpu", runId()))?.task).toMatchObject({ id: gpu, priority: 1 });
  });

  it("a v1 reset of a task v2 failed starts it over (attempt 0 with retries 0)", async () => {
    await using q = await mixed();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { args: { a: 1 }, max_attempts: 1 });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await q.v2.failTask(q.queue, id, run, { type: "E", message: "m" });
    await q.v1.updateTasks([{ taskId: id }], { resetPending: true });
    expect(await q.v2.getTask(q.queue, id)).toMatchObject({ status: "pending", attempt: 0, last_error: { type: "E" } });
  });

  it("a task stored by an earlier version keeps its UUID, for v1 and v2 alike", async () => {
    await using q = await mixed();
    const id = randomUUID();
    const args = '{"a":1}';
    await q.broker.store.submitTasks(q.queueId, q.clock.ms, [{
      taskId: id, taskName: null, argsJson: args, metadataJson: "{}", cmdJson: '""', heartbeatTimeout: null, taskTimeout: null,
      maxRetries: 3, priority: 0, signature: argsSignature(["a"]),
    }]);
    expect((await q.v1.getTask(id)).taskId).toBe(id);
    expect((await q.v2.getTask(q.queue, id)).id).toBe(id);
    const run = runId();
    expect((await q.v2.claimTask(q.queue, "default", run))?.task.id).toBe(id);
    await q.v2.completeTask(q.queue, id, run, {});
    expect((await q.v1.getTask(id)).status).toBe("success");
  });
});
