/** The live events, fanned out to whichever parts of the page show what they change. */
import type { QueueEventMessage } from "./live.js";

type Listener = (message: QueueEventMessage) => void;

const listeners = new Set<Listener>();

export function publish(message: QueueEventMessage): void {
  for (const listener of listeners) listener(message);
}

/** Adds a listener; returns its removal (for a `useEffect` cleanup). */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Calls `run` at most once per `ms`, at the end of a burst (a sweep finishing tasks sends many events a second). */
export function throttle(run: () => void, ms: number): { call: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    call: () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        run();
      }, ms);
    },
    cancel: () => clearTimeout(timer),
  };
}
