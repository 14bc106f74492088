/**
 * The task model's extension fields on the v1 wire (docs/compat.md, "Extension fields"): submit bodies take them from
 * any client; task documents carry them only for a client that sends `Labtasker-Extensions: task-fields`, so that
 * labtasker v1.0.1's client (which warns about unknown keys) reads v1's documents byte for byte; filters see them
 * whoever asks.
 */
import { describe, expect, it } from "vitest";
import { startTestServerWithQueue } from "../support/http.js";

const ASK = { "labtasker-extensions": "task-fields" };

describe("extension fields over HTTP", () => {
  it("appear after v1's fields only for a client that asks, and never on a task without them", async () => {
    await using s = await startTestServerWithQueue();
    const submit = async (body: object, headers: Record<string, string> = {}) =>
      (await (await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body, headers })).json()) as Record<string, unknown>;
    const plain = (await submit({ args: { x: 1 } })).task_id as string;
    const dependent = (await submit({ args: { x: 2 }, depends_on: [plain], env: { SEED: "1" }, max_timeouts: 2 })).task_id as string;
    const get = async (id: string, headers: Record<string, string> = {}) => (await s.request("GET", `/api/v1/queues/me/tasks/${id}`, { auth: s.auth, headers })).text();

    // A task without extensions: the same bytes with or without the header (v1's document).
    expect(await get(plain, ASK)).toBe(await get(plain));
    const v1 = JSON.parse(await get(dependent)) as Record<string, unknown>;
    expect(Object.keys(v1).at(-1)).toBe("worker_id");
    expect(v1).not.toHaveProperty("depends_on");
    const extended = JSON.parse(await get(dependent, ASK)) as Record<string, unknown>;
    expect(Object.keys(extended).slice(Object.keys(v1).length)).toEqual(["depends_on", "waiting", "env", "max_timeouts"]);
    expect(extended).toMatchObject({ depends_on: [plain], waiting: true, env: { SEED: "1" }, max_timeouts: 2 });

    // Filters see the fields whoever asks.
    const search = async (extra_filter: object) => {
      const reply = await s.request("POST", "/api/v1/queues/me/tasks/search", { auth: s.auth, body: { extra_filter } });
      return ((await reply.json()) as { content: Array<{ task_id: string }> }).content.map((task) => task.task_id);
    };
    expect(await search({ depends_on: plain })).toEqual([dependent]);
    expect(await search({ waiting: true })).toEqual([dependent]);
    expect(await search({ waiting: { $ne: true } })).toEqual([plain]);
  });

  it("says created: false for a task that was there already, to a client that asks", async () => {
    await using s = await startTestServerWithQueue();
    const submit = async (headers: Record<string, string>) =>
      (await (await s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body: { args: { x: 1 }, dedup: true }, headers })).json()) as Record<string, unknown>;
    const first = await submit(ASK);
    expect(first).not.toHaveProperty("created");
    expect(await submit(ASK)).toEqual({ notification: null, task_id: first.task_id, created: false });
    expect(await submit({})).toEqual({ notification: null, task_id: first.task_id });
    const batch = await s.request("POST", "/api/v1/queues/me/tasks/batch", { auth: s.auth, body: { tasks: [{ args: { x: 1 }, dedup: true }, { args: { x: 9 } }] } });
    expect(await batch.json()).toMatchObject({ task_ids: [first.task_id, expect.any(String)], created: [false, true] });
  });

  it("refuse malformed extension fields and unknown dependencies with v1's error shapes", async () => {
    await using s = await startTestServerWithQueue();
    const submit = (body: object) => s.request("POST", "/api/v1/queues/me/tasks", { auth: s.auth, body });
    expect((await submit({ args: { x: 1 }, depends_on: "t_AAAAAAAAAAAA" })).status).toBe(422);
    expect((await submit({ args: { x: 1 }, env: { "BAD-NAME": "1" } })).status).toBe(422);
    expect((await submit({ args: { x: 1 }, task_id: "t_short" })).status).toBe(422);
    const unknown = await submit({ args: { x: 1 }, depends_on: ["t_AAAAAAAAAAAA"] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ detail: "The task depends on t_AAAAAAAAAAAA, which is neither a task of the queue nor an earlier task of the submission" });
  });
});
