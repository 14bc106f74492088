import { describe, expect, it } from "vitest";
import { startTestServer, startTestServerWithQueue } from "../support/http.js";

const TASK_KEYS = [
  "task_id", "queue_id", "status", "task_name", "created_at", "start_time", "last_heartbeat", "last_modified",
  "heartbeat_timeout", "task_timeout", "max_retries", "retries", "priority", "metadata", "args", "cmd", "summary", "worker_id",
];
const NAIVE_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/;

describe("open routes", () => {
  it("answers health, welcome and polling as v1", async () => {
    await using s = await startTestServer();
    expect(await (await s.request("GET", "/")).json()).toMatchObject({ message: "Welcome to Labtasker!", versions: ["v1"], docs: "/docs", extensions: expect.arrayContaining(["report-and-fetch"]) });
    // v1's `connection` and v2's three fields in one body (each protocol's client ignores the other's keys).
    expect(await (await s.request("GET", "/health")).json()).toEqual({ connection: "ok", status: "ok", api_version: "2", database: "ok" });
    // v1's two fields (its client warns about any other), and ours on request: the sweep (none in this app: no
    // sweeper) and the warnings; /health/sweep answers 503 while no replica sweeps.
    expect(await (await s.request("GET", "/health/full")).json()).toEqual({ status: "healthy", database: "connected" });
    expect(await (await s.request("GET", "/health/full?details=true")).json()).toEqual({
      status: "healthy",
      database: "connected",
      sweep: { last_run: null, seconds_ago: null, interval_seconds: 0.5, late: true },
      warnings: [],
    });
    const sweep = await s.request("GET", "/health/sweep");
    expect(sweep.status).toBe(503);
    expect(await sweep.json()).toMatchObject({ last_run: null, late: true });
    const polling = (await (await s.request("GET", "/api/v1/polling")).json()) as Record<string, number>;
    expect(Object.keys(polling).sort()).toEqual(["next_eta", "polling_interval", "prev_polling"]);
  });

  it("creates a queue (201), and 409 for a taken name", async () => {
    await using s = await startTestServer();
    const created = await s.request("POST", "/api/v1/queues", { body: { queue_name: "sweep", password: "pw", client_version: "1.0.1" } });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ notification: null, queue_id: expect.any(String) });
    const again = await s.request("POST", "/api/v1/queues", { body: { queue_name: "sweep", password: "pw" } });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ detail: "Queue 'sweep' already exists" });
  });
});

describe("authentication", () => {
  it("401 without credentials or with wrong ones, with WWW-Authenticate; accepts the queue id as user name", async () => {
    await using s = await startTestServerWithQueue();
    const missing = await s.request("GET", "/api/v1/queues/me");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe("Basic");
    expect(await missing.json()).toEqual({ detail: "Not authenticated" });
    for (const auth of [[s.queueName, "wrong"], ["no-such-queue", "pw"]] as Array<[string, string]>) {
      const wrong = await s.request("GET", "/api/v1/queues/me", { auth });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({ detail: "Invalid credentials" });
    }
    const byId = await s.request("GET", "/api/v1/queues/me", { auth: [s.queueId, "pw"] });
    expect(await byId.json()).toMatchObject({ notification: null, queue_id: s.queueId, queue_name: s.queueName, metadata: {} });
  });
});

describe("task routes", () => {
  it("submits, fetches, heartbeats, reports and gets a task with every key in v1's form", async () => {
    await using s = await startTestServerWithQueue();
    const submitted = await s.request("POST", "/api/v1/queues/me/tasks", {
      auth: s.auth,
      body: '{"client_version":"1.0.1","task_name":null,"args":{"arg1":3.0,"arg2":12345678901234567890},"metadata":null,"cmd":null,"heartbeat_timeout":null,"task_timeout":null,"max_retries":3,"priority":10}',
    });
    expect(submitted.status).toBe(201);
    const { task_id: taskId } = (await submitted.json()) as { task_id: string };

    const worker = await s.request("POST", "/api/v1/queues/me/workers", { auth: s.auth, body: { worker_name: null, metadata: null, max_retries: 3 } });
    expect(worker.status).toBe(201);
    const { worker_id: workerId } = (await worker.json()) as { worker_id: string };

    const fetched = await s.request("POST", "/api/v1/queues/me/tasks/next", {
      auth: s.auth,
      body: { worker_id: workerId, eta_max: null, heartbeat_timeout: 30.0, start_heartbeat: true, required_fields: ["arg1", "arg2"], extra_filter: null, cmd: ["python", "job.py"] },
    });
    const text = await fetched.text();
    expect(text).toContain('"args":{"arg1":3.0,"arg2":12345678901234567890}');
    const body = JSON.parse(text) as { found: boolean; task: Record<string, unknown>; notification: null };
    expect(body.found).toBe(true);
    expect(body.notification).toBeNull();
    expect(Object.keys(body.task)).toEqual(TASK_KEYS);
    expect(body.task).toMatchObject({ task_id: taskId, status: "running", worker_id: workerId, heartbeat_timeout: 30, cmd: ["python", "job.py"] });
    for (const key of ["created_at", "start_time", "last_heartbeat", "last_modified"]) expect(body.task[key]).toMatch(NAIVE_ISO);

    const beat = await s.request("POST", `/api/v1/queues/me/tasks/${taskId}/heartbeat?worker_id=${workerId}`, { auth: s.auth });
    expect(beat.status).toBe(204);
    const beatNoWorker = await s.request("POST", `/api/v1/queues/me/tasks/${taskId}/heartbeat?worker_id=`, { auth: s.auth });
    expect(beatNoWorker.status).toBe(204);

    const report = await s.request("POST", `/api/v1/queues/me/tasks/${taskId}/status`, { auth: s.auth, body: `{"status":"success","worker_id":"${workerId}","summary":{"acc":1.0}}` });
    expect(report.status).toBe(200);
    expect(await report.text()).toBe("null");

    const got = await s.request("GET", `/api/v1/queues/me/tasks/${taskId}`, { auth: s.auth });
    expect(await got.text()).toContain('"summary":{"acc":1.0}');
    expect(await (await s.request("POST", "/api/v1/queues/me/tasks/next", { auth: s.auth, body: {} })).json()).toEqual({ notification: null, found: false, task: null });
  });

  it("maps broker errors to v1's status codes and details", async () => {
    await using s = await startTestServerWithQueue();
    const empty = await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: {} });
    expect([empty.status, await empty.json()]).toEqual([400, { detail: "Either args or cmd must be provided" }]);
    const missing = await s.request("GET", "/api/v1/queues/me/tasks/search", { auth: s.auth });
    expect([missing.status, await missing.json()]).toEqual([404, { detail: "Task not found" }]);
    const noHeartbeat = await s.request("POST", "/api/v1/queues/me/tasks/next", { auth: s.auth, body: { start_heartbeat: false } });
    expect([noHeartbeat.status, await noHeartbeat.json()]).toEqual([400, { detail: "Eta max must be specified when start_heartbeat is False" }]);
    const ghost = await s.request("POST", "/api/v1/queues/me/tasks/next", { auth: s.auth, body: { worker_id: "ghost" } });
    expect([ghost.status, await ghost.json()]).toEqual([404, { detail: `Worker 'ghost' not found in queue '${s.queueId}'` }]);
    const report = await s.request("POST", "/api/v1/queues/me/tasks/x/status", { auth: s.auth, body: { status: "success" } });
    expect([report.status, await report.json()]).toEqual([404, { detail: "Task x not found" }]);
  });

  it("lists with filters, sort and paging, and updates with reset_pending defaulting to true", async () => {
    await using s = await startTestServerWithQueue();
    for (const lr of [0.1, 0.01, 0.5]) {
      await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { lr }, metadata: { tags: lr > 0.05 ? ["v1"] : [] } } });
    }
    const search = await s.request("POST", "/api/v1/queues/me/tasks/search", {
      auth: s.auth,
      body: { extra_filter: { "metadata.tags": "v1", "args.lr": { $gt: 0.05 } }, sort: [["args.lr", -1]], limit: 10, offset: 0 },
    });
    const listed = (await search.json()) as { found: boolean; content: Array<{ task_id: string; args: { lr: number } }> };
    expect(listed.content.map((t) => t.args.lr)).toEqual([0.5, 0.1]);
    const first = listed.content[0]!.task_id;

    const update = await s.request("PUT", "/api/v1/queues/me/tasks", { auth: s.auth, body: [{ _id: first, args: { lr: 0.7 } }] });
    const updated = (await update.json()) as { found: boolean; content: Array<{ status: string; args: unknown; retries: number }> };
    expect(updated).toMatchObject({ found: true, content: [{ status: "pending", args: { lr: 0.7 }, retries: 0 }] });
    const bad = await s.request("PUT", "/api/v1/queues/me/tasks?reset_pending=maybe", { auth: s.auth, body: [] });
    expect(bad.status).toBe(422);
    const noop = await s.request("PUT", "/api/v1/queues/me/tasks?reset_pending=false", { auth: s.auth, body: [] });
    expect(await noop.json()).toEqual({ notification: null, found: false, content: [] });

    const page = await s.request("POST", "/api/v1/queues/me/tasks/search", { auth: s.auth, body: { limit: 2, offset: 2 } });
    expect(((await page.json()) as { content: unknown[] }).content).toHaveLength(1);
    const none = await s.request("POST", "/api/v1/queues/me/tasks/search", { auth: s.auth, body: { status: "failed" } });
    expect(await none.json()).toEqual({ notification: null, found: false, content: [] });

    const del = await s.request("DELETE", `/api/v1/queues/me/tasks/${first}`, { auth: s.auth });
    expect(del.status).toBe(204);
    const delAgain = await s.request("DELETE", `/api/v1/queues/me/tasks/${first}`, { auth: s.auth });
    expect([delAgain.status, await delAgain.json()]).toEqual([404, { detail: "Task not found" }]);
  });

  it("accepts Python-style and JSONata-free filters as v1's client sends them, and reports a bad filter as 400", async () => {
    await using s = await startTestServerWithQueue();
    await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { lr: 0.1 } } });
    const created = await s.request("POST", "/api/v1/queues/me/tasks/search", {
      auth: s.auth,
      body: { extra_filter: { created_at: { $gte: { _dt: "2000-01-01T00:00:00+00:00" } } } },
    });
    expect(((await created.json()) as { content: unknown[] }).content).toHaveLength(1);
    const bad = await s.request("POST", "/api/v1/queues/me/tasks/search", { auth: s.auth, body: { extra_filter: { $where: "1" } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/\$where/);
  });

  it("submits a batch in one request (extension)", async () => {
    await using s = await startTestServerWithQueue();
    const tasks = Array.from({ length: 1200 }, (_, i) => ({ args: { i } }));
    const response = await s.request("POST", "/api/v1/queues/me/tasks/batch", { auth: s.auth, body: { tasks } });
    expect(response.status).toBe(201);
    const { task_ids: ids } = (await response.json()) as { task_ids: string[] };
    expect(new Set(ids).size).toBe(1200);
  });
});

describe("worker and queue routes", () => {
  it("serves a worker by alias (_id) on GET, and v1's errors on reports", async () => {
    await using s = await startTestServerWithQueue();
    const { worker_id: workerId } = (await (await s.request("POST", "/api/v1/queues/me/workers", { auth: s.auth, body: { worker_name: "gpu0" } })).json()) as { worker_id: string };
    const worker = (await (await s.request("GET", `/api/v1/queues/me/workers/${workerId}`, { auth: s.auth })).json()) as Record<string, unknown>;
    expect(worker).toMatchObject({ _id: workerId, status: "active", worker_name: "gpu0", retries: 0, max_retries: 3 });
    expect(worker).not.toHaveProperty("notification");
    const listed = (await (await s.request("POST", "/api/v1/queues/me/workers/search", { auth: s.auth, body: {} })).json()) as { content: Array<Record<string, unknown>> };
    expect(listed.content[0]).toMatchObject({ worker_id: workerId });
    const crashed = await s.request("POST", `/api/v1/queues/me/workers/${workerId}/status`, { auth: s.auth, body: { status: "crashed" } });
    expect([crashed.status, await crashed.json()]).toEqual([400, { detail: "400: Invalid report_status: crashed" }]);
    const suspend = await s.request("POST", `/api/v1/queues/me/workers/${workerId}/status`, { auth: s.auth, body: { status: "suspended" } });
    expect([suspend.status, await suspend.text()]).toEqual([200, "null"]);
    const fetch403 = await s.request("POST", "/api/v1/queues/me/tasks/next", { auth: s.auth, body: { worker_id: workerId } });
    expect(fetch403.status).toBe(403);
    expect((await s.request("DELETE", `/api/v1/queues/me/workers/${workerId}?cascade_update=true`, { auth: s.auth })).status).toBe(204);
    expect((await s.request("DELETE", `/api/v1/queues/me/workers/${workerId}`, { auth: s.auth })).status).toBe(404);
  });

  it("updates and deletes the queue", async () => {
    await using s = await startTestServerWithQueue();
    const updated = await s.request("PUT", "/api/v1/queues/me", { auth: s.auth, body: { new_queue_name: "renamed", metadata_update: { a: 1 } } });
    expect(await updated.json()).toMatchObject({ queue_name: "renamed", metadata: { a: 1 } });
    const same = await s.request("PUT", "/api/v1/queues/me", { auth: ["renamed", "pw"], body: { new_queue_name: "renamed" } });
    expect([same.status, await same.json()]).toEqual([400, { detail: "Queue name 'renamed' already exists" }]);
    expect((await s.request("DELETE", "/api/v1/queues/me?cascade_delete=true", { auth: ["renamed", "pw"] })).status).toBe(204);
    expect((await s.request("GET", "/api/v1/queues/me", { auth: ["renamed", "pw"] })).status).toBe(401);
  });
});

describe("bad requests", () => {
  it("answers malformed JSON, wrong types, unknown routes, wrong methods and huge bodies with 4xx, and keeps serving", async () => {
    await using s = await startTestServerWithQueue();
    const malformed = await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: "{bad" });
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as { detail: Array<{ type: string }> }).detail[0]?.type).toBe("json_invalid");
    const types = await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { a: 1 }, priority: "high", task_name: "a b" } });
    expect(types.status).toBe(422);
    expect(((await types.json()) as { detail: Array<{ loc: unknown[]; type: string }> }).detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ["body", "priority"], type: "int_type" }),
        expect.objectContaining({ loc: ["body", "task_name"], type: "string_pattern_mismatch" }),
      ]),
    );
    const badKey = await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { "a b": 1 } } });
    expect(badKey.status).toBe(422);
    const limit = await s.request("POST", "/api/v1/queues/me/tasks/search", { auth: s.auth, body: { limit: 1001 } });
    expect(limit.status).toBe(422);
    expect((await s.request("GET", "/nope")).status).toBe(404);
    expect(await (await s.request("PATCH", "/api/v1/queues/me/tasks")).json()).toEqual({ detail: "Method Not Allowed" });
    const huge = await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: JSON.stringify({ args: { a: "x".repeat(17 * 1024 * 1024) } }) });
    expect(huge.status).toBe(413);
    const nonUtf8 = await fetch(`${s.url}/api/v1/queues`, { method: "POST", body: new Uint8Array([0x7b, 0xff, 0x7d]) });
    expect(nonUtf8.status).toBe(422);
    expect((await s.request("GET", "/health")).status).toBe(200);
  });

  // Found by the fault suite (test/faults/bad-input.test.ts): both were 500s.
  it("refuses numbers that overflow (1e999) and filters stopped by a guard rail while they run with 4xx", async () => {
    await using s = await startTestServerWithQueue();
    for (const body of ['{"priority": 1e999}', '{"max_retries": 9007199254740993}', '{"heartbeat_timeout": -1e999}']) {
      const answer = await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body });
      expect(answer.status, `${body}`).toBe(422);
    }
    await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { a: 1 } } });
    const runaway = await s.request("POST", "/api/v1/queues/me/tasks/search", { auth: s.auth, body: { extra_filter: { $jsonata: "$count([1..100000000])" } } });
    expect(runaway.status).toBe(400);
    expect(((await runaway.json()) as { detail: string }).detail).toMatch(/^Invalid filter: JSONata filter stopped/);
    const fetched = await s.request("POST", "/api/v1/queues/me/tasks/next", { auth: s.auth, body: { extra_filter: { $jsonata: "$count([1..100000000])" } } });
    expect(fetched.status).toBe(400);
  });
});

describe("OpenAPI", () => {
  it("describes every route the app serves", async () => {
    await using s = await startTestServer();
    const document = (await (await s.request("GET", "/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths)).toContain("/api/v1/queues/me/tasks/{task_id}/status");
    expect(document.paths["/api/v1/queues/me/tasks/next"]?.post).toMatchObject({ requestBody: { content: { "application/json": { schema: { type: "object" } } } } });
    const operations = Object.values(document.paths).flatMap((methods) => Object.keys(methods));
    // the 23 of v1, and our events stream, /health/sweep, the batch delete, the count, a task's log (append, read),
    // the batch log append, the notification rules (add, list, remove, test, deliveries), a worker's telemetry and the
    // dashboard's 10 (docs/dashboard.md); then v2's 23 under /api/v2 (test/http/v2)
    expect(operations).toHaveLength(35 + 10 + 23);
    expect(document.paths["/dashboard/api/filter"]?.post).toMatchObject({ security: [{ session: [] }] });
    // A log chunk goes as raw bytes, with its place in the query, or (the first form) as JSON.
    const append = document.paths["/api/v1/queues/me/tasks/{task_id}/logs"]?.post as { requestBody: { content: Record<string, unknown> }; parameters: Array<{ name: string }> };
    expect(Object.keys(append.requestBody.content).sort()).toEqual(["application/json", "application/octet-stream"]);
    expect(append.parameters.map((p) => p.name)).toEqual(["task_id", "attempt", "run", "offset", "ended"]);
    const batch = document.paths["/api/v1/queues/me/logs"]?.post as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(batch.requestBody.content)).toEqual(["application/octet-stream"]);
  });

  it("appends a batch of several tasks' chunks in one request, answering per chunk, and refuses a malformed body", async () => {
    await using s = await startTestServerWithQueue();
    const authorization = `Basic ${Buffer.from(s.auth.join(":")).toString("base64")}`;
    const taskId = ((await (await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { a: 1 } } })).json()) as { task_id: string }).task_id;
    const post = (body: Uint8Array) => fetch(`${s.url}/api/v1/queues/me/logs`, { method: "POST", headers: { authorization, "content-type": "application/octet-stream" }, body });
    const head = { chunks: [{ task_id: taskId, attempt: 0, run: "r1", offset: 0, length: 3, ended: true }, { task_id: "t_AAAAAAAAAAAA", attempt: 0, run: "r2", offset: 0, length: 2, ended: false }] };
    const ok = await post(Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`), Buffer.from([0x00, 0x0a, 0xff]), Buffer.from("xy")]));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ results: [{ attempt: 1 }, { status: 404, detail: expect.stringMatching(/not found/i) }] });
    const log = (await (await s.request("GET", `/api/v1/queues/me/tasks/${taskId}/logs`, { auth: s.auth })).json()) as { data: string; ended: boolean };
    expect(log).toMatchObject({ data: Buffer.from([0x00, 0x0a, 0xff]).toString("base64"), ended: true });
    const short = await post(Buffer.from(`${JSON.stringify(head)}\nabc`));
    expect(short.status).toBe(400);
    expect(((await short.json()) as { detail: string }).detail).toMatch(/length must be/);
    expect((await post(Buffer.from("no json line"))).status).toBe(400);
    expect((await fetch(`${s.url}/api/v1/queues/me/logs`, { method: "POST", body: Buffer.from("{}\n") })).status).toBe(401);
  });

  it("appends a log chunk sent as raw bytes or as base64 in JSON, and refuses a bad place in the query", async () => {
    await using s = await startTestServerWithQueue();
    const { auth } = s;
    const authorization = `Basic ${Buffer.from(auth.join(":")).toString("base64")}`;
    const taskId = ((await (await s.request("POST", "/api/v1/queues/me/tasks", { auth, body: { args: { a: 1 } } })).json()) as { task_id: string }).task_id;
    const path = `/api/v1/queues/me/tasks/${taskId}/logs`;
    const raw = (query: string, body: Uint8Array) =>
      fetch(`${s.url}${path}?${query}`, { method: "POST", headers: { authorization, "content-type": "application/octet-stream" }, body });
    const first = await raw("attempt=0&run=r1&offset=0", Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x00, 0xff, 0x0d, 0x0a]));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ attempt: 1 });
    const json = await s.request("POST", path, { auth, body: { attempt: 1, run: "r1", offset: 9, data: Buffer.from("json form").toString("base64") } });
    expect(json.status).toBe(200);
    const end = await raw("attempt=1&run=r1&offset=18&ended=true", new Uint8Array(0)); // an end mark without bytes
    expect(end.status).toBe(200);
    const read = (await (await s.request("GET", path, { auth })).json()) as { data: string; ended: boolean };
    expect(Buffer.from(read.data, "base64")).toEqual(Buffer.concat([Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x00, 0xff, 0x0d, 0x0a]), Buffer.from("json form")]));
    expect(read.ended).toBe(true);
    for (const query of ["attempt=x&run=r1&offset=0", "run=r1&offset=-1", "run=bad%20run", "run=r1&ended=yes"]) {
      expect((await raw(query, Buffer.from("x"))).status).toBe(400);
    }
  });
});
