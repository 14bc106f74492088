import { randomUUID } from "node:crypto";
import { Redis, type Command, type RedisOptions } from "ioredis";
import { describe, expect, it, vi } from "vitest";
import { Broker } from "../../src/broker/broker.js";
import { DirectLabtasker } from "../../src/broker/direct.js";
import { SCRIPTS } from "../../src/store/scripts.generated.js";
import { redisUrl } from "../support/redis.js";

/**
 * A queue through a broker on its own connection, made with `options`: submits two tasks, fetches one, reports it
 * inside the next fetch. Returns the FCALLs sent as Commands built by the store, and how many went through `call`.
 */
async function sweepOne(options: RedisOptions): Promise<{ sent: Command[]; calls: number }> {
  const redis = new Redis(redisUrl(), options);
  const broker = new Broker({ redis, keyPrefix: `test-${randomUUID().slice(0, 8)}` });
  try {
    const sendCommand = vi.spyOn(redis, "sendCommand");
    const call = vi.spyOn(redis, "call");
    const callBuffer = vi.spyOn(redis, "callBuffer");
    await broker.queues.create({ queueName: "q", password: "pw" });
    const api = new DirectLabtasker(broker, { queueName: "q", password: "pw" });
    const [first, second] = await api.submitTasks([{ args: { lr: 0.1 } }, { args: { lr: 3.0 } }]);
    expect((await api.fetchTask())?.taskId).toBe(first);
    const next = await api.fetchTask({ report: { taskId: first!, status: "success" } });
    expect(next).toMatchObject({ taskId: second, args: { lr: expect.anything() } });
    expect(await api.getTask(first!)).toMatchObject({ status: "success" });
    const sent = sendCommand.mock.calls.map(([command]) => command as Command).filter((command) => command.name === "FCALL");
    const calls = [...call.mock.calls, ...callBuffer.mock.calls].filter(([name]) => name === "FCALL").length;
    return { sent, calls };
  } finally {
    await broker.close();
    redis.disconnect();
  }
}

describe("script calls", () => {
  it("go out as one FCALL with the keys and arguments as strings, as given", async () => {
    const { sent, calls } = await sweepOne({});
    expect(calls).toBe(0);
    const fetch = sent.find((command) => command.args[0] === SCRIPTS.reportAndFetch.functionName)!;
    const keys = Number(fetch.args[1]);
    expect(keys).toBe(SCRIPTS.reportAndFetch.numberOfKeys);
    expect(fetch.args.every((arg) => typeof arg === "string")).toBe(true);
    expect(String(fetch.args[2])).toMatch(/^test-[0-9a-f]{8}:\{[^}]+\}:$/);
    expect(fetch.args.slice(2 + keys, 2 + keys + 2)).toEqual([expect.stringMatching(/^\d+$/), ""]); // now, no worker
  });

  it.each([
    ["auto-pipelining", { enableAutoPipelining: true }],
    ["friendly error stacks", { showFriendlyErrorStack: true }],
  ] as Array<[string, RedisOptions]>)("go through ioredis's call on a connection with %s", async (_name, options) => {
    const { sent, calls } = await sweepOne(options);
    expect(calls).toBeGreaterThan(0);
    expect(sent.every((command) => command.args.length > 0)).toBe(true);
  });
});
