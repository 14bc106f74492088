/**
 * What a pool's slot (a `labtasker loop` process the pool started) tells the pool over its IPC channel: the task it
 * runs and the process group of its command, so that when the slot dies the pool can stop the command it left and
 * report the task. A slot whose pool is gone (the channel closed) stops as on SIGTERM.
 */
import type { LoopObserver } from "../../../runner/index.js";

/** The slot's number in the pool: set by the pool in each slot's environment (and its commands'). */
export const SLOT_ENV = "LABTASKER_GPU_SLOT";

export type SlotMessage =
  | { type: "task"; taskId: string; args: unknown; startedAt: number }
  | { type: "command"; pid: number }
  | { type: "idle" };

/** The pool's side of a slot, inside the slot's loop process; null when this loop is not a pool's slot. */
export interface SlotLink {
  observer: LoopObserver;
  onSpawn(pid: number): void;
  /** Aborted (as SIGTERM) when the pool is gone. */
  signal: AbortSignal;
}

export function slotLink(): SlotLink | null {
  if (process.send === undefined || process.env[SLOT_ENV] === undefined) return null;
  const send = (message: SlotMessage) => {
    if (process.connected) process.send!(message, undefined, {}, () => undefined); // a pool gone meanwhile is not an error
  };
  const stop = new AbortController();
  process.once("disconnect", () => stop.abort("SIGTERM"));
  process.channel?.unref(); // the channel alone must not keep the loop alive once it is done
  return {
    observer: {
      taskStarted: (task) => send({ type: "task", taskId: task.taskId, args: task.args, startedAt: Date.now() }),
      taskEnded: () => send({ type: "idle" }),
    },
    onSpawn: (pid) => send({ type: "command", pid }),
    signal: stop.signal,
  };
}
