/**
 * v2's protocol at the HTTP boundary (what the server answers before any task is read): authentication, headers,
 * /health, /openapi.json, unknown paths, request validation and limits, each checked against what labtasker 2.8.0's
 * own server answers to the same request.
 */
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { startV2Server, validation } from "./support.js";

const TASK = "queues/default/tasks/t_aaaaaaaaaaaa";

describe("authentication", () => {
  it("without a token, v2 is open; every /api/ answer carries Labtasker-Server-Version", async () => {
    await using s = await startV2Server();
    const queues = await s.v2("GET", "queues");
    expect(queues.status).toBe(200);
    expect(queues.headers.get("labtasker-server-version")).toBe("2.8.0");
    expect(await queues.json()).toEqual([{ name: "default" }]);
    expect((await s.json("GET", "nope")).headers.get("labtasker-server-version")).toBe("2.8.0");
    // Not on the open routes outside /api/.
    expect((await s.json("GET", "/health")).headers.get("labtasker-server-version")).toBeNull();
  });

  it("with a token: 401 unauthorized without it, with another, or with Basic; case-insensitive Bearer passes", async () => {
    await using s = await startV2Server({ v2Auth: { token: "s3cret" } });
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "Basic czNjcmV0" }, { authorization: "s3cret" }] as Array<Record<string, string>>) {
      const answer = await s.v2("GET", "queues", { headers });
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toBe("Bearer");
      expect(answer.headers.get("labtasker-server-version")).toBeNull();
      expect(await answer.json()).toEqual({ error: { code: "unauthorized", message: "Authentication is required.", details: {} } });
    }
    const ok = await s.v2("GET", "queues", { headers: { authorization: "bearer s3cret" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("labtasker-server-version")).toBe("2.8.0");
    expect(await ok.json()).toEqual([{ name: "default" }]);
    // Authentication comes before the body is read as JSON (as v2's server).
    expect((await s.json("PUT", TASK, { body: "{bad", token: "wrong" })).status).toBe(401);
  });

  it("/health and /openapi.json accept any Authorization header; v1's routes ignore the token", async () => {
    await using s = await startV2Server({ v2Auth: { token: "s3cret" } });
    expect((await s.json("GET", "/health", { token: "wrong" })).status).toBe(200);
    expect((await s.json("GET", "/openapi.json", { token: "wrong" })).status).toBe(200);
    // The token is no v1 credential, and a v1 queue password no v2 one.
    expect((await s.json("GET", "/api/v1/queues/me", { token: "s3cret" })).status).toBe(401);
    const basic = await s.request("GET", "/api/v2/queues", { auth: ["default", ""] });
    expect(basic.status).toBe(401);
    await basic.text();
  });

  it("closed (no token on a non-loopback address): 401 saying to set LABTASKER_SERVER_TOKEN; v1 unaffected", async () => {
    await using s = await startV2Server({ v2Auth: { closed: true } });
    const answer = await s.json<{ error: { code: string; message: string } }>("GET", "queues", { token: "anything" });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("unauthorized");
    expect(answer.body.error.message).toContain("LABTASKER_SERVER_TOKEN");
    const v1 = await s.request("POST", "/api/v1/queues", { body: { queue_name: "v1q", password: "pw" } });
    expect(v1.status).toBe(201);
    await v1.text();
    expect((await s.json("GET", "/health")).status).toBe(200);
  });
});

describe("open routes", () => {
  it("/health: one body for both protocols", async () => {
    await using s = await startV2Server();
    expect(await (await s.v2("GET", "/health")).json()).toEqual({ connection: "ok", status: "ok", api_version: "2", database: "ok" });
    // v1's client reads /health/full: unchanged.
    expect(await (await s.v2("GET", "/health/full")).json()).toEqual({ status: "healthy", database: "connected" });
  });

  it("/openapi.json lists every v2 route, with the exact templates and lower-case methods the web UI checks", async () => {
    await using s = await startV2Server();
    const document = (await (await s.v2("GET", "/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const methods = (path: string) => Object.keys(document.paths[path] ?? {}).sort();
    expect(methods("/api/v2/queues")).toEqual(["get"]);
    expect(methods("/api/v2/queues/{queue}/tasks")).toEqual(["get", "patch"]);
    expect(methods("/api/v2/queues/{queue}/tasks/count")).toEqual(["get"]);
    expect(methods("/api/v2/queues/{queue}/tasks/{task_id}")).toEqual(["delete", "get", "patch", "put"]);
    expect(methods("/api/v2/queues/{queue}/tasks/{task_id}/cancel")).toEqual(["post"]);
    expect(methods("/api/v2/queues/{queue}/tasks/{task_id}/requeue")).toEqual(["post"]);
    const v2 = Object.entries(document.paths).filter(([path]) => path.startsWith("/api/v2/")).flatMap(([, ops]) => Object.keys(ops));
    expect(v2).toHaveLength(23); // with /health, v2's 24 operations
    expect(methods("/api/v1/queues/me")).toEqual(["delete", "get", "put"]);
  });

  it("unknown paths 404 and known paths with another method 405, before authentication, with v2's bodies", async () => {
    await using s = await startV2Server({ v2Auth: { token: "s3cret" } });
    const missing = await s.v2("GET", "nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: "Not Found" });
    const wrongMethod = await s.v2("POST", "queues");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect(await wrongMethod.json()).toEqual({ detail: "Method Not Allowed" });
    // /tasks/claim is a task id to GET (v2's routing): its format is refused.
    expect(await (await s.v2("GET", "queues/q/tasks/claim", { token: "s3cret" })).json()).toEqual({
      error: { code: "invalid_task_id", message: "Task ID has an invalid format.", details: { task_id: "claim" } },
    });
  });
});

describe("request validation (pydantic strict, extra forbidden)", () => {
  it("task create: strict integers, extra fields, field order, then extras", async () => {
    await using s = await startV2Server();
    for (const priority of ['"1"', "1.0", "true", "null"]) {
      expect((await s.json("PUT", TASK, { body: `{"args":{"x":1},"priority":${priority}}` })).body).toEqual(
        validation("invalid_task", [[["body", "priority"], "Input should be a valid integer"]]),
      );
    }
    expect((await s.json("PUT", TASK, { body: { args: { x: 1 }, cmd: "x" } })).body).toEqual(validation("invalid_task", [[["body", "cmd"], "Extra inputs are not permitted"]]));
    expect((await s.json("PUT", TASK, { body: '{"name":5,"routes":"x","dependencies":[1],"zzz":1,"aaa":2}' })).body).toEqual(
      validation("invalid_task", [
        [["body", "name"], "Input should be a valid string"],
        [["body", "routes"], "Input should be a valid list"],
        [["body", "dependencies", 0], "Input should be a valid string"],
        [["body", "zzz"], "Extra inputs are not permitted"],
        [["body", "aaa"], "Extra inputs are not permitted"],
      ]),
    );
    expect((await s.json("PUT", TASK, { body: '{"max_attempts":0,"priority":9223372036854775808}' })).body).toEqual(
      validation("invalid_task", [
        [["body", "priority"], "Input should be less than or equal to 9223372036854775807"],
        [["body", "max_attempts"], "Input should be greater than or equal to 1"],
      ]),
    );
    expect((await s.json("PUT", TASK)).body).toEqual(validation("invalid_task", [[["body"], "Field required"]]));
    expect((await s.json("PUT", TASK, { body: "[1]" })).body).toEqual(validation("invalid_task", [[["body"], "Input should be a valid dictionary or object to extract fields from"]]));
    expect((await s.json("PUT", TASK, { body: { args: [] } })).body).toEqual(validation("invalid_task", [[["body", "args"], "Input should be a valid dictionary"]]));
  });

  it("task create: v2's own checks of routes, dependencies, names and values", async () => {
    await using s = await startV2Server();
    const one = async (body: unknown) => (await s.json("PUT", TASK, { body })).body;
    expect(await one({ routes: [] })).toEqual(validation("invalid_task", [[["body", "routes"], "Routes must be a non-empty array."]]));
    expect(await one({ routes: ["a", "a"] })).toEqual(validation("invalid_task", [[["body", "routes"], "Routes must not contain duplicates."]]));
    expect(await one({ routes: ["bad route"] })).toEqual(validation("invalid_task", [[["body", "routes"], "Route must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}."]]));
    expect(await one({ dependencies: ["nope"] })).toEqual(validation("invalid_task", [[["body", "dependencies"], "Task ID has an invalid format."]]));
    expect(await one('{"args":{"big":12345678901234567890}}')).toEqual(validation("invalid_task", [[["body", "args"], "Integer is outside the signed 64-bit range."]]));
    expect(await one('{"args":{"f":1e400}}')).toEqual(validation("invalid_task", [[["body", "args"], "Number must be finite."]]));
    expect(await one('{"args":{"s":"\\ud800"}}')).toEqual(validation("invalid_task", [[["body", "args"], "String contains a lone Unicode surrogate."]]));
    const badName = { error: { code: "invalid_task_name", message: "Task name is invalid.", details: {} } };
    expect(await one({ name: "a\u0001" })).toEqual(badName);
    expect(await one({ name: "a".repeat(257) })).toEqual(badName);
    // An invalid name wins over the other errors.
    expect(await one('{"metadata":{"s":"\\ud800"},"name":"\\u0001"}')).toEqual(badName);
  });

  it("malformed JSON, JSON depth 64, body 1 MiB, task data 1 MiB", async () => {
    await using s = await startV2Server();
    expect((await s.json("PUT", TASK, { body: "{bad" })).body).toEqual(validation("invalid_request", [[["body"], "Malformed JSON body."]]));
    const nonUtf8 = await fetch(`${s.url}/api/v2/${TASK}`, { method: "PUT", body: new Uint8Array([0x7b, 0xff, 0x7d]) });
    expect(await nonUtf8.json()).toEqual(validation("invalid_request", [[["body"], "Malformed JSON body."]]));
    const nested = (levels: number) => `{"args":${'{"a":'.repeat(levels)}1${"}".repeat(levels)}}`;
    const tooDeep = { error: { code: "json_too_deep", message: "JSON value is too deeply nested.", details: { max_depth: 64 } } };
    expect((await s.json("PUT", TASK, { body: nested(65) })).body).toEqual(tooDeep);
    expect((await s.json("PUT", TASK, { body: nested(64) })).status).toBe(201); // args and 63 levels inside it
    expect((await s.json("PUT", TASK, { body: `{"args":{"a":${"[".repeat(5000)}${"]".repeat(5000)}}}` })).body).toEqual(tooDeep);
    expect((await s.json("POST", "queues/default/tasks/t_aaaaaaaaaaaa/complete", { body: `{"run_id":"r_aaaaaaaaaaaa","result":${'{"a":'.repeat(65)}1${"}".repeat(65)}}` })).body).toEqual(tooDeep);
    const tooLarge = await s.json("PUT", TASK, { body: JSON.stringify({ args: { s: "x".repeat(1048576) } }) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toEqual({ error: { code: "request_too_large", message: "Request body exceeds the 1 MiB limit.", details: { max_bytes: 1048576 } } });
    // Under the body limit, over the stored-data limit (the stored form adds the defaults and an empty result).
    const stored = await s.json("PUT", TASK, { body: JSON.stringify({ args: { s: "x".repeat(1048576 - 40) } }) });
    expect(stored.status).toBe(422);
    expect(stored.body).toEqual({ error: { code: "task_data_too_large", message: "Stored Task data exceeds the 1 MiB limit.", details: { max_bytes: 1048576 } } });
  });

  it("a body arrives whole however it is sent: in separate writes, compressed, chunked", async () => {
    await using s = await startV2Server();
    const definition = JSON.stringify({ args: { lr: 0.1 }, routes: ["default"] });
    // Headers and body in two writes, as labtasker's client sends them.
    const { port } = new URL(s.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(`PUT /api/v2/queues/default/tasks/t_bbbbbbbbbbbb HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${definition.length}\r\nConnection: close\r\n\r\n`);
        setTimeout(() => socket.write(definition), 20);
      });
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(raw).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    expect(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4))).toMatchObject({ id: "t_bbbbbbbbbbbb", args: { lr: 0.1 } });
    // gzip (decompressed as before), then chunked: the same definition again is a replay (200).
    const gzipped = await fetch(`${s.url}/api/v2/queues/default/tasks/t_bbbbbbbbbbbb`, { method: "PUT", headers: { "content-encoding": "gzip" }, body: gzipSync(definition) });
    expect(gzipped.status).toBe(200);
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(definition)), c.close()) });
    const chunked = await fetch(`${s.url}/api/v2/queues/default/tasks/t_bbbbbbbbbbbb`, { method: "PUT", body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(200);
    const unsupported = await fetch(`${s.url}/api/v2/${TASK}`, { method: "PUT", headers: { "content-encoding": "zip" }, body: definition });
    expect(await unsupported.json()).toEqual(validation("invalid_request", [[["body"], "Malformed JSON body."]]));
    // No body at all: the model's "Field required".
    expect((await s.json("PUT", TASK)).body).toEqual(validation("invalid_task", [[["body"], "Field required"]]));
  });

  it("path identifiers: queue names, task ids, worker ids", async () => {
    await using s = await startV2Server();
    expect((await s.json("PUT", "queues/bad%20name")).body).toEqual({ error: { code: "invalid_request", message: "Queue must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}.", details: { field: "queue" } } });
    expect((await s.json("PUT", "queues/q/tasks/t_bbbb", { body: {} })).body).toEqual({ error: { code: "invalid_task_id", message: "Task ID has an invalid format.", details: { task_id: "t_bbbb" } } });
    expect((await s.json("PUT", "queues/q/workers/bad", { body: { route: "default", status: "idle", task_id: null } })).body).toEqual(
      validation("invalid_request", [[["path", "id"], "Expected a Worker instance ID (w_ plus 12 URL-safe characters)."]]),
    );
    // The body is checked before the path (v2's order).
    expect((await s.json("PUT", "queues/bad%20name/tasks/t_bbbb", { body: { priority: "1" } })).body).toEqual(validation("invalid_task", [[["body", "priority"], "Input should be a valid integer"]]));
  });

  it("run, update and worker bodies", async () => {
    await using s = await startV2Server();
    const q = "queues/q/tasks";
    expect((await s.json("POST", `${q}/claim`, { body: { route: "default", run_id: "bad" } })).body).toEqual(validation("invalid_request", [[["body", "run_id"], "Run ID has an invalid format."]]));
    expect((await s.json("POST", `${q}/claim`, { body: { route: "bad route", run_id: "r_aaaaaaaaaaaa", x: 1 } })).body).toEqual(
      validation("invalid_request", [
        [["body", "route"], "Route must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}."],
        [["body", "x"], "Extra inputs are not permitted"],
      ]),
    );
    expect((await s.json("POST", `${q}/t_aaaaaaaaaaaa/complete`, { body: { run_id: "r_aaaaaaaaaaaa" } })).body).toEqual(validation("invalid_request", [[["body", "result"], "Field required"]]));
    expect((await s.json("POST", `${q}/t_aaaaaaaaaaaa/fail`, { body: { run_id: "r_aaaaaaaaaaaa", error: { type: "E", message: "m" } } })).body).toEqual(
      validation("invalid_request", [[["body", "error", "traceback"], "Field required"]]),
    );
    expect((await s.json("POST", `${q}/t_aaaaaaaaaaaa/fail`, { body: { run_id: "r_aaaaaaaaaaaa", error: "x" } })).body).toEqual(
      validation("invalid_request", [[["body", "error"], "Input should be a valid dictionary or object to extract fields from"]]),
    );
    expect((await s.json("PATCH", `${q}/t_aaaaaaaaaaaa`, { body: {} })).body).toEqual(validation("invalid_update", [[["body"], "Update must contain at least one field."]]));
    expect((await s.json("PATCH", `${q}/t_aaaaaaaaaaaa`, { body: { archived: "yes", foo: 1 } })).body).toEqual(
      validation("invalid_update", [
        [["body", "archived"], "Input should be a valid boolean"],
        [["body", "foo"], "Extra inputs are not permitted"],
      ]),
    );
    expect((await s.json("PATCH", q, { body: { filter: 1, changes: {} } })).body).toEqual(
      validation("invalid_filter", [
        [["body", "filter"], "Input should be a valid string"],
        [["body", "changes"], "Update must contain at least one field."],
      ]),
    );
    expect((await s.json("PATCH", q, { body: { filter: 'status == "pending"', changes: { priority: "2" } } })).body).toEqual(
      validation("invalid_update", [[["body", "changes", "priority"], "Input should be a valid integer"]]),
    );
    expect((await s.json("PATCH", q, { body: { filter: " ", changes: { priority: 1 } } })).body).toEqual({ error: { code: "invalid_filter", message: "Batch update filter must not be empty.", details: {} } });
    expect((await s.json("PUT", "queues/q/workers/w_aaaaaaaaaaaa", { body: { route: "default", status: "idle" } })).body).toEqual(validation("invalid_request", [[["body", "task_id"], "Field required"]]));
    expect((await s.json("PUT", "queues/q/workers/w_aaaaaaaaaaaa", { body: { route: "default", status: "x", task_id: "bad" } })).body).toEqual(
      validation("invalid_request", [
        [["body", "status"], "Input should be 'idle' or 'busy'"],
        [["body", "task_id"], "Task ID has an invalid format."],
      ]),
    );
  });

  it("query parameters: FastAPI's lax parsing, errors in declaration order, v2's group_by rules, filter size", async () => {
    await using s = await startV2Server();
    const tasks = "queues/q/tasks";
    expect((await s.json("GET", `${tasks}?status=bogus`)).body).toEqual(
      validation("invalid_request", [[["query", "status"], "Input should be 'pending', 'running', 'succeeded', 'failed' or 'cancelled'"]]),
    );
    expect((await s.json("GET", `${tasks}?limit=abc&descending=maybe`)).body).toEqual(
      validation("invalid_request", [
        [["query", "descending"], "Input should be a valid boolean, unable to interpret input"],
        [["query", "limit"], "Input should be a valid integer, unable to parse string as an integer"],
      ]),
    );
    expect((await s.json("GET", `${tasks}?limit=1001`)).body).toEqual(validation("invalid_request", [[["query", "limit"], "Input should be less than or equal to 1000"]]));
    expect((await s.json("GET", `${tasks}/count?group_by=status&group_by=routes`)).body).toEqual(validation("invalid_request", [[["query", "group_by"], "Specify group_by only once."]]));
    expect((await s.json("GET", `${tasks}/count?limit=5`)).body).toEqual(validation("invalid_request", [[["query", "group_by"], "Pagination requires group_by."]]));
    expect((await s.json("GET", `${tasks}/count?group_by=routes,%20status`)).body).toEqual(
      validation("invalid_request", [[["query", "group_by"], "Use distinct supported fields, comma-separated with no spaces."]]),
    );
    expect((await s.json("GET", "queues/q/workers/count?group_by=routes")).body).toEqual(
      validation("invalid_request", [[["query", "group_by"], "Use distinct supported fields, comma-separated with no spaces."]]),
    );
    expect((await s.json("DELETE", "queues/q?cascade=maybe")).body).toEqual(validation("invalid_request", [[["query", "cascade"], "Input should be a valid boolean, unable to interpret input"]]));
    const big = await s.json("GET", `${tasks}?filter=${encodeURIComponent(`name == "${"x".repeat(8200)}"`)}`);
    expect(big.body).toEqual({ error: { code: "filter_too_large", message: "Filter exceeds the 8192-byte limit.", details: { max_bytes: 8192 } } });
  });
});
