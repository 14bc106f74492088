/**
 * redis-server without persistence (no AOF, no RDB snapshots): a restart starts it empty, as a Redis run as a pure
 * cache, or a failover to a replica that never received the data, would. Its output goes to a log file of the
 * scenario; it is restartable on the same port.
 */
import { mkdirSync } from "node:fs";
import { Redis } from "ioredis";
import { freePort, redisServerArgs } from "../../../src/store/embeddedRedis.js";
import { spawnLogged, waitFor, type Proc } from "./procs.js";

export interface VolatileRedis {
  url: string;
  port: number;
  proc: Proc;
  /** SIGKILL; resolves once the process is gone. */
  crash(): Promise<void>;
  /** Starts redis-server again on the same port: empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts redis-server on a free port with `--appendonly no --save ""`; resolves once it answers PING. */
export async function startVolatileRedis(options: { dir: string; logFile: string; binary?: string }): Promise<VolatileRedis> {
  mkdirSync(options.dir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const binary = options.binary ?? process.env.LABTASKER_REDIS_SERVER ?? "redis-server";
  const args = redisServerArgs(port, options.dir, null); // no AOF, no RDB: a restart comes back empty
  const launch = async (): Promise<Proc> => {
    const proc = spawnLogged("redis-server", binary, args, options.logFile);
    await waitFor(`redis-server to answer on port ${port}`, async () => {
      if (!proc.running) throw new Error(`redis-server exited: ${proc.log().slice(-2000)}`);
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } finally {
        probe.disconnect();
      }
    }, { timeoutMs: 30_000, intervalMs: 25 });
    return proc;
  };
  const handle: VolatileRedis = {
    url,
    port,
    proc: await launch(),
    async crash() {
      handle.proc.signal("SIGKILL");
      await handle.proc.exited;
    },
    async restart() {
      handle.proc = await launch();
    },
    async stop() {
      await handle.proc.stop();
    },
  };
  return handle;
}
