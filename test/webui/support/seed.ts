/**
 * The queue the web UI is shown: seven tasks, so that every status appears once or more (each claimed task is created
 * just before its claim, so the claim cannot take another), a progress snapshot on the running one, a result, a
 * structured error with a traceback, and one busy worker observation with metadata and telemetry.
 */
import type { TaskStatus, V2Api } from "./v2api.js";

export const QUEUE = "webui-sweep";
export const ROUTE = "default";
export const GPU_ROUTE = "gpu-a100";

/** Task ids: `t_` and 12 characters, as v2 requires. */
export const IDS = {
  running: "t_wuiRunning01",
  succeeded: "t_wuiSucceed01",
  failed: "t_wuiFailed001",
  cancelled: "t_wuiCancel001",
  pending1: "t_wuiPending01",
  pending2: "t_wuiPending02",
  pending3: "t_wuiPending03",
} as const;

export const WORKER_ID = "w_wuiWorker001";
export const RUNNING_RUN_ID = "r_wuiRunning01";

export interface SeedTask {
  id: string;
  name: string;
  args: { lr: number; model: string; seed: number };
  priority: number;
  routes: string[];
  /** The status the seed leaves it in. */
  status: TaskStatus;
}

export const TASKS: SeedTask[] = [
  { id: IDS.running, name: "vit-lr0.1", args: { lr: 0.1, model: "vit", seed: 1 }, priority: 5, routes: [ROUTE], status: "running" },
  { id: IDS.succeeded, name: "vit-lr0.03", args: { lr: 0.03, model: "vit", seed: 2 }, priority: 4, routes: [ROUTE], status: "succeeded" },
  { id: IDS.failed, name: "resnet-lr0.3", args: { lr: 0.3, model: "resnet", seed: 3 }, priority: 3, routes: [GPU_ROUTE], status: "failed" },
  { id: IDS.cancelled, name: "resnet-lr0.01", args: { lr: 0.01, model: "resnet", seed: 4 }, priority: 2, routes: [ROUTE], status: "cancelled" },
  { id: IDS.pending1, name: "vit-lr0.003", args: { lr: 0.003, model: "vit", seed: 5 }, priority: 1, routes: [ROUTE], status: "pending" },
  { id: IDS.pending2, name: "resnet-lr0.001", args: { lr: 0.001, model: "resnet", seed: 6 }, priority: 0, routes: [ROUTE, GPU_ROUTE], status: "pending" },
  { id: IDS.pending3, name: "vit-lr0.0003", args: { lr: 0.0003, model: "vit", seed: 7 }, priority: -1, routes: [GPU_ROUTE], status: "pending" },
];

export const RESULT = { acc: 0.912, loss: 0.27 };
export const PROGRESS = { completed: 3, total: 10 };
export const ERROR = {
  type: "RuntimeError",
  message: "CUDA out of memory",
  traceback: 'Traceback (most recent call last):\n  File "train.py", line 42, in <module>\nRuntimeError: CUDA out of memory',
};
export const WORKER_METADATA = { host: "gpu-node-7", gpus: 8 };

export function seedTask(id: string): SeedTask {
  const task = TASKS.find((candidate) => candidate.id === id);
  if (!task) throw new Error(`no seed task ${id}`);
  return task;
}

/** Creates the queue and its tasks through /api/v2 and leaves each in its `status`. */
export async function seed(api: V2Api): Promise<void> {
  await api.createQueue(QUEUE);
  const put = (task: SeedTask, maxAttempts = 3) =>
    api.putTask(QUEUE, task.id, { name: task.name, args: task.args, metadata: { sweep: "webui", seed: task.args.seed }, priority: task.priority, max_attempts: maxAttempts, routes: task.routes });

  await put(seedTask(IDS.running));
  const running = await api.claim(QUEUE, ROUTE, RUNNING_RUN_ID);
  if (running.id !== IDS.running) throw new Error(`the claim took ${running.id}, not ${IDS.running}`);
  await api.progress(QUEUE, IDS.running, RUNNING_RUN_ID, PROGRESS);

  await put(seedTask(IDS.succeeded));
  const succeeded = await api.claim(QUEUE, ROUTE, "r_wuiSucceed01");
  if (succeeded.id !== IDS.succeeded) throw new Error(`the claim took ${succeeded.id}, not ${IDS.succeeded}`);
  await api.complete(QUEUE, IDS.succeeded, "r_wuiSucceed01", RESULT);

  // One attempt only, so that its failure is final.
  await put(seedTask(IDS.failed), 1);
  const failed = await api.claim(QUEUE, GPU_ROUTE, "r_wuiFailed001");
  if (failed.id !== IDS.failed) throw new Error(`the claim took ${failed.id}, not ${IDS.failed}`);
  await api.fail(QUEUE, IDS.failed, "r_wuiFailed001", ERROR);

  await put(seedTask(IDS.cancelled));
  await api.cancel(QUEUE, IDS.cancelled);

  for (const id of [IDS.pending1, IDS.pending2, IDS.pending3]) await put(seedTask(id));

  await api.reportWorker(QUEUE, WORKER_ID, { route: ROUTE, status: "busy", task_id: IDS.running, metadata: WORKER_METADATA });
  await api.workerTelemetry(QUEUE, WORKER_ID, { gpu_util: 0.83 });
}
