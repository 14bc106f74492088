import { useEffect, useState } from "preact/hooks";
import { api, V1, type TaskDoc, type WorkerDoc } from "../api.js";
import { subscribe, throttle } from "../bus.js";
import { dateText } from "../format.js";

interface Row extends WorkerDoc {
  /** The task it runs now, if any. */
  running: TaskDoc | undefined;
}

/** Workers, what each runs now, and suspend / activate / delete. */
export function Workers({ epoch }: { epoch: number }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState("");
  const [message, setMessage] = useState("");
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let current = true;
    Promise.all([
      api.post<{ content: WorkerDoc[] }>(`${V1}/workers/search`, { limit: 1000, sort: [["created_at", 1]] }),
      api.post<{ content: TaskDoc[] }>(`${V1}/tasks/search`, { status: "running", limit: 1000, sort: [["priority", -1], ["last_modified", 1], ["created_at", 1]] }),
    ]).then(
      ([workers, running]) => {
        if (!current) return;
        const byWorker = new Map(running.content.filter((t) => t.worker_id).map((t) => [t.worker_id!, t]));
        setRows(workers.content.map((w) => ({ ...w, running: byWorker.get(w.worker_id) })));
        setError("");
      },
      (caught: unknown) => current && setError((caught as Error).message),
    );
    return () => {
      current = false;
    };
  }, [epoch, reload]);

  useEffect(() => {
    const refresh = throttle(() => setReload((n) => n + 1), 1000);
    const unsubscribe = subscribe(() => refresh.call());
    return () => {
      refresh.cancel();
      unsubscribe();
    };
  }, []);

  const act = async (worker: WorkerDoc, action: "active" | "suspended" | "delete") => {
    setMessage("");
    try {
      if (action === "delete") await api.request("DELETE", `${V1}/workers/${encodeURIComponent(worker.worker_id)}`);
      else await api.post(`${V1}/workers/${encodeURIComponent(worker.worker_id)}/status`, { status: action });
      setMessage(`Worker ${worker.worker_name ?? worker.worker_id}: ${action === "delete" ? "deleted" : action}.`);
      setReload((n) => n + 1);
    } catch (caught) {
      setMessage(`Failed: ${(caught as Error).message}`);
    }
  };

  if (rows === null) return error ? <p class="error-text" role="alert">{error}</p> : <p class="muted">Loading…</p>;
  return (
    <div>
      {error && <p class="error-text" role="alert">{error}</p>}
      {message && <p role="status">{message}</p>}
      {rows.length === 0 ? (
        <p class="empty">No workers yet: each <code>labtasker loop</code> registers one.</p>
      ) : (
        <div class="table-wrap">
          <table class="tasks">
            <thead>
              <tr>
                <th>name</th><th>id</th><th>status</th><th>running</th><th>retries</th><th>created</th><th>modified</th><th>actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((w) => (
                <tr key={w.worker_id} data-worker-id={w.worker_id}>
                  <td>{w.worker_name ?? ""}</td>
                  <td class="mono" title={w.worker_id}>{w.worker_id.slice(0, 8)}</td>
                  <td>{w.status === "active" ? (w.running ? "busy" : "idle") : w.status}</td>
                  <td title={w.running?.task_id}>{w.running ? (w.running.task_name ?? w.running.task_id.slice(0, 8)) : ""}</td>
                  <td>{w.retries}/{w.max_retries}</td>
                  <td>{dateText(w.created_at)}</td>
                  <td>{dateText(w.last_modified)}</td>
                  <td>
                    {w.status === "active" ? (
                      <button onClick={() => void act(w, "suspended")}>Suspend</button>
                    ) : (
                      <button onClick={() => void act(w, "active")}>Activate</button>
                    )}{" "}
                    <button class="danger" onClick={() => void act(w, "delete")}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
