import { useState } from "preact/hooks";
import { api, V1 } from "../api.js";
import { numberText } from "../format.js";
import type { Compiled } from "./FilterBox.js";
import type { Selection } from "../view.js";

export type BulkAction = "requeue" | "cancel" | "delete" | "priority";

const VERB: Record<BulkAction, string> = { requeue: "Re-queue", cancel: "Cancel", delete: "Delete", priority: "Set priority of" };

interface BulkResult {
  matched: number;
  done: number;
  failures: Array<[string, string]>;
}

/** POST /dashboard/api/tasks/bulk: the given tasks, or every task of the selection. */
export function runBulk(action: BulkAction, target: { taskIds: string[] } | Selection, priority?: number): Promise<BulkResult> {
  const body =
    "taskIds" in target
      ? { action, task_ids: target.taskIds, priority }
      : { action, status: target.status || null, extra_filter: target.extraFilter, priority };
  return api.post<BulkResult>("/dashboard/api/tasks/bulk", body);
}

export function resultText(action: BulkAction, result: BulkResult): string {
  const done = { requeue: "re-queued", cancel: "cancelled", delete: "deleted", priority: "re-prioritized" }[action];
  const failed = result.failures.length === 0 ? "" : `; ${result.failures.length} refused (first: ${result.failures[0]![1]})`;
  return `${numberText(result.done)} of ${numberText(result.matched)} tasks ${done}${failed}.`;
}

interface Pending {
  action: BulkAction;
  count: number;
}

/** Actions on the checked tasks, and on every task the filter matches (counted, and confirmed, first). */
export function Actions({ selectedIds, selection, compiled, onDone }: { selectedIds: string[]; selection: Selection | null; compiled: Compiled; onDone: () => void }) {
  const [priority, setPriority] = useState("10");
  const [pending, setPending] = useState<Pending | null>(null);
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const priorityValue = Number(priority);
  const priorityValid = priority.trim() !== "" && Number.isInteger(priorityValue);

  const run = async (action: BulkAction, target: { taskIds: string[] } | Selection) => {
    setBusy(true);
    setMessage("");
    try {
      setMessage(resultText(action, await runBulk(action, target, action === "priority" ? priorityValue : undefined)));
      onDone();
    } catch (error) {
      setMessage(`Failed: ${(error as Error).message}`);
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  const askAll = async (action: BulkAction) => {
    if (selection === null) return;
    setBusy(true);
    try {
      const answer = await api.post<{ counts: Record<string, number> }>(`${V1}/tasks/count`, { status: selection.status || null, extra_filter: selection.extraFilter });
      setPending({ action, count: Object.values(answer.counts).reduce((sum, n) => sum + n, 0) });
    } catch (error) {
      setMessage(`Failed: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const buttons = (onAction: (action: BulkAction) => void, disabled: boolean, scope: string) => (
    <>
      <button disabled={disabled} onClick={() => onAction("requeue")} data-action={`requeue-${scope}`}>Re-queue</button>
      <button disabled={disabled} onClick={() => onAction("cancel")} data-action={`cancel-${scope}`}>Cancel</button>
      <button disabled={disabled || !priorityValid} onClick={() => onAction("priority")} data-action={`priority-${scope}`}>Set priority</button>
      <button disabled={disabled} class="danger" onClick={() => onAction("delete")} data-action={`delete-${scope}`}>Delete</button>
    </>
  );

  return (
    <>
      <div class="actions" role="group" aria-label="Actions">
        <label>
          priority <input type="number" value={priority} onInput={(e) => setPriority(e.currentTarget.value)} aria-label="Priority for 'Set priority'" style={{ width: "6em" }} />
        </label>
        <span class="muted">{numberText(selectedIds.length)} selected:</span>
        {buttons((action) => void run(action, { taskIds: selectedIds }), busy || selectedIds.length === 0, "selected")}
        <span class="muted">| every task matching the view:</span>
        {buttons((action) => void askAll(action), busy || compiled.state !== "ok", "all")}
        {message && <span role="status" data-action-result>{message}</span>}
      </div>
      {pending && selection && (
        <div class="confirm" role="alertdialog" aria-label="Confirm">
          <p>
            {VERB[pending.action]} <strong data-confirm-count>{numberText(pending.count)}</strong> task{pending.count === 1 ? "" : "s"} matching this view
            {pending.action === "priority" ? ` to ${priorityValue}` : ""}?{pending.action === "delete" ? " This cannot be undone." : ""}
          </p>
          <button class="primary" disabled={busy || pending.count === 0} onClick={() => void run(pending.action, selection)} data-action="confirm">
            {VERB[pending.action]} {numberText(pending.count)}
          </button>{" "}
          <button onClick={() => setPending(null)}>Keep them</button>
        </div>
      )}
    </>
  );
}
