// A stand-in for train.py: reads its hyper-parameters from the command line, "trains" for a moment, and records its
// accuracy in the task's summary with finish(), as a Python job would with labtasker.finish(). The first attempt at
// lr=0.1 with vit crashes (exit 1), so the sweep shows a retry.
import { finish, taskInfo } from "../../dist/runner/index.js";

const option = (name) => process.argv[process.argv.indexOf(`--${name}`) + 1];
const lr = Number(option("lr"));
const model = option("model");
const task = taskInfo();
console.log(`training ${model} with lr=${lr} on GPU ${process.env.CUDA_VISIBLE_DEVICES} (attempt ${task.retries + 1})`);
await new Promise((resolve) => setTimeout(resolve, 150));
if (lr === 0.1 && model === "vit" && task.retries === 0) {
  console.error("CUDA out of memory (simulated)");
  process.exit(1);
}
const acc = Math.min(0.99, 0.7 + lr * 2 + (model === "vit" ? 0.05 : 0));
await finish("success", { acc: Number(acc.toFixed(4)) });
