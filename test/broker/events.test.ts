import { describe, expect, it } from "vitest";
import type { QueueEvent } from "../../src/core/model.js";
import { createTestQueue } from "../support/redis.js";
import { TRANSPORTS, queueOver } from "../support/transports.js";

function summary(event: QueueEvent): string {
  return `${event.entityType} ${event.oldState}->${event.newState}`;
}

describe("events (contract 2.5)", () => {
  it("records v1's sequence for a task failing on an auto-created worker, worker event first", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxRetries: 1 });
    const workerId = await q.api.createWorker();
    await q.api.fetchTask({ workerId });
    await q.api.reportTaskStatus(taskId, "failed", { workerId });
    const entries = await q.broker.store.readEvents(q.queueId, 0, 100);
    const { decodeEvent } = await import("../../src/store/codecs.js");
    const events = entries.map((entry) => decodeEvent(q.queueId, entry));
    expect(events.map(summary)).toEqual([
      "task created->pending",
      "worker created->active",
      "task pending->running",
      "worker active->active",
      "task running->failed",
    ]);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    const last = events[4]!;
    expect(last.entityId).toBe(taskId);
    expect(last.entityData).toMatchObject({ _id: taskId, queue_id: q.queueId, status: "failed", retries: 1, worker_id: null });
    expect(last.entityData.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
  });

  it("writes no event for deletes, heartbeats, failed->failed, or a 'running' summary report", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 }, maxRetries: 1 });
    await q.api.fetchTask();
    await q.api.refreshTaskHeartbeat(taskId);
    await q.api.reportTaskStatus(taskId, "running", { summary: { x: 1 } });
    await q.api.reportTaskStatus(taskId, "failed");
    await q.api.reportTaskStatus(taskId, "failed");
    await q.api.deleteTask(taskId);
    expect(await q.broker.store.lastEventSequence(q.queueId)).toBe(3);
  });

  it("emits pending->pending for a reset of a pending task", async () => {
    await using q = await createTestQueue();
    const taskId = await q.api.submitTask({ args: { a: 1 } });
    await q.api.updateTasks([{ taskId }], { resetPending: true });
    await q.api.updateTasks([{ taskId, priority: 3 }]);
    const entries = await q.broker.store.readEvents(q.queueId, 1, 100);
    expect(entries.map(([, fields]) => fields.slice(4, 8).join(" "))).toEqual(["old_state pending new_state pending"]);
  });

  // Found while building the fault suite's load scenario (an SSE client that falls behind): events past the
  // subscriber buffer were dropped without a trace; now the subscriber catches up from the stream.
  it("a subscriber far behind the live feed loses nothing: it catches up from the stream", async () => {
    await using q = await createTestQueue();
    const controller = new AbortController();
    const iterator = q.broker.events.subscribe(q.queueId, { signal: controller.signal })[Symbol.asyncIterator]();
    const firstEvent = iterator.next(); // subscribes; nothing is consumed while 2,500 events are written
    await new Promise((resolve) => setTimeout(resolve, 100));
    await q.api.submitTasks(Array.from({ length: 2500 }, (_, i) => ({ args: { i } })));
    const sequences = [(await firstEvent).value!.sequence];
    while (sequences.length < 2500) sequences.push((await iterator.next()).value!.sequence);
    controller.abort();
    await iterator.return?.(undefined);
    expect(sequences).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
  });
});

describe.each(TRANSPORTS)("events (contract 2.5) over %s", (transport) => {
  it("streams live events to subscribers and replays from a sequence number", async () => {
    await using q = await queueOver(transport);
    const first = await q.api.submitTask({ args: { n: 1 } });
    const controller = new AbortController();
    const received: QueueEvent[] = [];
    const consumer = (async () => {
      for await (const event of q.api.events({ afterSequence: 0, signal: controller.signal })) {
        received.push(event);
        if (received.length === 3) controller.abort();
      }
    })();
    const second = await q.api.submitTask({ args: { n: 2 } });
    await q.api.fetchTask();
    await consumer;
    expect(received.map((e) => [e.sequence, e.entityId, e.newState])).toEqual([
      [1, first, "pending"],
      [2, second, "pending"],
      [3, first, "running"],
    ]);
  });
});
