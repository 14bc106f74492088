import { describe, expect, it } from "vitest";
import { SNAPSHOT_GONE_STATUS, type Labtasker, type LsTasksOptions } from "../../src/core/api.js";
import { LabtaskerError } from "../../src/core/errors.js";
import { LabtaskerClient } from "../../src/sdk/client.js";
import { createTestQueue } from "../support/redis.js";
import { sdkQueue, TRANSPORTS } from "./support.js";

/**
 * The queue's API with its listings watched: every lsTasks request is recorded; `ignoreSnapshots` makes it behave as
 * labtasker v1's server (the field ignored, none kept); `forget` makes the next request of a snapshot at an offset
 * fail as from a server that no longer keeps it.
 */
function watched(api: Labtasker, options: { ignoreSnapshots?: boolean } = {}) {
  const requests: LsTasksOptions[] = [];
  const state = { forget: false };
  const proxy = new Proxy(api, {
    get(target, property, receiver) {
      if (property === "supports") return async (extension: string) => extension !== "listing-snapshots" || !options.ignoreSnapshots;
      if (property === "lsTasks") {
        return async (request: LsTasksOptions) => {
          requests.push(request);
          if (state.forget && request.snapshot && (request.offset ?? 0) > 0) {
            state.forget = false;
            throw new LabtaskerError(SNAPSHOT_GONE_STATUS, "gone");
          }
          return target.lsTasks(options.ignoreSnapshots ? { ...request, snapshot: null } : request);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { client: new LabtaskerClient(proxy), requests, state };
}

describe("iterating through listing snapshots", () => {
  it("reads every page of an iteration from one snapshot: one evaluation, whatever changes meanwhile", async () => {
    await using q = await createTestQueue();
    await q.api.submitTasks(Array.from({ length: 50 }, (_, i) => ({ args: { i, even: i % 2 === 0 } })));
    const { client, requests } = watched(q.api);
    let deleted = 0;
    for await (const task of client.iterTasks({ extraFilter: "args.even == True", pageSize: 4 })) {
      await client.deleteTask(task.taskId);
      deleted += 1;
    }
    expect(deleted).toBe(25);
    // One snapshot, pages by offset: only the first request evaluates the listing.
    expect(new Set(requests.map((request) => request.snapshot)).size).toBe(1);
    expect(requests.filter((request) => request.offset === 0)).toHaveLength(1);
    expect(requests.map((request) => request.offset)).toEqual([0, 4, 8, 12, 16, 20, 24]);
  });

  it("pages by the last id seen where snapshots are not kept (labtasker v1's server), skipping none", async () => {
    await using q = await createTestQueue();
    await q.api.submitTasks(Array.from({ length: 30 }, (_, i) => ({ args: { i } })));
    const { client, requests } = watched(q.api, { ignoreSnapshots: true });
    const seen: number[] = [];
    for await (const task of client.iterTasks({ pageSize: 7 })) {
      await client.deleteTask(task.taskId);
      seen.push(Number(task.args.i));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(requests.every((request) => request.offset === 0 && !request.snapshot)).toBe(true);
  });

  it("goes on after a snapshot the server no longer keeps: by id from the last one seen; by offset in a new one", async () => {
    await using q = await createTestQueue();
    await q.api.submitTasks(Array.from({ length: 30 }, (_, i) => ({ args: { i } })));

    const byId = watched(q.api);
    const seen: number[] = [];
    for await (const task of byId.client.iterTasks({ pageSize: 5 })) {
      seen.push(Number(task.args.i));
      if (seen.length === 7) byId.state.forget = true;
      await byId.client.deleteTask(task.taskId); // a restart at the same offset would now skip five
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(byId.requests.map((request) => request.snapshot)).size).toBe(2);

    await q.api.submitTasks(Array.from({ length: 30 }, (_, i) => ({ args: { i } })));
    const byOffset = watched(q.api);
    const values: number[] = [];
    for await (const page of byOffset.client.iterTaskPages({ sort: "args.i", pageSize: 6, offset: 2 })) {
      values.push(...page.map((task) => Number(task.args.i)));
      byOffset.state.forget = values.length === 12;
    }
    expect(values).toEqual(Array.from({ length: 28 }, (_, i) => i + 2));
    // A snapshot is made at offset 0 (one item asked there first), at the start and again after the loss.
    const made = byOffset.requests.filter((request) => request.offset === 0);
    expect(made.map((request) => request.limit)).toEqual([1, 1]);
    expect(new Set(made.map((request) => request.snapshot)).size).toBe(2);
  });
});

describe.each(TRANSPORTS)("countTasks through the SDK over %s", (transport) => {
  it("counts per status, with a filter, in one request", async () => {
    await using q = await sdkQueue(transport);
    const ids = await q.setup.submitTasks(Array.from({ length: 12 }, (_, i) => ({ args: { i } })));
    await q.setup.updateTasks(ids.slice(0, 3).map((taskId) => ({ taskId, status: "cancelled" as const })));
    const before = q.requests.length;
    expect(await q.client.countTasks()).toEqual({ pending: 9, running: 0, success: 0, failed: 0, cancelled: 3 });
    expect(await q.client.countTasks({ extraFilter: "args.i >= 6" })).toEqual({ pending: 6, running: 0, success: 0, failed: 0, cancelled: 0 });
    expect(await q.client.countTasks({ status: "cancelled" })).toEqual({ pending: 0, running: 0, success: 0, failed: 0, cancelled: 3 });
    expect(q.requests.slice(before)).toEqual(transport === "http" ? Array(3).fill("POST /api/v1/queues/me/tasks/count") : []);
    await expect(q.client.countTasks({ extraFilter: "args.i >>> 1" })).rejects.toMatchObject({ name: "FilterSyntaxError" });
  });
});
