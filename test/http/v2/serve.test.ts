/**
 * `labtasker-server serve`'s v2 settings, in-process: the token, the non-loopback rule (v1 keeps serving; v2 answers
 * 401 saying what to set), the `default` queue created at start.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isLoopbackHost, tokenProblem } from "../../../src/http/bearer.js";
import { serve, v2AuthFor } from "../../../src/http/server.js";
import { redisUrl } from "../../support/redis.js";

describe("the token and the address", () => {
  it("loopback addresses need no token; any other address closes v2 without one", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "lab-server", "example.org"]) expect(isLoopbackHost(host)).toBe(false);
    expect(v2AuthFor("127.0.0.1", null)).toEqual({ closed: false });
    expect(v2AuthFor("0.0.0.0", null)).toEqual({ closed: true });
    expect(v2AuthFor("0.0.0.0", "s3cret")).toEqual({ token: "s3cret" });
  });

  it("refuses a token v2 refuses: empty, or not visible ASCII", () => {
    expect(tokenProblem("s3cret-token_1")).toBeNull();
    expect(() => v2AuthFor("0.0.0.0", "")).toThrow("LABTASKER_SERVER_TOKEN must not be empty.");
    expect(() => v2AuthFor("0.0.0.0", "has space")).toThrow("LABTASKER_SERVER_TOKEN must contain only visible ASCII characters.");
    expect(() => v2AuthFor("0.0.0.0", "caf\u00e9")).toThrow("visible ASCII");
  });
});

describe("serve", () => {
  async function start(options: { host: string; token?: string; v2LeaseSeconds?: number }) {
    const lines: string[] = [];
    const server = await serve({ ...options, port: 0, redisUrl: redisUrl(), keyPrefix: `test-${randomUUID().slice(0, 8)}`, log: (line) => lines.push(line) });
    return { server, lines };
  }

  it("on a non-loopback address without a token: v1 serves, v2 answers 401 saying to set LABTASKER_SERVER_TOKEN", async () => {
    const { server, lines } = await start({ host: "0.0.0.0" });
    await using _ = server;
    expect(server.v2Enabled).toBe(false);
    expect(lines.join("\n")).toContain("v2 API (/api/v2) is disabled");
    const v2 = await fetch(`${server.url}/api/v2/queues`);
    expect(v2.status).toBe(401);
    expect(((await v2.json()) as { error: { message: string } }).error.message).toContain("LABTASKER_SERVER_TOKEN");
    const v1 = await fetch(`${server.url}/api/v1/queues`, { method: "POST", body: JSON.stringify({ queue_name: "v1q", password: "pw" }) });
    expect(v1.status).toBe(201);
    await v1.text();
  });

  it("with a token: v2 open to it alone; the queue `default` exists from the start", async () => {
    const { server } = await start({ host: "0.0.0.0", token: "s3cret" });
    await using _ = server;
    expect(server.v2Enabled).toBe(true);
    const without = await fetch(`${server.url}/api/v2/queues`);
    expect(without.status).toBe(401);
    await without.text();
    const withToken = await fetch(`${server.url}/api/v2/queues`, { headers: { authorization: "Bearer s3cret" } });
    expect(withToken.headers.get("labtasker-server-version")).toBe("2.8.0");
    expect(await withToken.json()).toEqual([{ name: "default" }]);
  });

  it("--v2-lease-seconds sets the lease of a claim", async () => {
    const { server } = await start({ host: "127.0.0.1", v2LeaseSeconds: 7 });
    await using _ = server;
    const post = (path: string, body: unknown) => fetch(`${server.url}/api/v2/queues/default/tasks/${path}`, { method: path.includes("/") || path === "claim" ? "POST" : "PUT", body: JSON.stringify(body) });
    expect((await (await post("t_aaaaaaaaaaaa", {})).json()) as object).toMatchObject({ id: "t_aaaaaaaaaaaa" });
    const before = Date.now();
    const claim = (await (await post("claim", { route: "default", run_id: "r_aaaaaaaaaaaa" })).json()) as { lease_expires_at: string };
    const lease = Date.parse(claim.lease_expires_at) - before;
    expect(lease).toBeGreaterThan(6_000);
    expect(lease).toBeLessThan(9_000);
  });
});
