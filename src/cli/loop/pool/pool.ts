/**
 * `labtasker loop --gpus ...`: one loop per slot in one process tree. Each slot is a `labtasker loop` process of its
 * own (the same command line without the pool's flags), so every option of the loop applies to every slot, and a
 * slot's crash, its signals and its global state (output capture, run environment) stay its own. The pool creates
 * one worker per slot (named after the host and GPU, with the GPU in its metadata) so each GPU has its own crash
 * budget, and starts each slot with CUDA_VISIBLE_DEVICES, LABTASKER_GPU_SLOT and LABTASKER_WORKER_ID set.
 *
 * - A slot that ends by itself (exit 0: no more work, its worker suspended or crashed) is done; the pool ends when
 *   every slot is done.
 * - A slot that dies otherwise (killed, a crash) had a task: the pool stops the command it left behind, reports the
 *   task failed (the one the slot told it of, else those its worker still runs in the queue; it goes back to pending
 *   while it has retries, as any failure), and starts the slot again after a
 *   backoff (1 s doubling to 30 s; it gives up after 10 deaths in a row without a task run to its end).
 * - Slots run in process groups of their own, so Ctrl+C at the terminal reaches the pool only: it passes SIGINT (or
 *   SIGTERM, SIGHUP) to every slot, each reports its task as `labtasker loop` does, and the pool ends by that signal,
 *   deleting the workers it created. A second one is passed on too (each slot kills its command and exits at once).
 *   A pool that dies leaves its slots without their channel, and each stops as on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { Labtasker, TaskCounts } from "../../../core/api.js";
import { backoffMs, sleep } from "../../../sleep.js";
import { exitBySignal, type StopSignal } from "../../../runner/index.js";
import { SLOT_ENV, type SlotMessage } from "./protocol.js";
import { startTelemetry } from "./telemetry.js";
import type { SlotPlan } from "./slots.js";
import { liveView, plainView, type PoolView, type SlotState } from "./view.js";

/** Deaths in a row, without a task run to its end, after which a slot is given up. */
const MAX_RESTARTS = 10;
/** How often the live view asks for the queue's counts. */
const COUNTS_INTERVAL_MS = 2000;

export interface PoolOptions {
  client: Labtasker;
  slots: readonly SlotPlan[];
  /** The `labtasker` command line of one slot (the loop's, without the pool's flags). */
  argv: readonly string[];
  /** Draw the live view (stderr is a terminal) rather than prefixed lines. */
  live: boolean;
  /** Sample the GPUs' use this often into each slot's worker (./telemetry.ts); null: never. @defaultValue null */
  telemetryIntervalMs?: number | null;
}

interface Slot extends SlotState {
  plan: SlotPlan;
  workerId: string;
  child: ChildProcess | null;
  /** The process group of the command the slot runs, from its last message. */
  commandPid: number | null;
  deaths: number;
  exited: Promise<void>;
}

export interface PoolResult {
  /** The signal that stopped the pool, if one did. */
  signal: StopSignal | null;
  /** Slots given up or refused (a usage error): the pool's exit code is then 1 (2 when every slot was refused). */
  failed: number;
  usageErrors: number;
}

export async function runPool(options: PoolOptions): Promise<PoolResult> {
  const { client } = options;
  const slots: Slot[] = [];
  for (const plan of options.slots) {
    const workerId = await client.createWorker({ workerName: plan.workerName, metadata: plan.metadata });
    slots.push({ plan, workerId, label: plan.label, task: null, phase: "starting", lastLine: "", gpu: null, child: null, commandPid: null, deaths: 0, exited: Promise.resolve() });
  }
  const view: PoolView = options.live ? liveView(slots) : plainView();
  const result: PoolResult = { signal: null, failed: 0, usageErrors: 0 };
  let stopping: StopSignal | null = null;

  const stopCounts = options.live ? pollCounts(client, (counts) => view.update(counts)) : null;
  const stopTelemetry = options.telemetryIntervalMs
    ? startTelemetry({
        client,
        intervalMs: options.telemetryIntervalMs,
        slots: slots.map((slot) => ({ workerId: slot.workerId, gpuIndex: slot.plan.gpu.index, active: () => slot.phase !== "done" && slot.phase !== "failed" })),
        onSample: (samples) => {
          for (const slot of slots) slot.gpu = samples.find((sample) => sample.index === slot.plan.gpu.index) ?? null;
          view.update();
        },
        onProblem: (message) => view.event(null, message),
      })
    : null;

  const onSignal = (signal: StopSignal) => {
    if (stopping === null) {
      stopping = signal;
      result.signal = signal;
      view.event(null, `Received ${signal}: stopping every slot; each reports its task (${signal === "SIGINT" ? "Ctrl+C" : signal} again to stop at once).`);
    } else {
      view.event(null, `Received ${signal} again: every slot exits at once.`);
    }
    for (const slot of slots) {
      if (slot.child?.exitCode === null && slot.child.signalCode === null) {
        slot.phase = "stopping";
        slot.child.kill(signal);
      }
    }
  };
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  const start = (slot: Slot) => {
    slot.phase = "starting";
    slot.lastLine = "";
    slot.commandPid = null;
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...options.argv], {
      env: {
        ...process.env,
        CUDA_VISIBLE_DEVICES: String(slot.plan.gpu.index),
        [SLOT_ENV]: String(slot.plan.number),
        LABTASKER_WORKER_ID: slot.workerId,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      detached: true, // its own process group: the terminal's Ctrl+C reaches the pool, which passes it on once
    });
    slot.child = child;
    child.stdout!.on("data", (chunk: Buffer) => view.output(slot, "stdout", chunk));
    child.stderr!.on("data", (chunk: Buffer) => view.output(slot, "stderr", chunk));
    child.on("message", (message: SlotMessage) => onMessage(slot, message));
    slot.exited = new Promise((resolve) => {
      child.once("error", (error) => {
        view.event(slot, `Could not start the slot's loop: ${error.message}`);
        resolve();
      });
      // 'close': its output is drained, so a task's last line is shown before what happened to it.
      child.once("close", (code, signal) => void onExit(slot, code, signal).then(resolve));
    });
  };

  const onMessage = (slot: Slot, message: SlotMessage) => {
    if (message.type === "task") {
      // The last line stays: the loop's lines about this task came before this message.
      slot.task = { taskId: message.taskId, args: message.args, startedAt: message.startedAt };
      slot.commandPid = message.pid;
    } else if (message.type === "idle") {
      slot.deaths = 0; // a task ran to its end: the slot's loop works
      slot.task = null;
      slot.lastLine = "";
      slot.commandPid = null;
      slot.phase = "idle";
    }
  };

  const onExit = async (slot: Slot, code: number | null, signal: NodeJS.Signals | null) => {
    slot.child = null;
    const task = slot.task;
    slot.task = null;
    if (code === 0 || (stopping !== null && (signal === stopping || code === 128 + (constants.signals[stopping] ?? 0)))) {
      slot.phase = "done";
      return;
    }
    if (code === 2) {
      slot.phase = "failed";
      result.usageErrors += 1;
      view.event(slot, "The slot's loop refused its command line (exit 2); see its message above.");
      return;
    }
    // Died unexpectedly: its command may still run, and its task is still running in the queue.
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (slot.commandPid !== null) {
      try {
        process.kill(-slot.commandPid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    // Stopping: no search (the queue may be what is failing, and the user waits), the task it told of is reported.
    await reportOrphans(client, slot, task?.taskId ?? null, how, view, stopping === null);
    slot.deaths += 1;
    if (stopping !== null) {
      slot.phase = "done";
      return;
    }
    if (slot.deaths > MAX_RESTARTS) {
      slot.phase = "failed";
      result.failed += 1;
      view.event(slot, `The slot's loop ${how}; it died ${slot.deaths} times in a row: giving it up.`);
      return;
    }
    const delay = backoffMs(slot.deaths, 1000, 30_000);
    slot.phase = "restarting";
    view.event(slot, `The slot's loop ${how}; restarting it in ${delay / 1000} s.`);
    await sleep(delay);
    if (stopping !== null) {
      slot.phase = "done";
      return;
    }
    start(slot);
    await slot.exited;
  };

  try {
    for (const slot of slots) start(slot);
    // A restarted slot's `exited` is awaited inside the first one's, so this waits for every slot to be done.
    await Promise.all(slots.map((slot) => slot.exited));
  } finally {
    stopCounts?.();
    stopTelemetry?.();
    for (const [signal, handler] of handlers) process.off(signal, handler);
    view.close();
  }
  // Workers the pool created are removed when the user stopped it, as a single loop removes its own; kept when the
  // queue ran dry or a worker was suspended, so `worker ls` still shows why.
  if (stopping !== null) {
    for (const slot of slots) {
      await client.deleteWorker(slot.workerId).catch((error: unknown) => view.event(slot, `Could not delete worker ${slot.workerId}: ${(error as Error).message}`));
    }
  }
  return result;
}

/** What the report of a dead slot's task needs of the slot. */
type OrphanSlot = SlotState & Pick<Slot, "workerId">;

/**
 * Reports the tasks a dead slot left running as failed, so they come back (retries permitting) rather than waiting
 * for their heartbeat timeout: those its worker still runs in the queue, which covers a task the slot had not told
 * the pool of (it died between its fetch and its command's start, or after a fetch that carried the last task's
 * report); `told`, the task the pool knows, when the queue cannot be asked (or `search` is false).
 */
export async function reportOrphans(client: Labtasker, slot: OrphanSlot, told: string | null, how: string, view: Pick<PoolView, "event">, search = true): Promise<void> {
  let running = told === null ? [] : [told];
  if (search) {
    try {
      const found = await client.lsTasks({ status: "running", extraFilter: { worker_id: slot.workerId }, limit: 10 });
      running = found.content.map((task) => task.taskId);
    } catch (error) {
      view.event(slot, `Could not ask the queue which tasks the slot left running (${(error as Error).message}).`);
    }
  }
  for (const taskId of running) await reportOrphan(client, slot, taskId, how, view);
}

async function reportOrphan(client: Labtasker, slot: OrphanSlot, taskId: string, how: string, view: Pick<PoolView, "event">): Promise<void> {
  const message = `The loop of pool slot ${slot.label} ${how} while running this task`;
  try {
    await client.reportTaskStatus(taskId, "failed", {
      summary: { labtasker_exception: { type: "PoolSlotDied", message, traceback: slot.lastLine } },
      workerId: slot.workerId,
    });
    view.event(slot, `Task ${taskId} reported failed: ${message}.`);
  } catch (error) {
    // Reported meanwhile, or no longer this worker's: its state stands.
    view.event(slot, `Task ${taskId} left by the slot could not be reported (${(error as Error).message}); its heartbeat timeout returns it.`);
  }
}

/**
 * Asks for the queue's counts every few seconds while the live view runs. None are shown where the server has no
 * count route: against labtasker v1's server a count reads every task, too much to repeat every few seconds.
 */
function pollCounts(client: Labtasker, onCounts: (counts: TaskCounts) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let busy = false;
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  const tick = () => {
    if (busy || stopped) return;
    busy = true;
    client
      .countTasks()
      .then(onCounts, stop)
      .finally(() => (busy = false));
  };
  client.supports("task-count").then((offered) => {
    if (!offered || stopped) return;
    timer = setInterval(tick, COUNTS_INTERVAL_MS);
    timer.unref();
    tick();
  }, stop);
  return stop;
}

/** Ends the pool's process as its result says. */
export function exitPool(result: PoolResult, slots: number): void {
  if (result.signal !== null) return exitBySignal(result.signal);
  if (result.usageErrors === slots) process.exitCode = 2;
  else if (result.failed + result.usageErrors > 0) process.exitCode = 1;
}
