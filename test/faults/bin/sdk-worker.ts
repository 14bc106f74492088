/**
 * An SDK program as a process: the loop runtime (src/runner, what the SDK's `loop(handler)` wraps) with a JavaScript
 * job, over HTTP or in direct mode on Redis. Each run writes `start` and `done` lines to the ledger (as job.sh does)
 * and reports the task itself; every report the server accepted is appended to the acks file (`<task id> <ms>`), so the
 * scenario can check that no acknowledged report is lost.
 *
 *   tsx sdk-worker.ts http|direct <url> <queue> <password> <ledger> <acks file> <job seconds> <heartbeat interval>
 */
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Labtasker } from "../../../src/core/api.js";
import { Broker } from "../../../src/broker/broker.js";
import { DirectLabtasker } from "../../../src/broker/direct.js";
import { HttpLabtasker } from "../../../src/client/labtasker.js";
import { runLoop, stderrLogger, type LoopLogger } from "../../../src/runner/index.js";

const [mode, url, queueName, password, ledger, acks, jobSeconds, heartbeatInterval] = process.argv.slice(2) as [string, string, string, string, string, string, string, string];

let client: Labtasker;
if (mode === "direct") {
  const broker = Broker.connect(url, {});
  broker.store.redis.on("error", () => undefined);
  client = new DirectLabtasker(broker, { queueName, password }, true);
} else {
  client = new HttpLabtasker({ baseUrl: url, queueName, password });
}

const base = stderrLogger();
const refused = new Set<string>();
const log: LoopLogger = {
  ...base,
  warn(message) {
    const id = /^Task (\S+) was changed while it ran/.exec(message)?.[1];
    if (id) refused.add(id);
    base.warn(message);
  },
};

const result = await runLoop({
  client,
  log,
  heartbeatInterval: Number(heartbeatInterval),
  promptOnFailure: false,
  createWorker: { workerName: `sdk-${mode}` },
  job: async (task, context) => {
    const line = (kind: string) => `${kind} ${task.taskId} ${task.retries} ${process.pid} ${process.pid} ${context.workerId} ${Date.now()}\n`;
    appendFileSync(ledger, line("start"));
    await sleep(Number(jobSeconds) * 1000);
    appendFileSync(ledger, line("done"));
    await context.finish("success");
    if (!refused.has(task.taskId)) appendFileSync(acks, `${task.taskId} ${Date.now()}\n`);
  },
});
base.info(`sdk-worker ended: ${JSON.stringify({ reason: result.reason, succeeded: result.succeeded })}`);
await client.close();
