/**
 * v2's dependencies (2.7): direct, same queue, missing ids and cycles accepted. A task waiting for one is pending to
 * every reader but out of the claim indexes; the success of its last dependency releases it.
 */
import { describe, expect, it } from "vitest";
import { createV2Queue, runId, taskId } from "./support.js";

async function succeed(q: Awaited<ReturnType<typeof createV2Queue>>, id: string): Promise<void> {
  const run = runId();
  const claim = await q.v2.claimTask(q.queue, "default", run);
  expect(claim?.task.id).toBe(id);
  await q.v2.completeTask(q.queue, id, run, {});
}

describe("dependencies", () => {
  it("keep a task waiting (pending, counted, never claimed) until the last one succeeds", async () => {
    await using q = await createV2Queue();
    const [a, b, waiting] = [taskId(), taskId(), taskId()];
    await q.v2.putTask(q.queue, waiting, { priority: 9, dependencies: [a, b] });
    await q.v2.putTask(q.queue, a, { priority: 2 });
    await q.v2.putTask(q.queue, b, { priority: 1 });
    expect(await q.v2.countTasks(q.queue, { status: "pending" })).toBe(3);
    expect((await q.v2.listTasks(q.queue, { status: "pending" })).items.map((task) => task.id).sort()).toEqual([a, b, waiting].sort());
    await succeed(q, a);
    await succeed(q, b);
    await succeed(q, waiting);
  });

  it("never release a task whose dependency does not exist, until a task of that id is created and succeeds", async () => {
    await using q = await createV2Queue();
    const [missing, waiting] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, waiting, { dependencies: [missing] });
    expect(await q.v2.claimTask(q.queue, "default", runId())).toBeNull();
    await q.v2.putTask(q.queue, missing, {});
    await succeed(q, missing);
    await succeed(q, waiting);
  });

  it("accept a cycle, which waits for good; a dependency on a succeeded task releases at once", async () => {
    await using q = await createV2Queue();
    const [x, y, done, after] = [taskId(), taskId(), taskId(), taskId()];
    await q.v2.putTask(q.queue, x, { dependencies: [y] });
    await q.v2.putTask(q.queue, y, { dependencies: [x] });
    await q.v2.putTask(q.queue, done, {});
    await succeed(q, done);
    await q.v2.putTask(q.queue, after, { dependencies: [done] });
    await succeed(q, after);
    expect(await q.v2.claimTask(q.queue, "default", runId())).toBeNull();
    expect(await q.v2.countTasks(q.queue, { status: "pending" })).toBe(2);
  });

  it("follow a PATCH of the dependencies, a release on another route, and a v1 report of success", async () => {
    await using q = await createV2Queue();
    const [a, b, gpu] = [taskId(), taskId(), taskId()];
    await q.v2.putTask(q.queue, a, {});
    await q.v2.putTask(q.queue, b, {});
    await q.v2.putTask(q.queue, gpu, { routes: ["gpu"], dependencies: [a] });
    await q.v2.updateTask(q.queue, gpu, { dependencies: [] });
    expect((await q.v2.claimTask(q.queue, "gpu", runId()))?.task.id).toBe(gpu);
    const waiting = taskId();
    await q.v2.putTask(q.queue, waiting, { routes: ["cpu"], dependencies: [b] });
    await q.v2.updateTask(q.queue, waiting, { dependencies: [a] });
    // v1 fetches and reports a (its routes are v1's), which releases the task waiting for it.
    const queueId = (await q.broker.store.queueIdByName(q.queue))!;
    const fetched = await q.broker.tasks.fetch(queueId, {});
    expect(fetched?.taskId).toBe(a);
    expect(await q.v2.claimTask(q.queue, "cpu", runId())).toBeNull();
    await q.broker.tasks.report(queueId, a, "success");
    expect((await q.v2.claimTask(q.queue, "cpu", runId()))?.task.id).toBe(waiting);
  });

  it("wait again when requeued while a dependency is not succeeded", async () => {
    await using q = await createV2Queue();
    const [dependency, dependent] = [taskId(), taskId()];
    await q.v2.putTask(q.queue, dependency, { priority: 1 });
    await q.v2.putTask(q.queue, dependent, { dependencies: [dependency] });
    await q.v2.cancelTask(q.queue, dependent);
    expect((await q.v2.requeueTask(q.queue, dependent)).status).toBe("pending");
    await succeed(q, dependency);
    await succeed(q, dependent);
  });
});
