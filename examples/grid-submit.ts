/**
 * Submit a grid search: one task per (lr, model) pair, in one round trip.
 *
 *   npx tsx examples/grid-submit.ts
 *
 * The queue comes from the configuration, as for the CLI: .labtasker/client.toml (written by `labtasker init`) or
 * LABTASKER_API_BASE_URL / LABTASKER_REDIS_URL, LABTASKER_QUEUE_NAME and LABTASKER_PASSWORD.
 */
import { createQueue, submitTasks, type SubmitTaskOptions } from "../src/index.js"; // in your project: from "labtasker-redis"

const tasks: SubmitTaskOptions[] = [];
for (const lr of [0.001, 0.01, 0.1]) {
  for (const model of ["resnet", "vit"]) {
    tasks.push({
      taskName: "grid_search",
      args: { lr, model }, // exactly the args the worker declares: no more, no less
      metadata: { tags: ["v1"] },
      maxRetries: 3,
    });
  }
}

// `labtasker queue create-from-config`, unless the queue is there already.
await createQueue({ existOk: true });
const ids = await submitTasks(tasks);
console.log(ids.join("\n"));
