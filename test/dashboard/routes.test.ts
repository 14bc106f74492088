/**
 * The dashboard's JSON routes without a browser: sessions (forged, expired, signed out), the filter route's errors,
 * the page route's scan, points, bulk actions by filter, a task's events, the overview and the throughput count.
 */
import { describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/http.js";
import { NO_TOKEN_MESSAGE, SessionKeeper } from "../../src/http/dashboard/session.js";
import { ThroughputCounter } from "../../src/http/dashboard/throughput.js";

interface Session {
  cookie: string;
  token: string;
  queueId: string;
}

async function queueWithSession(server: TestServer): Promise<Session & { name: string; auth: [string, string] }> {
  const name = `q${Math.random().toString(36).slice(2, 10)}`;
  await server.request("POST", "/api/v1/queues", { body: { queue_name: name, password: "pw" } });
  const answer = await server.request("POST", "/dashboard/api/session", { body: { queue_name: name, password: "pw" } });
  expect(answer.status).toBe(200);
  const body = (await answer.json()) as { csrf_token: string; queue_id: string };
  return { name, auth: [name, "pw"], cookie: answer.headers.get("set-cookie")!.split(";")[0]!, token: body.csrf_token, queueId: body.queue_id };
}

function call(server: TestServer, session: Session, method: string, path: string, body?: unknown) {
  return server.request(method, path, { body, headers: { cookie: session.cookie, "x-csrf-token": session.token } });
}

describe("dashboard sessions", () => {
  it("sets an HttpOnly, SameSite=Strict cookie that expires, and refuses forged or expired ones", async () => {
    await using server = await startTestServer();
    const name = `q${Math.random().toString(36).slice(2, 10)}`;
    await server.request("POST", "/api/v1/queues", { body: { queue_name: name, password: "pw" } });
    const answer = await server.request("POST", "/dashboard/api/session", { body: { queue_name: name, password: "pw" } });
    expect(answer.headers.get("set-cookie")).toMatch(/^labtasker_session=[\w-]+\.[\w-]+; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const cookie = answer.headers.get("set-cookie")!.split(";")[0]!;
    expect((await server.request("GET", "/dashboard/api/overview", { headers: { cookie } })).status).toBe(200);

    const [payload, signature] = cookie.slice("labtasker_session=".length).split(".");
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), q: "another-queue" })).toString("base64url");
    const refused = await server.request("GET", "/dashboard/api/overview", { headers: { cookie: `labtasker_session=${forged}.${signature}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBeNull();
    expect(await refused.json()).toEqual({ detail: "Not authenticated" });

    const expired = await new SessionKeeper(server.broker, -1).open({ queueId: "x", queueName: name });
    expect((await server.request("GET", "/dashboard/api/overview", { headers: { cookie: `labtasker_session=${expired.cookie}` } })).status).toBe(401);
    // Basic auth is no way into the dashboard's routes, nor the cookie into the API's.
    expect((await server.request("GET", "/dashboard/api/overview", { auth: [name, "pw"] })).status).toBe(401);
    expect((await server.request("GET", "/api/v1/queues/me", { headers: { cookie } })).status).toBe(401);
  });

  it("refuses a sign-in that is not JSON, or that comes from another site", async () => {
    await using server = await startTestServer();
    const form = await fetch(`${server.url}/dashboard/api/session`, { method: "POST", headers: { "content-type": "text/plain" }, body: '{"queue_name":"a","password":"b"}' });
    expect(form.status).toBe(400);
    const crossSite = await server.request("POST", "/dashboard/api/session", { body: { queue_name: "a", password: "b" }, headers: { "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
  });

  it("signs in with v2's token and a queue's name; refuses a wrong token, and any token on a server without one", async () => {
    await using server = await startTestServer({ v2Auth: { token: "the-token" } });
    const { name, queueId } = await queueWithSession(server);
    const signIn = (body: unknown) => server.request("POST", "/dashboard/api/session", { body });
    const ok = await signIn({ queue_name: name, token: "the-token" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ queue_id: queueId, queue_name: name });
    const cookie = ok.headers.get("set-cookie")!.split(";")[0]!;
    expect((await server.request("GET", "/dashboard/api/overview", { headers: { cookie } })).status).toBe(200);
    expect(await (await signIn({ queue_name: queueId, token: "the-token" })).json()).toMatchObject({ queue_id: queueId });
    const wrong = await signIn({ queue_name: name, token: "the-tokem" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ detail: "Invalid credentials" });
    expect((await signIn({ queue_name: "no-such-queue", token: "the-token" })).status).toBe(404);
    // A body with both, or neither, is no sign-in.
    expect((await signIn({ queue_name: name, token: "the-token", password: "pw" })).status).toBe(422);

    await using tokenless = await startTestServer();
    const other = await queueWithSession(tokenless);
    const refused = await tokenless.request("POST", "/dashboard/api/session", { body: { queue_name: other.name, token: "anything" } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ detail: NO_TOKEN_MESSAGE });
    // v2 closed (no token on a non-loopback address) refuses it too.
    await using closed = await startTestServer({ v2Auth: { closed: true } });
    const third = await queueWithSession(closed);
    expect((await closed.request("POST", "/dashboard/api/session", { body: { queue_name: third.name, token: "anything" } })).status).toBe(401);
  });

  it("signs out", async () => {
    await using server = await startTestServer();
    const session = await queueWithSession(server);
    const out = await call(server, session, "DELETE", "/dashboard/api/session");
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^labtasker_session=; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=0/);
  });
});

describe("dashboard routes", () => {
  it("compiles a filter, or says where it is wrong in the text as typed", async () => {
    await using server = await startTestServer();
    const session = await queueWithSession(server);
    const ok = await call(server, session, "POST", "/dashboard/api/filter", { filter: "args.lr > 0.01 and regex(task_name, '^a')" });
    expect(await ok.json()).toEqual({ extra_filter: { $and: [{ "args.lr": { $gt: 0.01 } }, { task_name: { $regex: "^a" } }] } });
    const bad = await call(server, session, "POST", "/dashboard/api/filter", { filter: "  args.lr > > 1" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      detail: "Invalid filter: Query syntax error: invalid syntax",
      filter_error: { message: "Query syntax error: invalid syntax", line: 1, column: 13, offset: 12, path: null },
    });
    const mongo = await call(server, session, "POST", "/dashboard/api/filter", { filter: "{'args.lr': {'$bogus': 1}}" });
    expect(mongo.status).toBe(400);
    expect(((await mongo.json()) as { filter_error: { path: string } }).filter_error.path).toBe("args.lr.$bogus");
    expect((await call(server, session, "POST", "/dashboard/api/filter", { filter: "x", extra: 1 })).status).toBe(422);
  });

  it("pages a filter in the queue's order by scanning, and counts, points and acts on what it matches", async () => {
    await using server = await startTestServer();
    const session = await queueWithSession(server);
    const tasks = Array.from({ length: 1200 }, (_, i) => ({ args: { i, even: i % 2 === 0 }, priority: 10 }));
    await server.request("POST", "/api/v1/queues/me/tasks/batch", { auth: session.auth, body: { tasks } });
    const page = async (body: unknown) => (await (await call(server, session, "POST", "/dashboard/api/tasks/page", body)).json()) as { total: number | null; content: Array<{ args: { i: number } }> };

    const scanned = await page({ extra_filter: { "args.even": true }, limit: 10, scan: true });
    expect(scanned.total).toBeNull();
    expect(scanned.content.map((t) => t.args.i)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    // Read to the end of the indexes: the total is known.
    const toTheEnd = await page({ extra_filter: { "args.even": true }, limit: 100, offset: 550, scan: true });
    expect(toTheEnd.total).toBe(600);
    expect(toTheEnd.content).toHaveLength(50);
    const sorted = await page({ sort: [["args.i", -1]], limit: 3 });
    expect(sorted).toMatchObject({ total: 1200, content: [{ args: { i: 1199 } }, { args: { i: 1198 } }, { args: { i: 1197 } }] });

    const points = (await (await call(server, session, "POST", "/dashboard/api/tasks/points", { extra_filter: { "args.i": { $lt: 5 } }, fields: ["args.i", "summary.acc"] })).json()) as { total: number; points: unknown[][] };
    expect(points.total).toBe(5);
    expect(points.points.map((p) => [p[1], p[2], p[3]])).toEqual([0, 1, 2, 3, 4].map((i) => ["pending", i, null]));

    const bulk = await call(server, session, "POST", "/dashboard/api/tasks/bulk", { action: "priority", priority: 1, extra_filter: { "args.even": false } });
    expect(await bulk.json()).toEqual({ matched: 600, done: 600, failures: [] });
    const counts = (await (await server.request("POST", "/api/v1/queues/me/tasks/count", { auth: session.auth, body: { extra_filter: { priority: 1 } } })).json()) as { counts: { pending: number } };
    expect(counts.counts.pending).toBe(600);
    expect((await call(server, session, "POST", "/dashboard/api/tasks/bulk", { action: "priority" })).status).toBe(400);
    expect((await call(server, session, "POST", "/dashboard/api/tasks/bulk", { action: "drop-table" })).status).toBe(422);
  });

  it("streams the queue's events in a few writes, however many come at once", async () => {
    await using server = await startTestServer({ dashboard: { eventsCoalesceMs: 3000 } });
    const session = await queueWithSession(server);
    const response = await server.request("GET", "/dashboard/api/v1/queues/me/events", { headers: { cookie: session.cookie } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const chunks: string[] = [];
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        chunks.push(Buffer.from(value).toString());
      }
    })().catch(() => undefined);
    await expect.poll(() => chunks.join("")).toContain("event: connection");
    // Eight submits, one after the other, each its own read of the queue's stream by the server.
    for (let i = 0; i < 8; i++) {
      await server.request("POST", "/api/v1/queues/me/tasks", { auth: session.auth, body: { args: { i } } });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await expect.poll(() => chunks.join("").split("event: event").length - 1, { timeout: 10_000 }).toBe(8);
    // Each held until the stream's window (3 s here) ends and written with the others: one chunk (two if the window
    // closed among them), not eight.
    expect(chunks.filter((chunk) => chunk.includes("event: event")).length).toBeLessThanOrEqual(2);
    await reader.cancel();
    await reading;
  });

  it("answers the overview, a task's events and the tasks finished per minute", async () => {
    await using server = await startTestServer();
    const session = await queueWithSession(server);
    const submitted = (await (await server.request("POST", "/api/v1/queues/me/tasks/batch", { auth: session.auth, body: { tasks: [{ args: { a: 1 } }, { args: { a: 2 } }, { args: { a: 3 } }] } })).json()) as { task_ids: string[] };
    const worker = (await (await server.request("POST", "/api/v1/queues/me/workers", { auth: session.auth, body: {} })).json()) as { worker_id: string };
    const fetched = (await (await server.request("POST", "/api/v1/queues/me/tasks/next", { auth: session.auth, body: { worker_id: worker.worker_id } })).json()) as { task: { task_id: string } };
    await server.request("POST", `/api/v1/queues/me/tasks/${fetched.task.task_id}/status`, { auth: session.auth, body: { status: "success", worker_id: worker.worker_id } });
    await server.request("POST", "/api/v1/queues/me/tasks/next", { auth: session.auth, body: { worker_id: worker.worker_id } });

    const overview = await (await call(server, session, "GET", "/dashboard/api/overview")).json();
    expect(overview).toMatchObject({ counts: { pending: 1, running: 1, success: 1, failed: 0, cancelled: 0 }, workers: { busy: 1, idle: 0, suspended: 0, crashed: 0 } });

    const events = (await (await call(server, session, "GET", `/dashboard/api/tasks/${fetched.task.task_id}/events`)).json()) as { events: Array<{ event: { new_state: string } }> };
    expect(events.events.map((e) => e.event.new_state)).toEqual(["success", "running", "pending"]);
    expect(submitted.task_ids).toContain(fetched.task.task_id);
    expect((await call(server, session, "GET", "/dashboard/api/tasks/00000000-0000-4000-8000-000000000000/events")).status).toBe(404);

    const throughput = (await (await call(server, session, "GET", "/dashboard/api/throughput?minutes=5")).json()) as { minutes: Array<{ minute: string; success: number }>; covers_from: string };
    expect(throughput.minutes).toHaveLength(5);
    expect(throughput.covers_from).toBe(new Date(server.clock.now()).toISOString());
    // The test broker's clock stands still (in 2025): counted at its minute.
    const counted = await new ThroughputCounter(server.broker).minutes(session.queueId, 2, server.clock.now());
    expect(counted.minutes.at(-1)).toEqual({ minute: new Date(Math.floor(server.clock.now() / 60_000) * 60_000).toISOString(), success: 1, failed: 0 });
    expect((await call(server, session, "GET", "/dashboard/api/throughput?minutes=0")).status).toBe(422);
  });

  it("serves the page and its assets, 404 for others, and nothing when switched off", async () => {
    await using server = await startTestServer();
    const page = await server.request("GET", "/", { headers: { accept: "text/html" } });
    const html = await page.text();
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await server.request("GET", script!);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await asset.text()).length).toBeGreaterThan(1000);
    const status = async (method: string, path: string) => {
      const answer = await server.request(method, path);
      await answer.text();
      return answer.status;
    };
    expect(await status("GET", "/dashboard/assets/..%2Fpackage.json")).toBe(404);
    expect(await status("GET", "/dashboard/nope")).toBe(404);
    expect(await status("PUT", "/dashboard/api/overview")).toBe(405);

    await using off = await startTestServer({ dashboard: false });
    const json = await off.request("GET", "/", { headers: { accept: "text/html" } });
    expect(json.headers.get("content-type")).toMatch(/application\/json/);
    await json.text();
    const gone = await off.request("POST", "/dashboard/api/session", { body: {} });
    expect(gone.status).toBe(404);
    await gone.text();
  });
});
