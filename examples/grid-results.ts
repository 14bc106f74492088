/**
 * Read the grid search's results: every successful task, best accuracy first.
 *
 *   npx tsx examples/grid-results.ts
 */
import { iterTasks } from "../src/index.js"; // in your project: from "labtasker-redis"

const rows: Array<{ lr: unknown; model: unknown; acc: number }> = [];
for await (const task of iterTasks({ status: "success", extraFilter: 'task_name == "grid_search"' })) {
  rows.push({ lr: task.args.lr, model: task.args.model, acc: Number(task.summary.acc) });
}
rows.sort((a, b) => b.acc - a.acc);
console.table(rows);
