/**
 * What a pool's slot (a `labtasker loop` process the pool started) tells the pool over its IPC channel: the task it
 * runs and the process group of its command, so that when the slot dies the pool can stop the command it left and
 * report the task. A slot whose pool is gone (the channel closed) stops as on SIGTERM.
 *
 * One message per command's start, sent once the command has started: sent before, it took the CPU from the
 * start (the pool's process wakes for each message), and a second message carried the command's process group. What
 * a dead slot's worker still runs, the pool asks the queue (./pool.ts): a slot can die before that message, or after
 * its next fetch claimed a task while the pool still knows the last one.
 */
import type { LoopObserver } from "../../../runner/index.js";

/** The slot's number in the pool: set by the pool in each slot's environment (and its commands'). */
export const SLOT_ENV = "LABTASKER_GPU_SLOT";

export type SlotMessage =
  /** A command started for a task; `pid` leads its process group. */
  | { type: "task"; taskId: string; args: unknown; startedAt: number; pid: number }
  /** The slot's task ended (reported, or given back), told or not (a command that could not start is not told). */
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
  /** The task whose command is about to start, with when it started (told to the pool with the command's pid). */
  let starting: { taskId: string; args: unknown; startedAt: number } | null = null;
  return {
    observer: {
      taskStarted: (task) => (starting = { taskId: task.taskId, args: task.args, startedAt: Date.now() }),
      taskEnded: () => {
        starting = null;
        send({ type: "idle" });
      },
    },
    onSpawn: (pid) => {
      if (starting !== null) send({ type: "task", ...starting, pid });
      starting = null;
    },
    signal: stop.signal,
  };
}
