import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { connectRedis, maskRedisUrl, parseRedisUrl } from "../../src/store/connection.js";
import { startEmbeddedRedis } from "../../src/store/embeddedRedis.js";

describe("Redis URLs", () => {
  it.each([
    ["redis://localhost:6379/2", { kind: "standalone" }],
    ["rediss://user:pw@host:6380", { kind: "standalone" }],
    ["unix:///run/redis.sock?db=3", { kind: "unix", path: "/run/redis.sock", db: 3 }],
    ["redis+unix:///tmp/r.sock", { kind: "unix", path: "/tmp/r.sock", db: 0 }],
    [
      "redis+sentinel://:pw@s1:26379,s2/mymaster/1",
      { kind: "sentinel", masterName: "mymaster", db: 1, password: "pw", tls: false, hosts: [{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }] },
    ],
    ["rediss+cluster://n1:7000,n2:7001", { kind: "cluster", tls: true, hosts: [{ host: "n1", port: 7000 }, { host: "n2", port: 7001 }] }],
  ])("parses %s", (url, expected) => {
    expect(parseRedisUrl(url)).toMatchObject(expected);
  });

  it("names the accepted forms for anything else", () => {
    expect(() => parseRedisUrl("http://x")).toThrow(/redis:\/\/, rediss:\/\/, unix:\/\/, redis\+sentinel:\/\/ or redis\+cluster:\/\//);
    expect(() => parseRedisUrl("redis+sentinel://s1:26379")).toThrow(/must name the master/);
  });

  it.each([
    ["redis://user:s3cret@host:6379/0", "redis://user:***@host:6379/0"],
    ["rediss://:s3cret@host", "rediss://:***@host"],
    ["redis://u:pa:ss%2Fw%40rd@host/1", "redis://u:***@host/1"],
    ["http://host:9321/a@b", "http://host:9321/a@b"],
    ["redis+sentinel://:s3cret@s1:26379,s2:26379/mymaster", "redis+sentinel://:***@s1:26379,s2:26379/mymaster"],
    ["rediss+cluster://default:s3cret@n1:7000,n2:7001", "rediss+cluster://default:***@n1:7000,n2:7001"],
    ["unix:///run/redis.sock?db=2&password=s3cret", "unix:///run/redis.sock?db=2&password=***"],
    ["redis://host:6379/0", "redis://host:6379/0"],
    ["redis://user@host", "redis://user@host"],
  ])("masks the password of %s", (url, masked) => {
    expect(maskRedisUrl(url)).toBe(masked);
  });

  it("never repeats a password in its errors", () => {
    expect(() => parseRedisUrl("redis+sentinel://:s3cret@s1:26379")).toThrow(/:\*\*\*@s1/);
    expect(() => parseRedisUrl("http://u:s3cret@x")).not.toThrow(/s3cret/);
  });

  it("connects over a unix socket", async () => {
    const dir = await mkdtemp(join(tmpdir(), "labtasker-sock-"));
    const { spawn } = await import("node:child_process");
    const socket = join(dir, "redis.sock");
    const child = spawn("redis-server", ["--port", "0", "--unixsocket", socket, "--save", "", "--dir", dir], { stdio: "ignore" });
    try {
      const redis = connectRedis(`unix://${socket}`);
      redis.on("error", () => undefined); // refused until the server has created its socket
      for (let i = 0; i < 100; i++) {
        try {
          expect(await redis.ping()).toBe("PONG");
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      redis.disconnect();
    } finally {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("reconnecting", () => {
  it("carries on after Redis restarts, with the data of its AOF", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "labtasker-restart-"));
    let server = await startEmbeddedRedis({ dataDir, appendFsync: "always" });
    const broker = Broker.connect(server.url, {});
    try {
      await broker.queues.create({ queueName: "q", password: "pw" });
      const api = new DirectLabtasker(broker, { queueName: "q", password: "pw" });
      const before = await api.submitTask({ args: { a: 1 } });
      await server.stop();
      const pendingSubmit = api.submitTask({ args: { a: 2 } }); // queued while Redis is down
      server = await startEmbeddedRedis({ dataDir, port: server.port, appendFsync: "always" });
      const after = await pendingSubmit;
      expect((await api.lsTasks()).content.map((t) => t.taskId).sort()).toEqual([before, after].sort());
    } finally {
      await broker.close();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
