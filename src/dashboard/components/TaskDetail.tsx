import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, V1, type TaskDoc } from "../api.js";
import { subscribe } from "../bus.js";
import { dateText, jsonText, logText } from "../format.js";
import { resultText, runBulk, type BulkAction } from "./Actions.js";
import { taskFromEvent } from "./Tasks.js";

interface EventDoc {
  sequence: number;
  timestamp: string;
  event: { old_state: string; new_state: string; entity_data: Record<string, unknown> };
}

interface LogChunk {
  attempt: number;
  attempts: number;
  offset: number;
  next: number;
  ended: boolean;
  data: string;
}

/** The last failure a task's summary records: the loop's `labtasker_exception`, or the timeout sweep's note. */
function lastError(summary: Record<string, unknown>): { type: string; message: string; traceback: string } | null {
  const exception = summary.labtasker_exception as Record<string, unknown> | undefined;
  if (exception && typeof exception === "object") {
    return { type: String(exception.type ?? "Error"), message: String(exception.message ?? ""), traceback: String(exception.traceback ?? "") };
  }
  if (typeof summary.labtasker_error === "string") return { type: "timeout", message: summary.labtasker_error, traceback: "" };
  return null;
}

/** Everything about one task, its events and its output log; live while open. */
export function TaskDetail({ taskId, onClose }: { taskId: string; onClose: () => void }) {
  const [task, setTask] = useState<TaskDoc | null>(null);
  const [error, setError] = useState("");
  const [events, setEvents] = useState<EventDoc[] | null>(null);
  const [log, setLog] = useState<{ text: string; attempt: number; attempts: number; ended: boolean; dropped: boolean } | null>(null);
  const [message, setMessage] = useState("");
  const [priority, setPriority] = useState("");
  const [reload, setReload] = useState(0);
  const panel = useRef<HTMLElement>(null);

  useEffect(() => {
    panel.current?.focus();
  }, [taskId]);

  useEffect(() => {
    let current = true;
    setError("");
    api.get<TaskDoc>(`${V1}/tasks/${encodeURIComponent(taskId)}`).then(
      (found) => {
        if (!current) return;
        setTask(found);
        setPriority(String(found.priority));
      },
      (caught: unknown) => current && setError(caught instanceof ApiError && caught.status === 404 ? "No such task (deleted?)." : (caught as Error).message),
    );
    api.get<{ events: EventDoc[] }>(`/dashboard/api/tasks/${encodeURIComponent(taskId)}/events`).then(
      (answer) => current && setEvents(answer.events),
      () => current && setEvents([]),
    );
    return () => {
      current = false;
    };
  }, [taskId, reload]);

  // The log: read once, then followed (long polls) while the run is going on and the panel is open.
  useEffect(() => {
    let current = true;
    const follow = async () => {
      let attempt = 0;
      let offset = 0;
      let text = "";
      for (let round = 0; current; round++) {
        const query = attempt === 0 ? "" : `?attempt=${attempt}&offset=${offset}&wait=${round === 0 ? 0 : 5000}`;
        let chunk: LogChunk;
        try {
          chunk = await api.get<LogChunk>(`${V1}/tasks/${encodeURIComponent(taskId)}/logs${query}`);
        } catch {
          if (current) setLog((l) => l ?? { text: "", attempt: 0, attempts: 0, ended: true, dropped: false });
          return;
        }
        if (!current) return;
        const dropped = chunk.offset > offset;
        text = (attempt === 0 ? "" : text) + logText(chunk.data);
        attempt = chunk.attempt;
        offset = chunk.next;
        setLog({ text, attempt: chunk.attempt, attempts: chunk.attempts, ended: chunk.ended, dropped });
        if (chunk.attempt === 0 || chunk.ended) return;
      }
    };
    void follow();
    return () => {
      current = false;
    };
  }, [taskId, reload]);

  useEffect(
    () =>
      subscribe((message) => {
        if (message.event.entity_type !== "task" || message.event.entity_id !== taskId) return;
        setTask(taskFromEvent(message.event.entity_data));
        setEvents((list) => [message as unknown as EventDoc, ...(list ?? [])]);
        if (message.event.new_state === "running") setReload((n) => n + 1);
      }),
    [taskId],
  );

  const act = async (action: BulkAction) => {
    setMessage("");
    try {
      const result = await runBulk(action, { taskIds: [taskId] }, action === "priority" ? Number(priority) : undefined);
      setMessage(resultText(action, result).replace(/^1 of 1 tasks/, "Task"));
      if (action === "delete") onClose();
      else setReload((n) => n + 1);
    } catch (caught) {
      setMessage(`Failed: ${(caught as Error).message}`);
    }
  };

  const failure = task ? lastError(task.summary) : null;
  return (
    <aside class="detail" ref={panel} tabIndex={-1} aria-label="Task detail" data-task-detail={taskId}>
      <div class="head">
        <div>
          <h2>{task?.task_name ?? "Task"}</h2>
          <div class="mono muted">{taskId}</div>
        </div>
        <button onClick={onClose} aria-label="Close (Esc)">✕</button>
      </div>
      {error && <p class="error-text" role="alert">{error}</p>}
      {task && (
        <>
          <p>
            <strong class={`status-${task.status}`} data-detail-status>{task.status}</strong>
          </p>
          <div class="actions" role="group" aria-label="Task actions">
            <button onClick={() => void act("requeue")}>Re-queue</button>
            <button onClick={() => void act("cancel")}>Cancel</button>
            <label>
              priority <input type="number" value={priority} onInput={(e) => setPriority(e.currentTarget.value)} aria-label="Priority" style={{ width: "6em" }} />
            </label>
            <button onClick={() => void act("priority")} disabled={!Number.isInteger(Number(priority)) || priority.trim() === ""}>Set</button>
            <button class="danger" onClick={() => void act("delete")}>Delete</button>
            {message && <span role="status">{message}</span>}
          </div>
          <dl class="facts">
            <dt>priority</dt><dd data-detail-priority>{task.priority}</dd>
            <dt>retries</dt><dd>{task.retries} of {task.max_retries}</dd>
            <dt>worker</dt><dd class="mono">{task.worker_id ?? "—"}</dd>
            <dt>created</dt><dd>{dateText(task.created_at)}</dd>
            <dt>started</dt><dd>{dateText(task.start_time) || "—"}</dd>
            <dt>last heartbeat</dt><dd>{dateText(task.last_heartbeat) || "—"}</dd>
            <dt>last modified</dt><dd>{dateText(task.last_modified)}</dd>
            <dt>heartbeat timeout</dt><dd>{task.heartbeat_timeout == null ? "—" : `${task.heartbeat_timeout} s`}</dd>
            <dt>task timeout</dt><dd>{task.task_timeout == null ? "—" : `${task.task_timeout} s`}</dd>
          </dl>
          {failure && (
            <>
              <h3>Last error</h3>
              <p class="error-text">
                {failure.type}: {failure.message}
              </p>
              {failure.traceback && <pre data-traceback>{failure.traceback}</pre>}
            </>
          )}
          <h3>Args</h3>
          <pre data-detail-args>{jsonText(task.args)}</pre>
          <h3>Summary</h3>
          <pre>{jsonText(task.summary)}</pre>
          <h3>Metadata</h3>
          <pre>{jsonText(task.metadata)}</pre>
          <h3>Command</h3>
          <pre>{typeof task.cmd === "string" ? task.cmd || "—" : jsonText(task.cmd)}</pre>
        </>
      )}
      <h3>Events</h3>
      {events === null ? (
        <p class="muted">Loading…</p>
      ) : events.length === 0 ? (
        <p class="muted">None in the queue's event stream (it keeps the last 10,000 events of the queue).</p>
      ) : (
        <ol class="events" reversed>
          {events.map((e) => (
            <li key={e.sequence}>
              {dateText(e.timestamp)} — {e.event.old_state} → <span class={`status-${e.event.new_state}`}>{e.event.new_state}</span>
            </li>
          ))}
        </ol>
      )}
      <h3>Output log</h3>
      {log === null ? (
        <p class="muted">Loading…</p>
      ) : log.attempts === 0 ? (
        <p class="muted" data-no-log>
          No output kept for this task. <code>labtasker loop</code> streams each run's output here; a run started some other way
          (the Python client's loop, a script of your own) leaves it where it ran: that machine's terminal or log files.
        </p>
      ) : (
        <>
          <p class="muted">
            Attempt {log.attempt} of {log.attempts}
            {log.ended ? "" : " (running: following)"}
            {log.dropped ? "; the start was dropped (the log keeps a task's last bytes)" : ""}
          </p>
          <pre data-log>{log.text || "(no output yet)"}</pre>
        </>
      )}
    </aside>
  );
}
