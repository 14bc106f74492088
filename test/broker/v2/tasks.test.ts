/**
 * v2's operations on one task (create-by-id, get, PATCH, cancel, requeue, delete), each error code as labtasker
 * 2.8.0's own server answers it (checked against it: HTTP status and code).
 */
import { describe, expect, it } from "vitest";
import { V2Error } from "../../../src/core/v2/errors.js";
import { LosslessNumber } from "../../../src/json.js";
import { createV2Queue, runId, taskId } from "./support.js";

describe("create by id", () => {
  it("creates with v2's defaults, and a replay of the same creation returns the task as it is now", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    const { task, created } = await q.v2.putTask(q.queue, id, { name: "n", args: { x: new LosslessNumber("1.0") } });
    expect(created).toBe(true);
    expect(task).toMatchObject({
      id, queue: q.queue, status: "pending", archived: false, name: "n", metadata: {}, priority: 0, attempt: 0, max_attempts: 3,
      routes: ["default"], dependencies: [], result: {}, progress: null, last_error: null, last_route: null, started_at: null, finished_at: null,
    });
    expect(String(task.args.x)).toBe("1.0");
    await q.v2.updateTask(q.queue, id, { priority: 5 });
    // The same request, its defaults spelt out and its keys in another order: a replay.
    const replay = await q.v2.putTask(q.queue, id, { args: { x: new LosslessNumber("1.0") }, priority: 0, routes: ["default"], name: "n", metadata: {} });
    expect(replay.created).toBe(false);
    expect(replay.task.priority).toBe(5);
  });

  it("refuses another creation under a taken id (task_id_conflict, 409), 1 and 1.0 being different", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { args: { x: new LosslessNumber("1.0") } });
    for (const other of [{ args: { x: 1 } }, { args: { x: new LosslessNumber("1.0") }, name: "n" }, { args: { x: new LosslessNumber("1.0") }, routes: ["gpu"] }]) {
      await expect(q.v2.putTask(q.queue, id, other)).rejects.toMatchObject({ code: "task_id_conflict", status: 409, details: { task_id: id, queue: q.queue } });
    }
    // A task submitted by v1 has no creation of v2's: its id is taken.
    const [v1Id] = await q.broker.tasks.submit(await q.broker.store.queueIdByName(q.queue) as string, [{ args: { a: 1 } }]);
    await expect(q.v2.putTask(q.queue, v1Id!, { args: { a: 1 } })).rejects.toMatchObject({ code: "task_id_conflict" });
  });

  it("sorts routes, keeps dependencies in order, and answers queue_not_found (404) and invalid_task_id (422)", async () => {
    await using q = await createV2Queue();
    const dependency = taskId();
    const { task } = await q.v2.putTask(q.queue, taskId(), { routes: ["gpu", "cpu"], dependencies: [dependency] });
    expect(task.routes).toEqual(["cpu", "gpu"]);
    expect(task.dependencies).toEqual([dependency]);
    await expect(q.v2.putTask("no-such-queue", taskId(), {})).rejects.toMatchObject({ code: "queue_not_found", status: 404, details: { queue: "no-such-queue" } });
    await expect(q.v2.putTask(q.queue, "t_short", {})).rejects.toMatchObject({ code: "invalid_task_id", status: 422 });
    await expect(q.v2.putTask(q.queue, taskId(), { dependencies: ["nope"] })).rejects.toMatchObject({ code: "invalid_task", status: 422 });
  });
});

describe("get", () => {
  it("answers task_not_found (404) for a missing task, and for a missing queue too, as 2.8.0 does", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { name: "x" });
    expect((await q.v2.getTask(q.queue, id)).name).toBe("x");
    await expect(q.v2.getTask(q.queue, taskId())).rejects.toMatchObject({ code: "task_not_found", status: 404 });
    await expect(q.v2.getTask("no-such-queue", id)).rejects.toMatchObject({ code: "task_not_found", details: { queue: "no-such-queue", task_id: id } });
    await expect(q.v2.getTask(q.queue, "not-an-id")).rejects.toBeInstanceOf(V2Error);
  });
});

describe("PATCH", () => {
  it("replaces each field named, and writes nothing (updated_at stays) when nothing changes", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { args: { a: 1 }, metadata: { m: 1 } });
    q.clock.advance(1000);
    const same = await q.v2.updateTask(q.queue, id, { args: { a: 1 }, metadata: { m: 1 }, priority: 0 });
    expect(same.updated_at).toEqual(same.created_at);
    q.clock.advance(1000);
    const updated = await q.v2.updateTask(q.queue, id, { name: "renamed", args: { b: [1, 2] }, metadata: {}, priority: -3, max_attempts: 5, result: { r: true } });
    expect(updated).toMatchObject({ name: "renamed", args: { b: [1, 2] }, metadata: {}, priority: -3, max_attempts: 5, result: { r: true } });
    expect(updated.updated_at.getTime()).toBe(updated.created_at.getTime() + 2000);
    expect(await q.v2.getTask(q.queue, id)).toEqual(updated);
  });

  it("refuses a running task (task_running, 409), archiving an unfinished one and leaving a pending one no attempt (update_conflict)", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, {});
    await expect(q.v2.updateTask(q.queue, id, { archived: true })).rejects.toMatchObject({
      code: "update_conflict", status: 409, details: { task_id: id, field: "archived", status: "pending" },
    });
    await q.v2.claimTask(q.queue, "default", runId());
    await expect(q.v2.updateTask(q.queue, id, { priority: 1 })).rejects.toMatchObject({ code: "task_running", status: 409, details: { task_id: id } });
    await expect(q.v2.updateTask(q.queue, id, {})).rejects.toMatchObject({ code: "task_running" });
    await expect(q.v2.updateTask(q.queue, taskId(), { priority: 1 })).rejects.toMatchObject({ code: "task_not_found" });
    const other = taskId();
    await q.v2.putTask(q.queue, other, {});
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await q.v2.unclaimTask(q.queue, other, run);
    await q.v2.claimTask(q.queue, "default", runId()); // attempt 1 again
    const pending = taskId();
    await q.v2.putTask(q.queue, pending, {});
    const third = runId();
    expect((await q.v2.claimTask(q.queue, "default", third))?.task.id).toBe(pending);
    await q.v2.failTask(q.queue, pending, third, { type: "E", message: "m" });
    await expect(q.v2.updateTask(q.queue, pending, { max_attempts: 1 })).rejects.toMatchObject({ code: "update_conflict", details: { field: "max_attempts", attempt: 1 } });
    expect((await q.v2.updateTask(q.queue, pending, { max_attempts: 2 })).max_attempts).toBe(2);
  });

  it("archives and restores a finished task, which keeps its finished_at", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, {});
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    q.clock.advance(1000);
    const finished = new Date(q.clock.ms);
    await q.v2.completeTask(q.queue, id, run, {});
    q.clock.advance(1000);
    const archived = await q.v2.updateTask(q.queue, id, { archived: true });
    expect(archived).toMatchObject({ archived: true, finished_at: finished, updated_at: new Date(q.clock.ms) });
    expect(await q.v2.countTasks(q.queue)).toBe(0);
    expect((await q.v2.updateTask(q.queue, id, { archived: false })).archived).toBe(false);
    expect(await q.v2.countTasks(q.queue)).toBe(1);
  });
});

describe("cancel and requeue", () => {
  it("cancels pending and running tasks, idempotently; refuses a finished one (task_state_conflict, 409)", async () => {
    await using q = await createV2Queue();
    const [a, b] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, a, { priority: 1 });
    await q.v2.putTask(q.queue, b, {});
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    q.clock.advance(10);
    const cancelled = await q.v2.cancelTask(q.queue, a);
    expect(cancelled).toMatchObject({ status: "cancelled", finished_at: new Date(q.clock.ms) });
    await expect(q.v2.completeTask(q.queue, a, run, {})).rejects.toMatchObject({ code: "run_finalized", details: { action: "cancel" } });
    expect((await q.v2.cancelTask(q.queue, a)).status).toBe("cancelled");
    expect((await q.v2.cancelTask(q.queue, b)).finished_at).toBeNull();
    const done = taskId();
    await q.v2.putTask(q.queue, done, { priority: 9 });
    const second = runId();
    await q.v2.claimTask(q.queue, "default", second);
    await q.v2.completeTask(q.queue, done, second, {});
    await expect(q.v2.cancelTask(q.queue, done)).rejects.toMatchObject({ code: "task_state_conflict", status: 409, details: { task_id: done, status: "succeeded" } });
    await expect(q.v2.cancelTask(q.queue, taskId())).rejects.toMatchObject({ code: "task_not_found" });
  });

  it("requeues a failed or cancelled task from scratch (attempt 0, last_error cleared, unarchived); refuses running and succeeded", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, { max_attempts: 1 });
    const run = runId();
    await q.v2.claimTask(q.queue, "default", run);
    await expect(q.v2.requeueTask(q.queue, id)).rejects.toMatchObject({ code: "task_state_conflict", details: { status: "running" } });
    await q.v2.failTask(q.queue, id, run, { type: "ValueError", message: "bad", traceback: "tb" });
    const failed = await q.v2.getTask(q.queue, id);
    expect(failed).toMatchObject({ status: "failed", attempt: 1, last_error: { type: "ValueError", message: "bad", traceback: "tb", attempt: 1, run_id: run } });
    await q.v2.updateTask(q.queue, id, { archived: true });
    const requeued = await q.v2.requeueTask(q.queue, id);
    expect(requeued).toMatchObject({ status: "pending", attempt: 0, last_error: null, archived: false });
    expect((await q.v2.claimTask(q.queue, "default", runId()))?.task.id).toBe(id);
    const other = taskId();
    await q.v2.putTask(q.queue, other, {});
    const second = runId();
    await q.v2.claimTask(q.queue, "default", second);
    await q.v2.completeTask(q.queue, other, second, {});
    await expect(q.v2.requeueTask(q.queue, other)).rejects.toMatchObject({ code: "task_state_conflict", details: { status: "succeeded" } });
  });
});

describe("delete", () => {
  it("is idempotent, refuses a running task (task_running) and a missing queue (queue_not_found)", async () => {
    await using q = await createV2Queue();
    const id = taskId();
    await q.v2.putTask(q.queue, id, {});
    await q.v2.claimTask(q.queue, "default", runId());
    await expect(q.v2.deleteTask(q.queue, id)).rejects.toMatchObject({ code: "task_running", status: 409 });
    await q.v2.cancelTask(q.queue, id);
    await q.v2.deleteTask(q.queue, id);
    await q.v2.deleteTask(q.queue, id);
    await expect(q.v2.getTask(q.queue, id)).rejects.toMatchObject({ code: "task_not_found" });
    await expect(q.v2.deleteTask("no-such-queue", id)).rejects.toMatchObject({ code: "queue_not_found" });
    expect(await q.v2.countTasks(q.queue)).toBe(0);
  });
});
