/**
 * The view lives in the URL's query, so a view can be bookmarked and shared: the tab, the status, the filter's text,
 * the sort, the custom columns, the page, the plot's choices and the open task.
 */

export type Tab = "overview" | "tasks" | "workers" | "plots";
export const TABS: readonly Tab[] = ["overview", "tasks", "workers", "plots"];

export type SortSpec = Array<[string, 1 | -1]>;

/** Which tasks a view selects, as the API takes it: a status and the filter's compiled document. */
export interface Selection {
  status: string;
  extraFilter: Record<string, unknown> | null;
}

export interface View {
  tab: Tab;
  status: string;
  filter: string;
  /** Empty: the queue's own order (priority, then oldest change), read straight from its indexes. */
  sort: SortSpec;
  columns: string[];
  page: number;
  /** The task open in the detail panel. */
  task: string;
  /** Plots: the metric (y), the argument (x), the colour, and the parallel-coordinates axes. */
  y: string;
  x: string;
  color: string;
  axes: string[];
}

export const DEFAULT_VIEW: View = {
  tab: "overview",
  status: "",
  filter: "",
  sort: [],
  columns: [],
  page: 1,
  task: "",
  y: "",
  x: "",
  color: "",
  axes: [],
};

const list = (text: string | null) => (text ? text.split(",").map((item) => item.trim()).filter(Boolean) : []);

/** `-summary.acc,priority` <-> [["summary.acc", -1], ["priority", 1]]. */
export function parseSort(text: string | null): SortSpec {
  return list(text).map((item) => (item.startsWith("-") ? [item.slice(1), -1] : [item, 1]));
}

export function formatSort(sort: SortSpec): string {
  return sort.map(([field, direction]) => (direction === -1 ? `-${field}` : field)).join(",");
}

export function readView(search: string): View {
  const params = new URLSearchParams(search);
  const tab = params.get("tab") as Tab | null;
  const page = Number(params.get("page") ?? "1");
  return {
    tab: tab && TABS.includes(tab) ? tab : DEFAULT_VIEW.tab,
    status: params.get("status") ?? "",
    filter: params.get("filter") ?? "",
    sort: parseSort(params.get("sort")),
    columns: list(params.get("columns")),
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    task: params.get("task") ?? "",
    y: params.get("y") ?? "",
    x: params.get("x") ?? "",
    color: params.get("color") ?? "",
    axes: list(params.get("axes")),
  };
}

export function writeView(view: View): string {
  const params = new URLSearchParams();
  if (view.tab !== DEFAULT_VIEW.tab) params.set("tab", view.tab);
  if (view.status) params.set("status", view.status);
  if (view.filter) params.set("filter", view.filter);
  if (view.sort.length > 0) params.set("sort", formatSort(view.sort));
  if (view.columns.length > 0) params.set("columns", view.columns.join(","));
  if (view.page > 1) params.set("page", String(view.page));
  if (view.task) params.set("task", view.task);
  if (view.y) params.set("y", view.y);
  if (view.x) params.set("x", view.x);
  if (view.color) params.set("color", view.color);
  if (view.axes.length > 0) params.set("axes", view.axes.join(","));
  const text = params.toString();
  return text ? `?${text}` : location.pathname;
}
