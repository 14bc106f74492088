import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, V1, type TaskDoc } from "../api.js";
import { subscribe, throttle } from "../bus.js";
import { cellText, dateText, numberText, valueAt } from "../format.js";
import type { Selection, SortSpec, View } from "../view.js";
import { FilterBox, useCompiledFilter } from "./FilterBox.js";
import { Actions } from "./Actions.js";

export const PAGE_SIZE = 50;

interface Column {
  /** Path in the task document (what a custom column names), and what it sorts by. */
  path: string;
  label: string;
  sortKey: string;
  render: (task: TaskDoc) => string;
  title?: (task: TaskDoc) => string;
}

const BASE_COLUMNS: Column[] = [
  { path: "task_id", label: "id", sortKey: "_id", render: (t) => t.task_id.slice(0, 8), title: (t) => t.task_id },
  { path: "task_name", label: "name", sortKey: "task_name", render: (t) => t.task_name ?? "" },
  { path: "status", label: "status", sortKey: "status", render: (t) => t.status },
  { path: "priority", label: "priority", sortKey: "priority", render: (t) => String(t.priority) },
  { path: "retries", label: "retries", sortKey: "retries", render: (t) => `${t.retries}/${t.max_retries}` },
  { path: "created_at", label: "created", sortKey: "created_at", render: (t) => dateText(t.created_at) },
  { path: "last_modified", label: "modified", sortKey: "last_modified", render: (t) => dateText(t.last_modified) },
];

function customColumn(path: string): Column {
  return { path, label: path, sortKey: path, render: (t) => cellText(valueAt(t, path)) };
}

/** A v1 event's document (`_id`) as a listing's (`task_id`). */
export function taskFromEvent(data: Record<string, unknown>): TaskDoc {
  const { _id, ...rest } = data;
  return { ...(rest as unknown as TaskDoc), task_id: String(data.task_id ?? _id) };
}

interface PageState {
  loading: boolean;
  error: string;
  /** null while the count of a filtered view is on its way. */
  total: number | null;
  tasks: TaskDoc[];
  /** The page `tasks` are (the view may already name the next one, loading). */
  page: number;
}

/** Listing snapshots by view, so that later pages of a filtered or sorted view are read from the first one's order. */
const snapshots = new Map<string, string>();

function newSnapshotId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The listing's total, from the count route (one evaluation of the filter, cached by the server). */
export async function countSelection(selection: Selection): Promise<number> {
  const answer = await api.post<{ counts: Record<string, number> }>(`${V1}/tasks/count`, { status: selection.status || null, extra_filter: selection.extraFilter });
  return Object.values(answer.counts).reduce((sum, n) => sum + n, 0);
}

async function loadPage(selection: Selection, sort: SortSpec, page: number, fresh: boolean): Promise<{ total: number | null; content: TaskDoc[] }> {
  const body = { status: selection.status || null, extra_filter: selection.extraFilter, sort: sort.length > 0 ? sort : null, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE };
  // The queue's own order is read live from its indexes: any page without a filter, and with a filter the first pages
  // (the server reads from the top until the page is full; the total follows from the count route). A sorted view is
  // evaluated once and paged from a snapshot of its order.
  if (sort.length === 0) return api.post("/dashboard/api/tasks/page", { ...body, scan: selection.extraFilter !== null });
  const key = JSON.stringify([selection.status, selection.extraFilter, sort]);
  let snapshot = snapshots.get(key);
  if (snapshot === undefined || (fresh && page === 1)) {
    snapshot = newSnapshotId();
    snapshots.set(key, snapshot);
    if (page > 1) await api.post("/dashboard/api/tasks/page", { ...body, offset: 0, limit: 1, snapshot });
  }
  try {
    return await api.post("/dashboard/api/tasks/page", { ...body, snapshot });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 410)) throw error;
    // The snapshot expired (5 minutes unused) or another server answered: take a new one.
    snapshots.delete(key);
    return loadPage(selection, sort, page, true);
  }
}

export function Tasks({ view, setView, epoch }: { view: View; setView: (patch: Partial<View>, mode?: "push" | "replace") => void; epoch: number }) {
  const compiled = useCompiledFilter(view.filter);
  const [state, setState] = useState<PageState>({ loading: true, error: "", total: 0, tasks: [], page: 1 });
  const [reload, setReload] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [cursor, setCursor] = useState(0);
  const [newColumn, setNewColumn] = useState("");
  const [changes, setChanges] = useState(0);
  const tableRef = useRef<HTMLTableSectionElement>(null);

  const columns = useMemo(() => [...BASE_COLUMNS, ...view.columns.map(customColumn)], [view.columns]);
  const selection: Selection | null = compiled.state === "ok" ? { status: view.status, extraFilter: compiled.extraFilter } : null;
  const live = view.sort.length === 0 && compiled.state === "ok" && compiled.extraFilter === null;

  useEffect(() => {
    if (selection === null) {
      setState((s) => ({ ...s, loading: compiled.state === "pending", error: "" }));
      return;
    }
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    loadPage(selection, view.sort, view.page, reload > 0 || epoch > 0).then(
      (page) => {
        if (!current) return;
        setState({ loading: false, error: "", total: page.total, tasks: page.content, page: view.page });
        setChanges(0);
        if (page.total === null) {
          countSelection(selection).then(
            (total) => current && setState((s) => ({ ...s, total })),
            () => undefined,
          );
        }
      },
      (error: unknown) => current && setState((s) => ({ ...s, loading: false, error: (error as Error).message })),
    );
    return () => {
      current = false;
    };
    // `selection` is derived from these.
  }, [compiled, view.status, view.sort, view.page, reload, epoch]);

  // Live: rows on the page change in place; the queue's own order is cheap to re-read, so it is re-read too. A busy
  // queue sends hundreds of events a second: they are gathered and shown at most once a second (one render, one read).
  useEffect(() => {
    const refresh = throttle(() => setReload((n) => n + 1), 1000);
    let changed = new Map<string, Record<string, unknown>>();
    let unseen = 0;
    const show = throttle(() => {
      const rows = changed;
      const count = unseen;
      changed = new Map();
      unseen = 0;
      setState((s) => {
        if (!s.tasks.some((t) => rows.has(t.task_id))) return s;
        return { ...s, tasks: s.tasks.map((t) => (rows.has(t.task_id) ? taskFromEvent(rows.get(t.task_id)!) : t)) };
      });
      if (count > 0) setChanges((n) => n + count);
    }, 1000);
    const unsubscribe = subscribe((message) => {
      if (message.event.entity_type !== "task") return;
      changed.set(message.event.entity_id, message.event.entity_data);
      if (live) refresh.call();
      else unseen += 1;
      show.call();
    });
    return () => {
      refresh.cancel();
      show.cancel();
      unsubscribe();
    };
  }, [live]);

  useEffect(() => setSelected(new Set()), [view.filter, view.status]);
  useEffect(() => setCursor(0), [view.page, view.filter, view.status, view.sort]);

  const known = state.total !== null;
  const pages = known ? Math.max(1, Math.ceil(state.total! / PAGE_SIZE)) : Math.max(view.page + (state.tasks.length === PAGE_SIZE ? 1 : 0), 1);
  const goPage = (page: number) => setView({ page: Math.min(Math.max(1, page), pages) });

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest("input, textarea, select, dialog, aside") || event.ctrlKey || event.metaKey || event.altKey) return;
      const task = state.tasks[cursor];
      if (event.key === "j") setCursor((c) => Math.min(c + 1, state.tasks.length - 1));
      else if (event.key === "k") setCursor((c) => Math.max(c - 1, 0));
      else if (event.key === "Enter" && task && target.tagName !== "BUTTON") setView({ task: task.task_id });
      else if (event.key === "x" && task) toggle(task.task_id);
      else if (event.key === "]") goPage(view.page + 1);
      else if (event.key === "[") goPage(view.page - 1);
      else return;
      event.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  });

  useEffect(() => {
    tableRef.current?.querySelector("tr.cursor")?.scrollIntoView({ block: "nearest" });
  }, [cursor]);

  const toggle = (taskId: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(taskId)) next.delete(taskId);
      else next.add(taskId);
      return next;
    });

  const sortBy = (key: string, add: boolean) => {
    const existing = view.sort.find(([field]) => field === key);
    let next: SortSpec;
    if (!existing) next = add ? [...view.sort, [key, 1]] : [[key, 1]];
    else if (existing[1] === 1) next = view.sort.map(([field, d]) => (field === key ? [field, -1] : [field, d]));
    else next = view.sort.filter(([field]) => field !== key);
    setView({ sort: next, page: 1 });
  };

  const addColumn = (event: Event) => {
    event.preventDefault();
    const path = newColumn.trim();
    if (path && /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(path) && !view.columns.includes(path)) setView({ columns: [...view.columns, path] });
    setNewColumn("");
  };

  const first = state.tasks.length === 0 ? 0 : (state.page - 1) * PAGE_SIZE + 1;
  const last = first === 0 ? 0 : first + state.tasks.length - 1;
  const allOnPage = state.tasks.length > 0 && state.tasks.every((t) => selected.has(t.task_id));

  return (
    <div>
      <FilterBox status={view.status} filter={view.filter} compiled={compiled} onApply={(patch) => setView({ ...patch, page: 1 })} />
      <div class="toolbar">
        <div class="chips" aria-label="Custom columns">
          <span class="muted">Columns:</span>
          {view.columns.map((path) => (
            <span class="chip mono" key={path}>
              {path}
              <button aria-label={`Remove column ${path}`} onClick={() => setView({ columns: view.columns.filter((c) => c !== path) })}>×</button>
            </span>
          ))}
          <form onSubmit={addColumn}>
            <input aria-label="Add a column by dotted path" placeholder="add: args.lr, summary.acc" value={newColumn} onInput={(e) => setNewColumn(e.currentTarget.value)} size={22} />
          </form>
        </div>
      </div>

      <Actions
        selectedIds={[...selected]}
        selection={selection}
        compiled={compiled}
        onDone={() => {
          setSelected(new Set());
          setReload((n) => n + 1);
        }}
      />

      {!live && changes > 0 && (
        <p class="muted" role="status">
          {numberText(changes)} task changes since this page was listed (rows shown are updated in place).{" "}
          <button class="link" onClick={() => setReload((n) => n + 1)}>Run the filter again</button>
        </p>
      )}
      {state.error && <p class="error-text" role="alert">{state.error}</p>}
      {compiled.state === "error" ? (
        <p class="empty">Fix the filter to list tasks.</p>
      ) : !state.loading && state.tasks.length === 0 && !state.error ? (
        <p class="empty" data-empty>{view.filter || view.status ? "No task matches." : "No tasks in this queue yet."}</p>
      ) : (
        <div class="table-wrap" aria-busy={state.loading}>
          <table class="tasks" data-total={state.total ?? ""}>
            <thead>
              <tr>
                <th>
                  <input
                    type="checkbox"
                    aria-label="Select every task on this page"
                    checked={allOnPage}
                    onChange={() => setSelected(allOnPage ? new Set() : new Set([...selected, ...state.tasks.map((t) => t.task_id)]))}
                  />
                </th>
                {columns.map((column) => {
                  const at = view.sort.findIndex(([field]) => field === column.sortKey);
                  const direction = at >= 0 ? view.sort[at]![1] : 0;
                  return (
                    <th key={column.path} aria-sort={direction === 1 ? "ascending" : direction === -1 ? "descending" : "none"} data-column={column.path}>
                      <button class="sort" title="Sort (shift: add to the sort)" onClick={(e) => sortBy(column.sortKey, e.shiftKey)}>
                        {column.label}
                        {direction === 1 ? " ▲" : direction === -1 ? " ▼" : ""}
                        {view.sort.length > 1 && at >= 0 ? <sup>{at + 1}</sup> : null}
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody ref={tableRef}>
              {state.tasks.map((task, i) => (
                <tr
                  key={task.task_id}
                  data-task-id={task.task_id}
                  class={`${i === cursor ? "cursor" : ""} ${selected.has(task.task_id) ? "selected" : ""}`}
                  onClick={(e) => {
                    if ((e.target as HTMLElement).closest("input")) return;
                    setCursor(i);
                    setView({ task: task.task_id });
                  }}
                >
                  <td>
                    <input type="checkbox" aria-label={`Select task ${task.task_id}`} checked={selected.has(task.task_id)} onChange={() => toggle(task.task_id)} />
                  </td>
                  {columns.map((column) => (
                    <td key={column.path} class={column.path === "status" ? `status-${task.status}` : column.path === "task_id" ? "mono" : ""} title={column.title?.(task) ?? column.render(task)}>
                      {column.render(task)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button onClick={() => goPage(1)} disabled={view.page <= 1} aria-label="First page">«</button>
        <button onClick={() => goPage(view.page - 1)} disabled={view.page <= 1} aria-label="Previous page">‹ Prev</button>
        <span data-range>
          {numberText(first)}–{numberText(last)} of {known ? numberText(state.total!) : "… (counting)"}
        </span>
        <button onClick={() => goPage(view.page + 1)} disabled={view.page >= pages} aria-label="Next page">Next ›</button>
        <button onClick={() => goPage(pages)} disabled={!known || view.page >= pages} aria-label="Last page">»</button>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const input = (e.currentTarget as HTMLFormElement).elements.namedItem("page") as HTMLInputElement;
            goPage(Number(input.value));
          }}
        >
          <label>
            page <input name="page" type="number" min={1} max={pages} value={view.page} aria-label="Page number" /> of {known ? numberText(pages) : "…"}
          </label>
        </form>
        {state.loading && <span class="muted" role="status">loading…</span>}
      </nav>
    </div>
  );
}
