/**
 * `labtasker-server serve` as users run it: the embedded redis-server under --data-dir when no Redis URL is given,
 * data kept across restarts (AOF), and a graceful stop on SIGTERM with open event streams.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../src/store/embeddedRedis.js";

const main = join(import.meta.dirname, "../../dist/http/main.js");

async function startServe(dataDir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [main, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitForHealth(`http://127.0.0.1:${port}/health`, child, () => output);
  return { child, output: () => output };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));
}

describe("labtasker-server serve", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("starts an embedded redis-server, keeps data across restarts, and stops gracefully on SIGTERM", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "labtasker-serve-"));
    dirs.push(dataDir);
    const port = await freePort();
    const first = await startServe(dataDir, port);
    expect(first.output()).toMatch(/Started embedded redis-server/);
    expect(existsSync(join(dataDir, "redis", "appendonlydir"))).toBe(true);
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/queues`, { method: "POST", body: JSON.stringify({ queue_name: "kept", password: "pw" }) });
    expect(created.status).toBe(201);
    const auth = { authorization: `Basic ${Buffer.from("kept:pw").toString("base64")}` };
    await fetch(`http://127.0.0.1:${port}/api/v1/queues/me/tasks`, { method: "POST", headers: auth, body: '{"args":{"lr":3.0}}' });

    // An open event stream must not keep the server from stopping.
    const stream = await new Promise<IncomingMessage>((resolve) => {
      request(`http://127.0.0.1:${port}/api/v1/queues/me/events`, { headers: auth }, resolve).end();
    });
    expect(stream.statusCode).toBe(200);
    const streamEnded = new Promise((resolve) => stream.on("end", resolve).on("close", resolve).resume());
    first.child.kill("SIGTERM");
    expect(await exitOf(first.child)).toBe(0);
    await streamEnded;
    expect(first.output()).toMatch(/SIGTERM: finishing in-flight requests/);

    const second = await startServe(dataDir, port);
    const listed = await fetch(`http://127.0.0.1:${port}/api/v1/queues/me/tasks/search`, { method: "POST", headers: auth, body: "{}" });
    expect(await listed.text()).toContain('"args":{"lr":3.0}');
    second.child.kill("SIGINT");
    expect(await exitOf(second.child)).toBe(0);
  });

  // Found by the fault suite (test/faults/server-restart.test.ts): with clients reusing keep-alive connections that
  // were busy when SIGTERM came, the server kept serving on them and never stopped.
  it("stops at once on SIGTERM while keep-alive clients keep sending requests", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [main, "serve", "--host", "127.0.0.1", "--port", String(port), "--redis-url", inject("redisUrl"), "--key-prefix", `serve-${port}`], { stdio: ["ignore", "pipe", "pipe"] });
    const deadline = Date.now() + 20_000;
    while (!(await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("serve did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    await fetch(`http://127.0.0.1:${port}/api/v1/queues`, { method: "POST", body: JSON.stringify({ queue_name: "busy", password: "pw" }) });
    const agent = new Agent({ keepAlive: true });
    const headers = { authorization: `Basic ${Buffer.from("busy:pw").toString("base64")}` };
    let stopped = false;
    const exited = exitOf(child).then((code) => {
      stopped = true;
      return code;
    });
    const send = () => new Promise<void>((resolve) => {
      const req = request(`http://127.0.0.1:${port}/api/v1/queues/me/tasks/search`, { method: "POST", headers, agent }, (res) => res.resume().on("end", resolve).on("error", resolve));
      req.on("error", () => resolve());
      req.end("{}");
    });
    const clients = Array.from({ length: 4 }, async () => {
      while (!stopped) await send();
    });
    await new Promise((r) => setTimeout(r, 500));
    const signalled = Date.now();
    child.kill("SIGTERM");
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running"), 8000))]);
    const took = Date.now() - signalled;
    if (code === "still running") child.kill("SIGKILL");
    stopped = true;
    await Promise.all(clients);
    agent.destroy();
    expect(code).toBe(0);
    expect(took).toBeLessThan(3000);
  });

  it("names the fix when the embedded redis-server cannot be found", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "labtasker-serve-"));
    dirs.push(dataDir);
    const child = spawn(process.execPath, [main, "serve", "--port", String(await freePort()), "--data-dir", dataDir], {
      env: { ...process.env, LABTASKER_REDIS_SERVER: "/nonexistent/redis-server" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toBe(1);
    expect(stderr).toMatch(/apt-get install redis-server/);
    expect(stderr).toMatch(/--redis-url/);
  });

  it("takes v1's flags: --env-file, --db-path, --db-mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "labtasker-serve-"));
    dirs.push(dir);
    const port = await freePort();
    const envFile = join(dir, "server.env");
    await writeFile(envFile, `API_HOST=127.0.0.1\napi_port=${port}\nDB_MODE=embedded\n`);
    const env = { ...process.env };
    for (const name of ["API_HOST", "API_PORT", "DB_MODE", "REDIS_URL"]) delete env[name];
    const child = spawn(process.execPath, [main, "serve", "--env-file", envFile, "--db-path", join(dir, "db")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForHealth(`http://127.0.0.1:${port}/health`, child, () => stderr);
    expect(existsSync(join(dir, "db", "redis", "appendonlydir"))).toBe(true);
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);

    const external = spawn(process.execPath, [main, "serve", "--db-mode", "External", "--port", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
    let refusal = "";
    external.stderr!.on("data", (chunk: Buffer) => (refusal += chunk.toString()));
    expect(await exitOf(external)).toBe(1);
    expect(refusal).toMatch(/--db-mode external needs --redis-url/);
  });
});

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited early:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`serve did not answer:\n${output()}`);
}
