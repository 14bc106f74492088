/**
 * Every v2 route end to end: the in-process app over the broker's v2 view on a real Redis, each success path and the
 * error codes the HTTP layer carries through (status, envelope), as labtasker 2.8.0's server answers them.
 */
import { describe, expect, it } from "vitest";
import { startV2Server } from "./support.js";

const TASK_KEYS = [
  "id", "queue", "status", "archived", "name", "args", "metadata", "priority", "attempt", "max_attempts", "routes",
  "dependencies", "result", "progress", "progress_updated_at", "progress_attempt", "last_error", "last_route",
  "created_at", "updated_at", "started_at", "finished_at",
];
/** RFC 3339 UTC as 2.8.0 writes it: six fractional digits, or none when they are all zero. */
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/;
const R1 = "r_aaaaaaaaaaaa";
const R2 = "r_bbbbbbbbbbbb";

type Task = Record<string, unknown> & { id: string; status: string; last_error: Record<string, unknown> | null };

describe("queues", () => {
  it("PUT creates (201) then finds (200); GET lists; DELETE 204, queue_not_empty without cascade, queue_not_found", async () => {
    await using s = await startV2Server();
    expect(await s.json("PUT", "queues/sweep")).toMatchObject({ status: 201, body: { name: "sweep" } });
    expect(await s.json("PUT", "queues/sweep")).toMatchObject({ status: 200, body: { name: "sweep" } });
    const listed = await s.json<Array<{ name: string }>>("GET", "queues");
    expect(listed.body).toEqual(expect.arrayContaining([{ name: "default" }, { name: "sweep" }]));
    expect((await s.json("PUT", "queues/sweep/tasks/t_aaaaaaaaaaaa", { body: {} })).status).toBe(201);
    const notEmpty = await s.json<{ error: { code: string } }>("DELETE", "queues/sweep");
    expect(notEmpty.status).toBe(409);
    expect(notEmpty.body.error.code).toBe("queue_not_empty");
    expect((await s.json("DELETE", "queues/sweep?cascade=true")).status).toBe(204);
    expect(await s.json("DELETE", "queues/sweep")).toMatchObject({ status: 404, body: { error: { code: "queue_not_found" } } });
  });
});

describe("tasks", () => {
  it("PUT by id: 201 with every key, 200 for the same definition, 409 task_id_conflict; numbers keep their form", async () => {
    await using s = await startV2Server();
    const body = '{"args":{"lr":3.0,"b":12345678901234567,"a":{"z":1,"y":[1.50]}},"routes":["gpu","cpu"],"priority":2}';
    const created = await s.v2("PUT", "queues/default/tasks/t_aaaaaaaaaaaa", { body });
    expect(created.status).toBe(201);
    const text = await created.text();
    // Keys sorted at every depth (2.8.0 stores canonical JSON), numbers as sent.
    expect(text).toContain('"args":{"a":{"y":[1.50],"z":1},"b":12345678901234567,"lr":3.0}');
    const task = JSON.parse(text) as Task;
    expect(Object.keys(task)).toEqual(TASK_KEYS);
    expect(task).toMatchObject({ id: "t_aaaaaaaaaaaa", queue: "default", status: "pending", archived: false, name: null, metadata: {}, priority: 2, attempt: 0, max_attempts: 3, routes: ["cpu", "gpu"], dependencies: [], result: {}, progress: null, last_error: null, last_route: null, started_at: null, finished_at: null });
    expect(task.created_at).toMatch(TIME);
    expect(task.updated_at).toMatch(TIME);
    const replay = await s.v2("PUT", "queues/default/tasks/t_aaaaaaaaaaaa", { body });
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe(text);
    expect(await s.json("PUT", "queues/default/tasks/t_aaaaaaaaaaaa", { body: { args: { lr: 1 } } })).toMatchObject({ status: 409, body: { error: { code: "task_id_conflict" } } });
    expect(await s.json("PUT", "queues/nosuch/tasks/t_aaaaaaaaaaaa", { body: {} })).toMatchObject({ status: 404, body: { error: { code: "queue_not_found" } } });
  });

  it("GET one, list (pages, next_cursor), count (plain and grouped); task_not_found, invalid_filter, invalid_cursor", async () => {
    await using s = await startV2Server();
    for (const [i, routes] of [["1", ["default"]], ["2", ["gpu"]], ["3", ["default", "gpu"]]] as const) {
      expect((await s.json("PUT", `queues/default/tasks/t_00000000000${i}`, { body: { name: `run-${i}`, args: { i: Number(i) }, routes } })).status).toBe(201);
      s.clock.advance(1000);
    }
    expect((await s.json<Task>("GET", "queues/default/tasks/t_000000000002")).body.name).toBe("run-2");
    expect(await s.json("GET", "queues/default/tasks/t_000000000009")).toMatchObject({ status: 404, body: { error: { code: "task_not_found", details: { queue: "default", task_id: "t_000000000009" } } } });

    // Newest first by default; two pages of 2.
    const first = await s.json<{ items: Task[]; next_cursor: string | null }>("GET", "queues/default/tasks?limit=2");
    expect(first.body.items.map((t) => t.id)).toEqual(["t_000000000003", "t_000000000002"]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await s.json<{ items: Task[]; next_cursor: string | null }>("GET", `queues/default/tasks?limit=2&cursor=${encodeURIComponent(first.body.next_cursor!)}`);
    expect(second.body).toMatchObject({ items: [{ id: "t_000000000001" }], next_cursor: null });
    const ascending = await s.json<{ items: Task[] }>("GET", "queues/default/tasks?order_by=name&descending=false");
    expect(ascending.body.items.map((t) => t.name)).toEqual(["run-1", "run-2", "run-3"]);
    const filtered = await s.json<{ items: Task[] }>("GET", `queues/default/tasks?filter=${encodeURIComponent("args.i >= 2")}&name_fuzzy=rn`);
    expect(filtered.body.items.map((t) => t.id).sort()).toEqual(["t_000000000002", "t_000000000003"]);

    expect((await s.json("GET", "queues/default/tasks/count")).body).toEqual({ count: 3 });
    expect((await s.json("GET", "queues/default/tasks/count?status=running")).body).toEqual({ count: 0 });
    expect((await s.json("GET", "queues/default/tasks/count?group_by=routes,status&limit=1000")).body).toEqual({
      group_by: ["routes", "status"],
      count: 3,
      items: [
        { key: { routes: "default", status: "pending" }, count: 2 },
        { key: { routes: "gpu", status: "pending" }, count: 2 },
      ],
      next_cursor: null,
    });
    expect(await s.json("GET", "queues/default/tasks?filter=bogus%20%3D%3D%201")).toMatchObject({ status: 422, body: { error: { code: "invalid_filter" } } });
    expect(await s.json("GET", "queues/default/tasks?cursor=abc")).toMatchObject({ status: 422, body: { error: { code: "invalid_cursor" } } });
    expect(await s.json("GET", "queues/nosuch/tasks")).toMatchObject({ status: 404, body: { error: { code: "queue_not_found" } } });
  });

  it("PATCH one (the task), bulk PATCH (matched/updated), cancel and requeue (the task), DELETE (204, idempotent)", async () => {
    await using s = await startV2Server();
    const t = "queues/default/tasks/t_aaaaaaaaaaaa";
    await s.json("PUT", t, { body: { args: { x: 1 } } });
    await s.json("PUT", "queues/default/tasks/t_bbbbbbbbbbbb", { body: { args: { x: 2 } } });
    const patched = await s.json<Task>("PATCH", t, { body: { priority: 5, name: "renamed", metadata: { tag: "a" } } });
    expect(patched).toMatchObject({ status: 200, body: { id: "t_aaaaaaaaaaaa", priority: 5, name: "renamed", metadata: { tag: "a" }, args: { x: 1 } } });
    expect(await s.json("PATCH", t, { body: { archived: true } })).toMatchObject({ status: 409, body: { error: { code: "update_conflict" } } });
    expect((await s.json("PATCH", "queues/default/tasks", { body: { filter: "args.x >= 1", changes: { priority: 7 } } })).body).toEqual({ matched: 2, updated: 2 });
    const cancelled = await s.json<Task>("POST", `${t}/cancel`);
    expect(cancelled).toMatchObject({ status: 200, body: { status: "cancelled", priority: 7 } });
    expect((await s.json<Task>("POST", `${t}/cancel`)).body.status).toBe("cancelled");
    expect((await s.json("PATCH", t, { body: { archived: true } })).body).toMatchObject({ archived: true });
    // Archived tasks leave default lists and counts.
    expect((await s.json("GET", "queues/default/tasks/count")).body).toEqual({ count: 1 });
    expect((await s.json("GET", "queues/default/tasks/count?include_archived=true")).body).toEqual({ count: 2 });
    expect(await s.json("POST", `${t}/requeue`)).toMatchObject({ status: 200, body: { status: "pending", archived: false, attempt: 0 } });
    expect((await s.json("DELETE", t)).status).toBe(204);
    expect((await s.json("DELETE", t)).status).toBe(204);
    expect(await s.json("POST", `${t}/cancel`)).toMatchObject({ status: 404, body: { error: { code: "task_not_found" } } });
  });
});

describe("runs", () => {
  it("claim (200, replay, 204 when none), heartbeat, progress, complete; stale_run and run_finalized", async () => {
    await using s = await startV2Server();
    await s.json("PUT", "queues/default/tasks/t_aaaaaaaaaaaa", { body: { args: { x: 1 }, routes: ["gpu"] } });
    const none = await s.v2("POST", "queues/default/tasks/claim", { body: { route: "default", run_id: R1 } });
    expect(none.status).toBe(204);
    expect(await none.text()).toBe("");
    const claim = await s.json<{ task: Task; run_id: string; lease_expires_at: string }>("POST", "queues/default/tasks/claim", { body: { route: "gpu", run_id: R1 } });
    expect(claim.status).toBe(200);
    expect(Object.keys(claim.body)).toEqual(["task", "run_id", "lease_expires_at"]);
    expect(claim.body).toMatchObject({ run_id: R1, task: { id: "t_aaaaaaaaaaaa", status: "running", attempt: 1, last_route: "gpu" } });
    expect(claim.body.lease_expires_at).toMatch(TIME);
    expect(Object.keys(claim.body.task)).toEqual(TASK_KEYS);
    expect((await s.json("POST", "queues/default/tasks/claim", { body: { route: "gpu", run_id: R1 } })).body).toEqual(claim.body);

    const t = "queues/default/tasks/t_aaaaaaaaaaaa";
    const beat = await s.json<{ lease_expires_at: string }>("POST", `${t}/heartbeat`, { body: { run_id: R1 } });
    expect(beat.status).toBe(200);
    expect(Object.keys(beat.body)).toEqual(["lease_expires_at"]);
    expect(await s.json("POST", `${t}/heartbeat`, { body: { run_id: R2 } })).toMatchObject({ status: 409, body: { error: { code: "stale_run" } } });
    expect((await s.json("POST", `${t}/progress`, { body: { run_id: R1, progress: { completed: 1, total: 3 } } })).status).toBe(204);
    expect(await s.json("PATCH", t, { body: { priority: 1 } })).toMatchObject({ status: 409, body: { error: { code: "task_running" } } });
    expect(await s.json("DELETE", t)).toMatchObject({ status: 409, body: { error: { code: "task_running" } } });
    expect((await s.json("POST", `${t}/complete`, { body: { run_id: R1, result: { acc: 0.9 } } })).status).toBe(204);
    expect((await s.json("POST", `${t}/complete`, { body: { run_id: R1, result: { acc: 0.9 } } })).status).toBe(204);
    expect(await s.json("POST", `${t}/fail`, { body: { run_id: R1, error: { type: "E", message: "m", traceback: null } } })).toMatchObject({ status: 409, body: { error: { code: "run_finalized" } } });
    expect((await s.json<Task>("GET", t)).body).toMatchObject({ status: "succeeded", result: { acc: 0.9 }, progress: { completed: 1, total: 3 }, progress_attempt: 1 });
  });

  it("fail: pending again with last_error's six fields while attempts remain; unclaim gives the attempt back", async () => {
    await using s = await startV2Server();
    const t = "queues/default/tasks/t_aaaaaaaaaaaa";
    await s.json("PUT", t, { body: { max_attempts: 2 } });
    await s.json("POST", "queues/default/tasks/claim", { body: { route: "default", run_id: R1 } });
    expect((await s.json("POST", `${t}/fail`, { body: { run_id: R1, error: { type: "ValueError", message: "bad", traceback: "Traceback ..." } } })).status).toBe(204);
    const failed = (await s.json<Task>("GET", t)).body;
    expect(failed).toMatchObject({ status: "pending", attempt: 1 });
    expect(Object.keys(failed.last_error!)).toEqual(["type", "message", "traceback", "occurred_at", "attempt", "run_id"]);
    expect(failed.last_error).toMatchObject({ type: "ValueError", message: "bad", traceback: "Traceback ...", attempt: 1, run_id: R1 });
    expect(failed.last_error!.occurred_at).toMatch(TIME);
    await s.json("POST", "queues/default/tasks/claim", { body: { route: "default", run_id: R2 } });
    expect((await s.json("POST", `${t}/unclaim`, { body: { run_id: R2 } })).status).toBe(204);
    expect((await s.json<Task>("GET", t)).body).toMatchObject({ status: "pending", attempt: 1 });
  });
});

describe("workers", () => {
  it("report (204), list, count (plain, grouped), telemetry (204; worker_not_found), delete (204, idempotent)", async () => {
    await using s = await startV2Server();
    const w = "queues/default/workers/w_aaaaaaaaaaaa";
    expect((await s.json("PUT", w, { body: { route: "gpu", status: "idle", task_id: null, metadata: { host: "n1" } } })).status).toBe(204);
    const listed = await s.json<{ items: Array<Record<string, unknown>>; next_cursor: null }>("GET", "queues/default/workers");
    expect(listed.body.next_cursor).toBeNull();
    expect(listed.body.items).toHaveLength(1);
    expect(Object.keys(listed.body.items[0]!)).toEqual(["id", "queue", "route", "status", "task_id", "metadata", "telemetry", "telemetry_updated_at", "last_seen_at", "expires_at"]);
    expect(listed.body.items[0]).toMatchObject({ id: "w_aaaaaaaaaaaa", queue: "default", route: "gpu", status: "idle", task_id: null, metadata: { host: "n1" }, telemetry: null, telemetry_updated_at: null });
    expect((await s.json("GET", "queues/default/workers/count")).body).toEqual({ count: 1 });
    expect((await s.json("GET", "queues/default/workers/count?group_by=route,status&limit=1000")).body).toEqual({
      group_by: ["route", "status"],
      count: 1,
      items: [{ key: { route: "gpu", status: "idle" }, count: 1 }],
      next_cursor: null,
    });
    expect((await s.json("POST", `${w}/telemetry`, { body: { telemetry: { gpu_util: 0.5 } } })).status).toBe(204);
    expect((await s.json<{ items: Array<Record<string, unknown>> }>("GET", "queues/default/workers")).body.items[0]).toMatchObject({ telemetry: { gpu_util: 0.5 } });
    expect(await s.json("POST", "queues/default/workers/w_bbbbbbbbbbbb/telemetry", { body: { telemetry: {} } })).toMatchObject({ status: 404, body: { error: { code: "worker_not_found" } } });
    expect((await s.json("DELETE", w)).status).toBe(204);
    expect((await s.json("DELETE", w)).status).toBe(204);
    expect((await s.json("GET", "queues/default/workers/count")).body).toEqual({ count: 0 });
  });
});
