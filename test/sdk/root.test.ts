/**
 * The package's entry points as users import them (dist/, which `import ... from "labtasker-redis"` resolves to), in a
 * fresh Node process: the root (the client side) loads none of the server-side modules, and `labtasker-redis/server`
 * and `labtasker-redis/filter` hold the rest.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { redisUrl } from "../support/redis.js";
import { DIST_ROOT, startNode } from "./support.js";

const DIST_SERVER = resolve(DIST_ROOT, "../server.js");
const DIST_FILTER = resolve(DIST_ROOT, "../filter/index.js");

/** Runs an ES module script in a fresh `node` and returns what it printed as JSON. */
async function runScript(script: string): Promise<Record<string, unknown>> {
  const child = startNode(["--input-type=module", "-e", script], { env: { ...process.env, REDIS_URL: redisUrl() } });
  const result = await child.done;
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const HEAVY = /[\\/]node_modules[\\/](ioredis|express|bullmq|jsonata)[\\/]/;

describe("the package's entry points", () => {
  it("root: loads no server, broker or filter-compiler module", async () => {
    const result = await runScript(`
      import { createRequire } from "node:module";
      const cache = createRequire(import.meta.url).cache;
      const root = await import(${JSON.stringify(DIST_ROOT)});
      const heavy = [...new Set(Object.keys(cache).filter((file) => ${HEAVY}.test(file)).map((file) => file.match(${HEAVY})[1]))];
      const sdk = ["connect", "configure", "defaultClient", "withClient", "closeDefaultClient", "LabtaskerClient", "loop", "taskInfo", "finish",
        "currentTaskId", "currentWorkerId", "currentLogDir", "isEnabled", "health", "createQueue", "getQueue", "updateQueue", "deleteQueue",
        "submitTask", "submitTasks", "getTask", "lsTasks", "iterTasks", "updateTasks", "deleteTask", "fetchTask", "reportTaskStatus",
        "refreshTaskHeartbeat", "createWorker", "lsWorkers", "iterWorkers", "getWorker", "reportWorkerStatus", "deleteWorker", "events",
        "silentLogger", "stderrLogger", "LoopOptionsError", "ArgsError", "ConfigError", "NoTaskError", "FilterError", "AuthError",
        "TaskNotFoundError", "WorkerSuspendedError", "LabtaskerError", "HttpLabtasker", "DirectLabtasker", "LosslessNumber"];
      console.log(JSON.stringify({ heavy, missing: sdk.filter((name) => root[name] === undefined) }));
    `);
    expect(result).toEqual({ heavy: [], missing: [] });
  });

  it("server and filter: run a server and a direct client, and compile filters", async () => {
    const result = await runScript(`
      const server = await import(${JSON.stringify(DIST_SERVER)});
      const filter = await import(${JSON.stringify(DIST_FILTER)});
      const root = await import(${JSON.stringify(DIST_ROOT)});
      const url = process.env.REDIS_URL;
      const prefix = "root-test-" + process.pid;
      const running = await server.serve({ redisUrl: url, host: "127.0.0.1", port: 0, keyPrefix: prefix, log: () => {} });
      const client = await root.connect({ serverUrl: running.url, queueName: "q", password: "p", useConfig: false });
      const queueId = await client.createQueue();
      const broker = server.Broker.connect(url, { keyPrefix: prefix });
      const direct = new root.DirectLabtasker(broker, { queueName: "q", password: "p" });
      const queue = await direct.getQueue();
      const app = server.createApp({ broker });
      await running.close();
      await broker.close();
      console.log(JSON.stringify({
        sameQueue: queue.queueId === queueId,
        app: typeof app.app,
        sweeperStart: typeof server.TimeoutSweeper.start,
        notFound: new server.RedisBinaryNotFoundError("x") instanceof Error,
        wire: filter.toWireFilter('args.lr > 0.1 and "v1" in list(metadata.tags)'),
        literal: filter.parsePythonLiteral("{'a': True, 'b': [1, None]}"),
        filterError: (() => { try { filter.compileFilter("args.lr >> 1"); } catch (error) { return error instanceof root.FilterError; } })(),
      }));
    `);
    expect(result).toEqual({
      sameQueue: true,
      app: "function",
      sweeperStart: "function",
      notFound: true,
      wire: { $and: [{ "args.lr": { $gt: 0.1 } }, { "metadata.tags": "v1" }] },
      literal: { a: true, b: [1, null] },
      filterError: true,
    });
  });
});
