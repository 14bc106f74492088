/**
 * The hot v2 routes (src/http/routes/v2/hot.ts) answer ahead of Express: which requests they take, and that each
 * answer is the one Express's route gives to the same request. A query (`?`) sends a request through Express (the
 * hot routes leave it alone, and these routes ignore it), so every request here is sent both ways on equal state
 * (the test clock stands still) and the two answers are compared whole: status, every header but Date, and body.
 */
import { describe, expect, it } from "vitest";
import type { LabtaskerV2 } from "../../../src/core/v2/api.js";
import { hotRoute } from "../../../src/http/routes/v2/hot.js";
import { startV2Server, type V2TestServer } from "./support.js";

const R1 = "r_aaaaaaaaaaaa";
const R2 = "r_bbbbbbbbbbbb";
const TASK = "queues/default/tasks/t_aaaaaaaaaaaa";

interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

async function answer(s: V2TestServer, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await s.v2(method, path, options);
  return { status: response.status, headers: [...response.headers].filter(([name]) => name !== "date"), body: await response.text() };
}

/** The answer of the hot route, after checking that it is the Express route's answer to the same request. */
async function both(s: V2TestServer, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  expect(hotRoute(method, `/api/v2/${path}`)).not.toBeNull();
  expect(hotRoute(method, `/api/v2/${path}?`)).toBeNull();
  const hot = await answer(s, method, path, options);
  const express = await answer(s, method, `${path}?`, options);
  expect(hot).toEqual(express);
  return hot;
}

describe("which requests the hot routes take", () => {
  it("create by id, claim and a run's reports, on their exact paths; nothing else", () => {
    expect(hotRoute("PUT", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa")).toMatchObject({ params: { queue: "q", taskId: "t_aaaaaaaaaaaa" } });
    expect(hotRoute("POST", "/api/v2/queues/q/tasks/claim")).toMatchObject({ params: { queue: "q" } });
    for (const report of ["heartbeat", "progress", "complete", "fail", "unclaim"]) {
      expect(hotRoute("POST", `/api/v2/queues/q/tasks/t_aaaaaaaaaaaa/${report}`)).toMatchObject({ params: { queue: "q", taskId: "t_aaaaaaaaaaaa" } });
    }
    for (const [method, url] of [
      ["GET", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa"],
      ["HEAD", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa"],
      ["PATCH", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa"],
      ["POST", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa"],
      ["PUT", "/api/v2/queues/q/tasks/claim/x"],
      ["POST", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa/cancel"],
      ["POST", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa/constructor"],
      ["POST", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa/complete/"],
      ["POST", "/api/v2/queues/q/tasks/claim/"],
      ["PUT", "/api/v2/queues//tasks/t_aaaaaaaaaaaa"],
      ["PUT", "/api/v2/queues/q/tasks/t_aaaaaaaaaaa%61"],
      ["PUT", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa?x=1"],
      ["POST", "/api/v2/queues/q/tasks/t_aaaaaaaaaaaa#x/complete"],
      ["PUT", "/API/v2/queues/q/tasks/t_aaaaaaaaaaaa"],
      ["PUT", "/api/v2/queues/q/workers/w_aaaaaaaaaaaa"],
      ["PUT", "/api/v2/queues/q"],
      ["PUT", "http://host/api/v2/queues/q/tasks/t_aaaaaaaaaaaa"],
    ]) {
      expect(hotRoute(method, url), `${method} ${url}`).toBeNull();
    }
  });
});

describe("the hot routes answer as Express's routes", () => {
  it("create by id: 201, replay 200, conflict, and every refusal of the request", async () => {
    await using s = await startV2Server();
    // Numbers keep their form both ways: 3.0 stays 3.0, an integer beyond 2^53 stays exact.
    const definition = '{"name":"a","args":{"lr":3.0,"big":9007199254740993,"nested":{"b":1,"a":[1.5,"x"]}},"metadata":{"m":1},"priority":2}';
    const created = await answer(s, "PUT", TASK, { body: definition });
    expect(created.status).toBe(201);
    expect(created.headers).toContainEqual(["labtasker-server-version", "2.8.0"]);
    expect(created.body).toContain('"args":{"big":9007199254740993,"lr":3.0,');
    expect((await both(s, "PUT", TASK, { body: definition })).status).toBe(200);
    expect((await both(s, "PUT", TASK, { body: definition.replace('"priority":2', '"priority":3') })).status).toBe(409);
    for (const body of [undefined, "", "{bad", "[]", "null", { args: [] }, { args: { x: 1 }, routes: [] }, { name: "\u0001" }, { priority: 2 ** 63 }, { bogus: 1 }]) {
      expect((await both(s, "PUT", TASK, { body })).status).toBe(422);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 80; i++) deep = [deep];
    expect(JSON.parse((await both(s, "PUT", TASK, { body: { args: { deep } } })).body)).toMatchObject({ error: { code: "json_too_deep" } });
    expect((await both(s, "PUT", "queues/default/tasks/t_short", { body: {} })).status).toBe(422);
    expect((await both(s, "PUT", "queues/-bad/tasks/t_aaaaaaaaaaaa", { body: {} })).status).toBe(422);
    expect((await both(s, "PUT", "queues/nosuch/tasks/t_aaaaaaaaaaaa", { body: {} })).status).toBe(404);
  });

  it("claim, heartbeat, progress, complete, fail and unclaim: answers, replays and refusals", async () => {
    await using s = await startV2Server();
    expect((await both(s, "POST", "queues/default/tasks/claim", { body: { route: "default", run_id: R1 } })).status).toBe(204);
    await s.json("PUT", TASK, { body: { args: { x: 1 } } });
    await s.json("PUT", "queues/default/tasks/t_bbbbbbbbbbbb", { body: { args: { x: 2 } } });
    // The same run id again is the same claim: the second request of each pair is a replay.
    expect((await both(s, "POST", "queues/default/tasks/claim", { body: { route: "default", run_id: R1 } })).status).toBe(200);
    for (const body of [undefined, {}, { route: "default" }, { route: "-", run_id: R1 }, { route: "default", run_id: "r_x" }]) {
      expect((await both(s, "POST", "queues/default/tasks/claim", { body })).status).toBe(422);
    }
    expect((await both(s, "POST", `${TASK}/heartbeat`, { body: { run_id: R1 } })).status).toBe(200);
    expect((await both(s, "POST", `${TASK}/heartbeat`, { body: { run_id: R2 } })).status).toBe(409);
    expect((await both(s, "POST", `${TASK}/progress`, { body: { run_id: R1, progress: { done: 1 } } })).status).toBe(204);
    expect((await both(s, "POST", `${TASK}/complete`, { body: { run_id: R1 } })).status).toBe(422);
    expect((await both(s, "POST", `${TASK}/complete`, { body: { run_id: R1, result: { acc: 0.9 } } })).status).toBe(204);
    expect((await both(s, "POST", `${TASK}/fail`, { body: { run_id: R1, error: { type: "E", message: "m", traceback: null } } })).status).toBe(409);
    expect((await both(s, "POST", "queues/default/tasks/t_cccccccccccc/complete", { body: { run_id: R1, result: {} } })).status).toBe(404);
    const other = "queues/default/tasks/t_bbbbbbbbbbbb";
    await s.json("POST", "queues/default/tasks/claim", { body: { route: "default", run_id: R2 } });
    expect((await both(s, "POST", `${other}/unclaim`, { body: { run_id: R2 } })).status).toBe(204);
    expect((await both(s, "POST", `${other}/fail`, { body: { run_id: R2, error: { type: "E", message: "m", traceback: "t" } } })).status).toBe(409);
  });

  it("with a token, the hot routes serve only the callers v2 authenticates; an unexpected error is a logged 500", async () => {
    await using s = await startV2Server({ v2Auth: { token: "s3cret" } });
    expect((await answer(s, "PUT", TASK, { body: { args: {} }, token: "s3cret" })).status).toBe(201);
    expect((await both(s, "PUT", TASK, { body: { args: {} }, token: "s3cret" })).status).toBe(200);
    expect((await both(s, "PUT", TASK, { body: { args: {} }, token: "wrong" })).status).toBe(401);
    expect((await both(s, "POST", "queues/default/tasks/claim", { body: { route: "default", run_id: R1 } })).status).toBe(401);

    const logged: Array<{ method: string; path: string }> = [];
    const failing = { putTask: () => Promise.reject(new Error("boom")) } as unknown as LabtaskerV2;
    await using broken = await startV2Server({ v2: failing, logError: (_error, req) => logged.push({ method: req.method, path: req.path }) });
    const failed = await both(broken, "PUT", TASK, { body: { args: {} } });
    expect(failed).toMatchObject({ status: 500, body: "Internal Server Error" });
    expect(failed.headers).toContainEqual(["content-type", "text/plain; charset=utf-8"]);
    // The same line both ways: the path below the v2 router's mount point.
    expect(logged).toEqual([
      { method: "PUT", path: `/${TASK}` },
      { method: "PUT", path: `/${TASK}` },
    ]);
  });
});
