/**
 * The main job on the embedded default: starts redis-server in a temporary directory, submits a 12-task grid
 * sweep, drains it with 4 parallel loops that each run a real child process per task (one task fails once and is
 * retried), and prints the results. Run with `npm run demo`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Broker } from "../src/broker/broker.js";
import { DirectLabtasker } from "../src/broker/direct.js";
import { startEmbeddedRedis } from "../src/store/embeddedRedis.js";

const run = promisify(execFile);

/** A stand-in for train.py: prints a line and a fake accuracy; the first attempt at lr=0.1/vit/seed=1 crashes. */
const TRAIN = `
const [lr, model, seed, attempt] = process.argv.slice(1);
if (lr === "0.1" && model === "vit" && seed === "1" && attempt === "0") { console.error("CUDA out of memory (simulated)"); process.exit(1); }
const acc = Math.min(0.99, 0.7 + Number(lr) * 2 + (model === "vit" ? 0.05 : 0) + Number(seed) * 0.01);
console.log(JSON.stringify({ acc: Number(acc.toFixed(4)) }));
`;

async function loop(api: DirectLabtasker, name: string): Promise<number> {
  const workerId = await api.createWorker({ workerName: name });
  let done = 0;
  for (;;) {
    const task = await api.fetchTask({ workerId, requiredFields: ["lr", "model", "seed"], heartbeatTimeout: 30 });
    if (!task) return done;
    const { lr, model, seed } = task.args;
    try {
      const { stdout } = await run(process.execPath, ["-e", TRAIN, String(lr), String(model), String(seed), String(task.retries)]);
      await api.reportTaskStatus(task.taskId, "success", { workerId, summary: JSON.parse(stdout) });
      console.error(`[${name}] lr=${lr} model=${model} seed=${seed} -> ${stdout.trim()}`);
    } catch (error) {
      await api.reportTaskStatus(task.taskId, "failed", { workerId, summary: { error: String((error as Error).message).split("\n")[0] ?? "" } });
      console.error(`[${name}] lr=${lr} model=${model} seed=${seed} -> failed, will retry`);
    }
    done++;
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "labtasker-demo-"));
  const redis = await startEmbeddedRedis({ dataDir });
  const broker = Broker.connect(redis.url, {});
  try {
    await broker.queues.create({ queueName: "demo-sweep", password: "demo" });
    const api = new DirectLabtasker(broker, { queueName: "demo-sweep", password: "demo" });
    const grid = [];
    for (const lr of [0.001, 0.01, 0.1]) for (const model of ["resnet", "vit"]) for (const seed of [0, 1]) grid.push({ args: { lr, model, seed } });
    await api.submitTasks(grid.map((task) => ({ ...task, taskName: "grid" })));
    console.error(`Submitted ${grid.length} tasks; draining with 4 parallel loops on ${redis.url}`);

    const counts = await Promise.all(["gpu0", "gpu1", "gpu2", "gpu3"].map((name) => loop(api, name)));
    const { content } = await api.lsTasks({ limit: 100, sort: [["summary.acc", -1]] });
    const rows = content.map((t) => ({ lr: t.args.lr, model: t.args.model, seed: t.args.seed, status: t.status, retries: t.retries, acc: t.summary.acc }));
    console.table(rows);
    const success = content.filter((t) => t.status === "success").length;
    console.log(`${success}/${grid.length} tasks succeeded; runs per loop: ${counts.join(", ")}`);
    if (success !== grid.length) process.exitCode = 1;
  } finally {
    await broker.close();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
