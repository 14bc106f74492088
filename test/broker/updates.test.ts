import { describe, expect, it } from "vitest";
import { UpdateFailedError } from "../../src/core/errors.js";
import { parseJson, type JsonObject } from "../../src/json.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

describe.each(TRANSPORTS)("task updates (contract 6.1, 3.7) over %s", (transport) => {
  it("merges object fields one level down, dotted keys reaching deeper", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { lr: 0.1, model: "vit", opt: { m: 0.9, wd: 1 } } });
    const { content } = await q.api.updateTasks([{ taskId, args: { lr: 0.005, "opt.m": 0.8 } }]);
    expect(content[0]?.args).toEqual({ lr: 0.005, model: "vit", opt: { m: 0.8, wd: 1 } });
  });

  it("replaces the fields named in replaceFields, unflattening dotted keys", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { lr: 0.1, model: "vit" }, metadata: { keep: true } });
    const { content } = await q.api.updateTasks([{ taskId, args: { "opt.lr": 1 }, replaceFields: ["args"] }]);
    expect(content[0]).toMatchObject({ args: { opt: { lr: 1 } }, metadata: { keep: true } });
  });

  it("keeps number forms through a merge", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: parseJson('{"a":1.0,"b":2}') as JsonObject });
    const { content } = await q.api.updateTasks([{ taskId, args: parseJson('{"b":5.0}') as JsonObject }]);
    expect(String(content[0]?.args.a)).toBe("1.0");
    expect(String(content[0]?.args.b)).toBe("5.0");
  });

  it("moves a pending task in the fetch order when its priority or args change", async () => {
    await using q = await queueOver(transport);
    const a = await q.api.submitTask({ args: { x: 1 } });
    const b = await q.api.submitTask({ args: { x: 2 } });
    await q.api.updateTasks([{ taskId: b, priority: 100 }]);
    expect((await q.api.fetchTask())?.taskId).toBe(b);
    await q.api.updateTasks([{ taskId: a, args: { y: 1 }, replaceFields: ["args"] }]);
    expect(await q.api.fetchTask({ requiredFields: ["x"] })).toBeNull();
    expect((await q.api.fetchTask({ requiredFields: ["y"] }))?.taskId).toBe(a);
  });

  it("reset_pending re-queues with retries 0 and no worker, from any state", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxRetries: 1 });
    await q.api.fetchTask({ workerId });
    await q.api.reportTaskStatus(taskId, "failed");
    const { content } = await q.api.updateTasks([{ taskId, args: { a: 2 } }], { resetPending: true });
    expect(content[0]).toMatchObject({ status: "pending", retries: 0, workerId: null, args: { a: 2 } });
    expect((await q.api.fetchTask())?.taskId).toBe(taskId);
  });

  it("without reset, validates a status change and keeps retries as sent (the loop's Ignore)", async () => {
    await using q = await queueOver(transport);
    const workerId = await q.api.createWorker();
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await q.api.fetchTask({ workerId });
    const { content } = await q.api.updateTasks([{ taskId, status: "pending", retries: 0 }]);
    expect(content[0]).toMatchObject({ status: "pending", retries: 0, workerId: null });
    await q.api.updateTasks([{ taskId, status: "cancelled" }]);
    // success is reachable from running only; the invalid write is not applied (v1's embedded mode would keep it)
    const failure = q.api.updateTasks([{ taskId, status: "success", priority: 1 }]);
    await expect(failure).rejects.toBeInstanceOf(UpdateFailedError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      detail: `Failed to update 1/1 tasks. Detail: [('${taskId}', 'InvalidStateTransition: Cannot transition from cancelled to success.')]`,
    });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "cancelled", priority: 10 });
  });

  it("writes none of a batch's updates when one fails (v1 writes the others), and lists the failures", async () => {
    await using q = await queueOver(transport);
    const good = await q.api.submitTask({ args: { a: 1 } });
    const scalar = await q.api.submitTask({ args: { foo: 1 } });
    const failure = q.api.updateTasks([
      { taskId: good, priority: 5 },
      { taskId: "missing", priority: 5 },
      { taskId: scalar, args: { "foo.bar": 0 } },
    ]);
    await expect(failure).rejects.toThrow(/^Failed to update 2\/3 tasks\. Detail: \[\('missing', 'Task missing not found\.'\), /);
    expect((await q.api.getTask(good)).priority).toBe(10);
    expect((await q.api.getTask(scalar)).args).toEqual({ foo: 1 });
  });

  it("rejects too many updates and values the schema forbids before writing anything", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await expect(q.api.updateTasks(Array.from({ length: 1001 }, () => ({ taskId })))).rejects.toThrow(
      "Too many tasks to update. Maximum is 1000.",
    );
    await expect(q.api.updateTasks([{ taskId, priority: 1 }, { taskId, priority: null as unknown as number }])).rejects.toMatchObject({ status: 422 });
    expect((await q.api.getTask(taskId)).priority).toBe(10);
    expect(await q.api.updateTasks([])).toEqual({ found: false, content: [] });
  });
});

describe.each(TRANSPORTS)("summary reports over %s", (transport) => {
  it("merges top-level keys, clears with {}, and reaches nested paths with dotted keys", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await q.api.fetchTask();
    await q.api.reportTaskStatus(taskId, "running", { summary: { loss: 1.5, nested: { x: 1, y: 2 } } });
    await q.api.reportTaskStatus(taskId, "running", { summary: { "nested.y": 3, acc: 0.5 } });
    expect((await q.api.getTask(taskId)).summary).toEqual({ loss: 1.5, nested: { x: 1, y: 3 }, acc: 0.5 });
    await q.api.reportTaskStatus(taskId, "success", { summary: { nested: "replaced" } });
    expect(await q.api.getTask(taskId)).toMatchObject({ status: "success", summary: { loss: 1.5, nested: "replaced", acc: 0.5 } });
    await q.api.reportTaskStatus(taskId, "cancelled", { summary: {} });
    expect((await q.api.getTask(taskId)).summary).toEqual({});
  });

  it("refuses Mongo operator keys in a summary", async () => {
    await using q = await queueOver(transport);
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await expect(q.api.reportTaskStatus(taskId, "cancelled", { summary: { $set: 1 } })).rejects.toThrow(
      "MongoDB operators are not allowed in field names: $set",
    );
  });
});
