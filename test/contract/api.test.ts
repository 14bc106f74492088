/**
 * One contract, two transports: the same scenarios against the broker directly and against our HTTP server through
 * the HTTP client must give the same results and the same error classes.
 */
import { describe, expect, it } from "vitest";
import {
  AuthError,
  InvalidStateTransitionError,
  QueueExistsError,
  TaskNotFoundError,
  UpdateFailedError,
  ValidationError,
  WorkerMismatchError,
  WorkerNotFoundError,
  WorkerSuspendedError,
} from "../../src/core/errors.js";
import { parseJson, type JsonObject } from "../../src/json.js";
import type { QueueEvent } from "../../src/core/model.js";
import { formatWireDate } from "../../src/wire/v1/datetime.js";
import { workerToWire } from "../../src/wire/v1/index.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe.each(TRANSPORTS)("the Labtasker API over %s", (transport) => {
  it("runs a task from submit to success, keeping number forms", async () => {
    await using q = await queueOver(transport);
    const args = parseJson('{"lr":3.0,"big":12345678901234567890,"model":"vit"}') as JsonObject;
    const taskId = await q.api.submitTask({ args, taskName: "grid", metadata: { tags: ["v1"] } });
    const workerId = await q.api.createWorker({ workerName: "gpu0" });
    const task = await q.api.fetchTask({ workerId, requiredFields: ["lr", "big", "model"], cmd: ["python", "train.py"] });
    expect(task).toMatchObject({ taskId, status: "running", workerId, taskName: "grid", cmd: ["python", "train.py"] });
    expect(String(task?.args.lr)).toBe("3.0");
    expect(String(task?.args.big)).toBe("12345678901234567890");
    expect(task?.createdAt).toBeInstanceOf(Date);
    await q.api.refreshTaskHeartbeat(taskId, workerId);
    await q.api.reportTaskStatus(taskId, "success", { workerId, summary: parseJson('{"acc":1.0}') as JsonObject });
    const done = await q.api.getTask(taskId);
    expect(done).toMatchObject({ status: "success", workerId: null });
    expect(String(done.summary.acc)).toBe("1.0");
  });

  it("raises the same error classes", async () => {
    await using q = await queueOver(transport);
    await expect(q.api.createQueue({ queueName: q.queueName, password: "x" })).rejects.toBeInstanceOf(QueueExistsError);
    await expect(q.api.getTask("missing")).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(q.api.submitTask({ args: { "bad key": 1 } })).rejects.toBeInstanceOf(ValidationError);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await expect(q.api.reportTaskStatus(taskId, "success")).rejects.toBeInstanceOf(InvalidStateTransitionError);
    const workerId = await q.api.createWorker();
    await q.api.reportWorkerStatus(workerId, "suspended");
    await expect(q.api.fetchTask({ workerId })).rejects.toBeInstanceOf(WorkerSuspendedError);
    await q.api.reportWorkerStatus(workerId, "active");
    await q.api.fetchTask({ workerId });
    await expect(q.api.reportTaskStatus(taskId, "success", { workerId: "someone-else" })).rejects.toBeInstanceOf(WorkerMismatchError);
    const pending = await q.api.submitTask({ args: { a: 2 } });
    const failure = q.api.updateTasks([{ taskId: pending, status: "success" }, { taskId: "ghost", priority: 1 }]);
    await expect(failure).rejects.toBeInstanceOf(UpdateFailedError);
    await expect(failure).rejects.toMatchObject({
      failures: [[pending, "InvalidStateTransition: Cannot transition from pending to success."], ["ghost", "Task ghost not found."]],
    });
  });

  it("refuses other queues' credentials and wrong passwords", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    const other = await q.other();
    await expect(other.getTask(taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await other.fetchTask()).toBeNull();
  });

  it("filters with Python-style expressions and Mongo queries, sorts and pages", async () => {
    await using q = await queueOver(transport);
    for (const [lr, tags] of [[0.1, ["v1"]], [0.001, ["v1"]], [0.5, ["v2"]], [0.05, ["v1", "x"]]] as const) {
      await q.api.submitTask({ args: { lr }, metadata: { tags: [...tags] } });
    }
    const python = await q.api.lsTasks({ extraFilter: 'args.lr > 0.01 and "v1" in list(metadata.tags)', sort: [["args.lr", -1]] });
    expect(python.content.map((t) => t.args.lr)).toEqual([0.1, 0.05]);
    const mongo = await q.api.lsTasks({ extraFilter: { "metadata.tags": { $in: ["v2", "x"] } }, sort: [["args.lr", 1]] });
    expect(mongo.content.map((t) => t.args.lr)).toEqual([0.05, 0.5]);
    const dictLiteral = await q.api.lsTasks({ extraFilter: "{'args.lr': 0.5}" });
    expect(dictLiteral.content.map((t) => t.args.lr)).toEqual([0.5]);
    const created = await q.api.lsTasks({ extraFilter: 'created_at >= date("2000-01-01")', limit: 2, offset: 2 });
    expect(created.content).toHaveLength(2);
    const fetched = await q.api.fetchTask({ extraFilter: '"v2" in list(metadata.tags)' });
    expect(fetched?.args.lr).toBe(0.5);
  });

  it("updates with merge, replace and reset, and lists workers", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { lr: 0.1, opt: { m: 0.9 } }, maxRetries: 1 });
    await q.api.fetchTask();
    await q.api.reportTaskStatus(taskId, "failed");
    const merged = await q.api.updateTasks([{ taskId, args: { "opt.m": 0.5 } }]);
    expect(merged.content[0]).toMatchObject({ status: "failed", args: { lr: 0.1, opt: { m: 0.5 } } });
    const reset = await q.api.updateTasks([{ taskId, args: { x: 1 }, replaceFields: ["args"] }], { resetPending: true });
    expect(reset.content[0]).toMatchObject({ status: "pending", retries: 0, args: { x: 1 } });
    const workerId = await q.api.createWorker({ workerName: "w1", metadata: { host: "n1" } });
    expect((await q.api.lsWorkers({ extraFilter: 'worker_name == "w1"' })).content.map((w) => w.workerId)).toEqual([workerId]);
    expect(await q.api.getWorker(workerId)).toMatchObject({ workerId, workerName: "w1", metadata: { host: "n1" } });
    await q.api.deleteWorker(workerId);
    await q.api.deleteTask(taskId);
    expect((await q.api.lsTasks()).found).toBe(false);
  });

  it("submits in bulk, in order", async () => {
    await using q = await queueOver(transport);
    const ids = await q.api.submitTasks(Array.from({ length: 250 }, (_, i) => ({ args: { i }, priority: 0 })));
    expect(ids).toHaveLength(250);
    const first = await q.api.fetchTask();
    expect(first?.taskId).toBe(ids[0]);
  });

  it("streams events, replaying from a sequence number", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    const controller = new AbortController();
    const seen: QueueEvent[] = [];
    const consumer = (async () => {
      for await (const event of q.api.events({ afterSequence: 0, signal: controller.signal })) {
        seen.push(event);
        if (seen.length === 2) controller.abort();
      }
    })();
    await q.api.fetchTask();
    await consumer;
    expect(seen.map((e) => [e.sequence, e.entityType, e.oldState, e.newState, e.entityId])).toEqual([
      [1, "task", "created", "pending", taskId],
      [2, "task", "pending", "running", taskId],
    ]);
    expect(seen[1]?.entityData).toMatchObject({ _id: taskId, status: "running" });
  });

  it("updates and deletes the queue", async () => {
    await using q = await queueOver(transport);
    const renamed = await q.api.updateQueue({ newQueueName: `${q.queueName}-r`, newPassword: "new", metadataUpdate: { a: 1 } });
    expect(renamed).toMatchObject({ queueName: `${q.queueName}-r`, metadata: { a: 1 } });
    expect((await q.api.getQueue()).queueName).toBe(`${q.queueName}-r`);
    await q.api.deleteQueue({ cascadeDelete: true });
    await expect(q.api.getQueue()).rejects.toBeInstanceOf(AuthError);
  });
});

describe.each(TRANSPORTS)("JSONata filters over %s (extension)", (transport) => {
  it("lists and fetches with a JSONata expression", async () => {
    await using q = await queueOver(transport);
    await q.api.submitTask({ args: { lr: 0.1, model: "vit" } });
    await q.api.submitTask({ args: { lr: 0.3, model: "resnet" } });
    const listed = await q.api.lsTasks({ extraFilter: { $jsonata: 'args.lr > 0.2 and args.model = "resnet"' } });
    expect(listed.content.map((t) => t.args.model)).toEqual(["resnet"]);
    const fetched = await q.api.fetchTask({ extraFilter: "jsonata:args.model = 'vit'" });
    expect(fetched?.args.model).toBe("vit");
  });
});

describe.each(TRANSPORTS)("report and fetch in one request over %s (extension)", (transport) => {
  it("reports the previous task and claims the next", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const [a, b] = await q.api.submitTasks([{ args: { n: 1 } }, { args: { n: 2 } }]);
    await q.api.fetchTask({ workerId });
    const next = await q.api.fetchTask({ workerId, report: { taskId: a!, status: "success", summary: { acc: 1 } } });
    expect(next?.taskId).toBe(b);
    expect(await q.api.getTask(a!)).toMatchObject({ status: "success", summary: { acc: 1 } });
    await expect(q.api.fetchTask({ workerId, report: { taskId: a!, status: "success" } })).rejects.toBeInstanceOf(WorkerMismatchError);
  });
});

describe.each(TRANSPORTS)("worker telemetry over %s (extension)", (transport) => {
  it("keeps a worker's latest sample, shown in its document only once it has one, with no event and no new last_modified", async () => {
    await using q = await queueOver(transport);
    expect(await q.api.supports("worker-telemetry")).toBe(true);
    const workerId = await q.api.createWorker({ workerName: "box-gpu0" });
    const before = await q.api.getWorker(workerId);
    expect(before.telemetry).toBeUndefined();
    expect(workerToWire(before)).not.toHaveProperty("telemetry"); // what a v1 client is sent: v1's document alone

    q.clock.advance(1000);
    const first = { gpu: { index: 0, utilization_pct: 87, memory_used_mib: 1234, memory_total_mib: 81920 } };
    await q.api.reportWorkerTelemetry!(workerId, first);
    q.clock.advance(1000);
    const second = { gpu: { index: 0, utilization_pct: 12, memory_used_mib: 99, memory_total_mib: 81920 } };
    await q.api.reportWorkerTelemetry!(workerId, second);
    const worker = await q.api.getWorker(workerId);
    expect(worker.telemetry).toEqual({ data: second, updatedAt: new Date(q.clock.now()) });
    expect(worker.lastModified).toEqual(before.lastModified);
    expect((await q.api.lsWorkers({ workerId })).content[0]!.telemetry?.data).toEqual(second);
    expect(workerToWire(worker).telemetry).toEqual({ data: second, updated_at: formatWireDate(new Date(q.clock.now())) });
    // Not a transition: between the worker's creation and a task submitted after the samples, no event.
    await q.api.submitTask({ args: { a: 1 } });
    const controller = new AbortController();
    const events: QueueEvent[] = [];
    for await (const event of q.api.events({ afterSequence: 0, signal: controller.signal })) {
      events.push(event);
      if (events.length === 2) controller.abort();
    }
    expect(events.map((e) => [e.entityType, e.newState])).toEqual([["worker", "active"], ["task", "pending"]]);
  });

  it("refuses a sample that is not an object or too large, and one for a worker that does not exist", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    await expect(q.api.reportWorkerTelemetry!("no-such-worker", { a: 1 })).rejects.toBeInstanceOf(WorkerNotFoundError);
    await expect(q.api.reportWorkerTelemetry!(workerId, [1, 2] as unknown as JsonObject)).rejects.toBeInstanceOf(ValidationError);
    await expect(q.api.reportWorkerTelemetry!(workerId, { big: "x".repeat(5000) })).rejects.toThrow(/at most 4096 bytes/);
    await q.api.deleteWorker(workerId);
    await expect(q.api.reportWorkerTelemetry!(workerId, { a: 1 })).rejects.toBeInstanceOf(WorkerNotFoundError);
  });
});
