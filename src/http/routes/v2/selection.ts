/** The query parameters that select tasks (list, count) and workers, read in the order v2 declares them. */
import type { Request } from "express";
import { V2_TASK_ORDER_FIELDS, type V2Page, type V2TaskGroupField, type V2TaskOrderField, type V2TaskSelection, type V2WorkerGroupField } from "../../../core/v2/api.js";
import { V2_TASK_STATUSES } from "../../../core/v2/model.js";
import { queryError, QueryReader } from "./query.js";

const MAX_PAGE = 1000;

function readSelection(query: QueryReader): V2TaskSelection {
  return {
    includeArchived: query.bool("include_archived", false),
    status: query.literal("status", V2_TASK_STATUSES),
    name: query.text("name"),
    nameFuzzy: query.text("name_fuzzy"),
    filter: query.text("filter"),
  };
}

export interface TaskListQuery {
  selection: V2TaskSelection;
  orderBy: V2TaskOrderField;
  descending: boolean;
  limit: number;
  cursor: string | null;
}

/** GET …/tasks. v2 lists newest first by default (`descending=true`). */
export function readTaskListQuery(req: Request): TaskListQuery {
  const query = new QueryReader(req);
  const selection = readSelection(query);
  const orderBy = query.literal("order_by", V2_TASK_ORDER_FIELDS) ?? "created_at";
  const descending = query.bool("descending", true);
  const limit = query.int("limit", 1, MAX_PAGE) ?? 100;
  const cursor = query.text("cursor");
  query.done();
  return { selection, orderBy, descending, limit, cursor };
}

export interface CountQuery<F extends string> {
  groupBy: F[] | null;
  page: V2Page;
}

/**
 * `group_by` as v2 reads it: given once, distinct known fields separated by commas without spaces; `limit` and
 * `cursor` only with it. Checked after the parameters' types and the queue's name, as v2 does.
 */
export function readGrouping<F extends string>(query: QueryReader, allowed: readonly F[], limit: number | null, cursor: string | null): CountQuery<F> {
  const given = query.values("group_by");
  if (given.length > 1) throw queryError("group_by", "Specify group_by only once.");
  const value = given[0];
  if (value === undefined) {
    if (limit !== null || cursor !== null) throw queryError("group_by", "Pagination requires group_by.");
    return { groupBy: null, page: {} };
  }
  const fields = value.split(",");
  if (value === "" || /\s/.test(value) || new Set(fields).size !== fields.length || fields.some((field) => !(allowed as readonly string[]).includes(field))) {
    throw queryError("group_by", "Use distinct supported fields, comma-separated with no spaces.");
  }
  return { groupBy: fields as F[], page: { limit: limit ?? 100, cursor } };
}

export interface TaskCountQuery {
  selection: V2TaskSelection;
  limit: number | null;
  cursor: string | null;
  reader: QueryReader;
}

/** GET …/tasks/count: the parameters' types; the grouping is read once the queue's name is checked. */
export function readTaskCountQuery(req: Request): TaskCountQuery {
  const query = new QueryReader(req);
  const selection = readSelection(query);
  const limit = query.int("limit", 1, MAX_PAGE);
  const cursor = query.text("cursor");
  query.done();
  return { selection, limit, cursor, reader: query };
}

export const TASK_GROUP_FIELDS: readonly V2TaskGroupField[] = ["routes", "status"];
export const WORKER_GROUP_FIELDS: readonly V2WorkerGroupField[] = ["route", "status"];

export interface WorkerQuery {
  filter: string | null;
  limit: number | null;
  cursor: string | null;
  reader: QueryReader;
}

export function readWorkerQuery(req: Request): WorkerQuery {
  const query = new QueryReader(req);
  const filter = query.text("filter");
  const limit = query.int("limit", 1, MAX_PAGE);
  const cursor = query.text("cursor");
  query.done();
  return { filter, limit, cursor, reader: query };
}
