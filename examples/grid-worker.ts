/**
 * Run the grid search: fetch a task, train, record the metrics, repeat until no task is left. Start one per GPU:
 *
 *   CUDA_VISIBLE_DEVICES=0 npx tsx examples/grid-worker.ts &
 *   CUDA_VISIBLE_DEVICES=1 npx tsx examples/grid-worker.ts &
 *
 * Ctrl+C (or SIGTERM) stops the worker cleanly: the running task is reported (as interrupted, so it is retried) and
 * the worker this loop created is deleted. A second Ctrl+C exits at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { loop, reportTaskStatus } from "../src/index.js"; // in your project: from "labtasker-redis"

/** A stand-in for training: a few "epochs" that honour the stop signal; lr >= 10 diverges. */
async function train(lr: number, model: string, signal: AbortSignal): Promise<{ acc: number; loss: number }> {
  for (let epoch = 0; epoch < 3; epoch++) await sleep(Number(process.env.EPOCH_MS ?? 100), undefined, { signal });
  if (lr >= 10) return { acc: 0, loss: Number.NaN };
  const acc = Math.min(0.99, 0.6 + lr * 3 + (model === "vit" ? 0.05 : 0));
  return { acc, loss: 1 - acc };
}

const result = await loop(
  // The required args, typed: the handler gets { lr: number; model: string }.
  { args: { lr: Number, model: String }, extraFilter: '"v1" in list(metadata.tags)' },
  async ({ lr, model }, { taskId, signal }) => {
    console.log(`training ${model} with lr=${lr}`); // also in the task's run.log
    const { acc, loss } = await train(lr, model, signal);
    if (Number.isNaN(loss)) {
      await reportTaskStatus(taskId, "cancelled", { summary: { reason: "loss is NaN" } }); // not retried
      return;
    }
    // Metrics into the task's summary; the loop reports success when the handler returns.
    await reportTaskStatus(taskId, "running", { summary: { acc, loss } });
  },
);
console.log(`loop ended (${result.reason}): ${result.succeeded} succeeded, ${result.failed} failed, ${result.cancelled} cancelled`);
