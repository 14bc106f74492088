/** v2's worker observations: their own records, expiring 300 s after the last report, with metadata and telemetry. */
import { describe, expect, it } from "vitest";
import { createV2Queue, workerId } from "./support.js";

describe("worker observations", () => {
  it("are reported, listed by id with cursors, counted and grouped", async () => {
    await using q = await createV2Queue();
    const ids = [workerId(), workerId(), workerId()].sort();
    await q.v2.reportWorker(q.queue, ids[0]!, { route: "gpu", status: "busy", task_id: "t_aaaaaaaaaaaa", metadata: { host: "a" } });
    await q.v2.reportWorker(q.queue, ids[1]!, { route: "gpu", status: "idle", task_id: null });
    await q.v2.reportWorker(q.queue, ids[2]!, { route: "cpu", status: "idle", task_id: null });
    const first = await q.v2.listWorkers(q.queue, { limit: 2 });
    expect(first.items.map((worker) => worker.id)).toEqual(ids.slice(0, 2));
    expect(first.items[0]).toEqual({
      id: ids[0], queue: q.queue, route: "gpu", status: "busy", task_id: "t_aaaaaaaaaaaa", metadata: { host: "a" },
      telemetry: null, telemetry_updated_at: null, last_seen_at: new Date(q.clock.ms), expires_at: new Date(q.clock.ms + 300_000),
    });
    const second = await q.v2.listWorkers(q.queue, { limit: 2, cursor: first.nextCursor });
    expect(second).toMatchObject({ items: [{ id: ids[2] }], nextCursor: null });
    expect(await q.v2.countWorkers(q.queue)).toBe(3);
    expect(await q.v2.countWorkers(q.queue, 'route == "gpu"')).toBe(2);
    expect(await q.v2.countWorkerGroups(q.queue, null, ["route", "status"], { limit: 1000 })).toEqual({
      groupBy: ["route", "status"],
      count: 3,
      items: [
        { key: { route: "cpu", status: "idle" }, count: 1 },
        { key: { route: "gpu", status: "busy" }, count: 1 },
        { key: { route: "gpu", status: "idle" }, count: 1 },
      ],
      nextCursor: null,
    });
    await expect(q.v2.listWorkers(q.queue, { filter: "nope == 1" })).rejects.toMatchObject({ code: "invalid_filter" });
    // Not v1's workers.
    const queueId = (await q.broker.store.queueIdByName(q.queue))!;
    expect((await q.broker.listing.workers(queueId)).content).toEqual([]);
  });

  it("keep telemetry, refuse it for an unknown or expired worker (worker_not_found, 404), and expire 300 s after the last report", async () => {
    await using q = await createV2Queue();
    const id = workerId();
    await expect(q.v2.reportWorkerTelemetry(q.queue, id, { gpu: 1 })).rejects.toMatchObject({ code: "worker_not_found", status: 404, details: { worker_id: id } });
    await q.v2.reportWorker(q.queue, id, { route: "gpu", status: "idle", task_id: null, metadata: { v: 1 } });
    q.clock.advance(200_000);
    await q.v2.reportWorkerTelemetry(q.queue, id, { util: 0.5 });
    await q.v2.reportWorker(q.queue, id, { route: "gpu", status: "busy", task_id: "t_bbbbbbbbbbbb", metadata: { v: 2 } });
    const [observation] = (await q.v2.listWorkers(q.queue)).items;
    expect(observation).toMatchObject({ status: "busy", metadata: { v: 2 }, telemetry: { util: 0.5 }, telemetry_updated_at: new Date(q.clock.ms), expires_at: new Date(q.clock.ms + 300_000) });
    q.clock.advance(299_999);
    expect(await q.v2.countWorkers(q.queue)).toBe(1);
    q.clock.advance(1);
    expect(await q.v2.countWorkers(q.queue)).toBe(0);
    await expect(q.v2.reportWorkerTelemetry(q.queue, id, {})).rejects.toMatchObject({ code: "worker_not_found" });
    // A report after the expiry starts afresh, on any route.
    await q.v2.reportWorker(q.queue, id, { route: "cpu", status: "idle", task_id: null });
    expect((await q.v2.listWorkers(q.queue)).items[0]).toMatchObject({ route: "cpu", telemetry: null });
  });

  it("keep their route (worker_route_conflict, 409); delete is idempotent; a missing queue is queue_not_found", async () => {
    await using q = await createV2Queue();
    const id = workerId();
    await q.v2.reportWorker(q.queue, id, { route: "gpu", status: "idle", task_id: null });
    await expect(q.v2.reportWorker(q.queue, id, { route: "cpu", status: "idle", task_id: null })).rejects.toMatchObject({ code: "worker_route_conflict", status: 409 });
    await q.v2.deleteWorker(q.queue, id);
    await q.v2.deleteWorker(q.queue, id);
    await q.v2.reportWorker(q.queue, id, { route: "cpu", status: "idle", task_id: null });
    await expect(q.v2.reportWorker("no-such-queue", id, { route: "gpu", status: "idle", task_id: null })).rejects.toMatchObject({ code: "queue_not_found" });
    await expect(q.v2.listWorkers("no-such-queue")).rejects.toMatchObject({ code: "queue_not_found" });
    await expect(q.v2.deleteWorker("no-such-queue", id)).rejects.toMatchObject({ code: "queue_not_found" });
  });
});
