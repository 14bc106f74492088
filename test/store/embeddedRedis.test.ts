import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisBinaryNotFoundError, startEmbeddedRedis } from "../../src/store/embeddedRedis.js";

describe("embedded redis-server", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("starts on 127.0.0.1 with AOF in the data dir, keeps data across restarts, and stops", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "labtasker-embedded-"));
    dirs.push(dataDir);
    const first = await startEmbeddedRedis({ dataDir, appendFsync: "always" });
    expect(first.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const client = new Redis(first.url);
    await client.set("k", "v");
    expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    client.disconnect();
    await first.stop();
    await first.stop(); // idempotent
    expect(await readdir(dataDir)).toContain("appendonlydir");

    await using second = await startEmbeddedRedis({ dataDir, port: first.port });
    const again = new Redis(second.url);
    expect(await again.get("k")).toBe("v");
    again.disconnect();
  });

  it("names the fix when the binary is missing", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "labtasker-embedded-"));
    dirs.push(dataDir);
    const start = startEmbeddedRedis({ dataDir, binary: "/nonexistent/redis-server" });
    await expect(start).rejects.toBeInstanceOf(RedisBinaryNotFoundError);
    await expect(start).rejects.toThrow(/apt-get install redis-server/);
  });
});
