/**
 * The queue's events, live, over SSE (GET /dashboard/api/v1/queues/me/events). The browser's EventSource
 * reconnects by itself after a dropped connection and sends `Last-Event-ID`, from which the server replays what was
 * missed. When the server refuses (a 503 while Redis is away) the EventSource gives up; this opens a new one after a
 * growing pause, and every (re)connection is reported so that the page reloads what it shows.
 */
import { V1 } from "./api.js";

export interface QueueEventMessage {
  sequence: number;
  timestamp: string;
  event: {
    entity_type: "task" | "worker";
    entity_id: string;
    old_state: string;
    new_state: string;
    entity_data: Record<string, unknown>;
  };
}

export type LiveState = "connecting" | "live" | "reconnecting";

export interface LiveHandlers {
  onEvent: (message: QueueEventMessage) => void;
  /** A connection opened again (after a drop or a refusal): what is shown may have missed events. */
  onConnected: () => void;
  onState: (state: LiveState) => void;
}

export function followQueue(handlers: LiveHandlers): () => void {
  let source: EventSource | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pause = 1000;
  let stopped = false;
  let connections = 0;

  const open = () => {
    handlers.onState(source === undefined ? "connecting" : "reconnecting");
    source = new EventSource(`${V1}/events`, { withCredentials: true });
    source.addEventListener("connection", () => {
      pause = 1000;
      handlers.onState("live");
      // The first connection follows the page's first reads; only a later one may have missed events.
      if (connections++ > 0) handlers.onConnected();
    });
    source.addEventListener("event", (message) => {
      try {
        handlers.onEvent(JSON.parse((message as MessageEvent<string>).data) as QueueEventMessage);
      } catch {
        // A message that is not JSON is not ours to show.
      }
    });
    source.addEventListener("error", () => {
      if (stopped || source === undefined) return;
      if (source.readyState === EventSource.CONNECTING) {
        handlers.onState("reconnecting");
        return;
      }
      source.close();
      handlers.onState("reconnecting");
      retryTimer = setTimeout(open, pause);
      pause = Math.min(pause * 2, 30_000);
    });
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    source?.close();
  };
}
