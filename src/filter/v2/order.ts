/**
 * The order of v2 task listings (`order_by`, `descending`), as labtasker 2.8.0 sorts them: by one field, nulls
 * last in both directions, ties broken by id in the same direction; strings by code point (SQLite's binary order of
 * UTF-8), statuses alphabetically (not by lifecycle), numbers exactly, timestamps as instants. A keyset position
 * (the last item of a page) is the sort value and the id; the next page holds what sorts after it.
 */
import { V2CursorError } from "./errors.js";
import { timestampMicros } from "./timestamps.js";
import { compareCodePoints, exactNumber } from "./values.js";

/** The fields a v2 task listing can be ordered by. */
export const V2_TASK_ORDER_FIELDS = Object.freeze([
  "id", "name", "status", "priority", "attempt", "max_attempts", "last_route", "created_at", "updated_at", "started_at", "finished_at",
] as const);

export type V2TaskOrderField = (typeof V2_TASK_ORDER_FIELDS)[number];

/** v2's default listing order: newest first. */
export const V2_DEFAULT_TASK_ORDER: Readonly<{ orderBy: V2TaskOrderField; descending: boolean }> = Object.freeze({ orderBy: "created_at", descending: true });

const NUMBER_FIELDS: ReadonlySet<string> = new Set(["priority", "attempt", "max_attempts"]);
const TIMESTAMP_FIELDS: ReadonlySet<string> = new Set(["created_at", "updated_at", "started_at", "finished_at"]);
/** The fields that can be null, which sort last (and the only ones a cursor may carry null for). */
export const V2_NULLABLE_ORDER_FIELDS: ReadonlySet<string> = new Set(["name", "last_route", "started_at", "finished_at"]);

/** Whether a text names a sortable field. */
export function isV2TaskOrderField(value: string): value is V2TaskOrderField {
  return (V2_TASK_ORDER_FIELDS as readonly string[]).includes(value);
}

/** A sort value: text for text fields, an exact integer for numbers and for instants (microseconds), or null. */
export type V2SortValue = string | bigint | null;

/** Where a task sits in a listing's order: what a cursor records of a page's last item. */
export interface V2TaskPosition {
  readonly value: V2SortValue;
  readonly id: string;
}

/** Whether an order field holds numbers (priority, attempts, timestamps) rather than text. */
export function isNumericOrderField(orderBy: V2TaskOrderField): boolean {
  return NUMBER_FIELDS.has(orderBy) || TIMESTAMP_FIELDS.has(orderBy);
}

/** The sort value of a v2 Task document for a field (null when the task has none, or one of another type). */
export function v2TaskSortValue(task: Readonly<Record<string, unknown>>, orderBy: V2TaskOrderField): V2SortValue {
  const raw = task[orderBy];
  if (NUMBER_FIELDS.has(orderBy)) {
    const number = exactNumber(raw);
    if (number === undefined) return null;
    return typeof number === "bigint" ? number : Number.isInteger(number) ? BigInt(number) : null;
  }
  if (TIMESTAMP_FIELDS.has(orderBy)) {
    const micros = timestampMicros(raw);
    return micros === undefined ? null : BigInt(Math.round(micros));
  }
  return typeof raw === "string" ? raw : null;
}

/** The keyset position of a task in a listing ordered by `orderBy` (what `next_cursor` encodes for a page's last item). */
export function v2TaskPosition(task: Readonly<Record<string, unknown>>, orderBy: V2TaskOrderField): V2TaskPosition {
  const id = task.id;
  if (typeof id !== "string") throw new TypeError("a v2 task document must have a string id");
  return { value: orderBy === "id" ? id : v2TaskSortValue(task, orderBy), id };
}

/** Orders two positions: negative when `a` comes first in the listing. */
export function compareV2TaskPositions(a: V2TaskPosition, b: V2TaskPosition, orderBy: V2TaskOrderField, descending: boolean): number {
  const direction = descending ? -1 : 1;
  if (orderBy !== "id") {
    // Nulls last whatever the direction (2.8.0 orders by `value IS NULL` first).
    if (a.value === null || b.value === null) {
      if (a.value !== b.value) return a.value === null ? 1 : -1;
    } else {
      const byValue = compareSortValues(a.value, b.value);
      if (byValue !== 0) return byValue * direction;
    }
  }
  return compareCodePoints(a.id, b.id) * direction;
}

function compareSortValues(a: string | bigint, b: string | bigint): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b);
  // A position of the wrong kind for its field cannot come from our own cursors (their values are checked).
  throw new V2CursorError();
}

/**
 * A comparator of v2 Task documents in a listing's order (for `Array.prototype.sort`). Each document's position is
 * computed once per comparator, so sorting n tasks parses each timestamp once, not log n times.
 */
export function createV2TaskComparator(
  orderBy: V2TaskOrderField,
  descending: boolean,
): (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) => number {
  const positions = new WeakMap<object, V2TaskPosition>();
  const positionOf = (task: Readonly<Record<string, unknown>>): V2TaskPosition => {
    let position = positions.get(task);
    if (position === undefined) {
      position = v2TaskPosition(task, orderBy);
      positions.set(task, position);
    }
    return position;
  };
  return (a, b) => compareV2TaskPositions(positionOf(a), positionOf(b), orderBy, descending);
}

/** A predicate: does a task come after `position` in the listing's order (on a later page than the cursor's)? */
export function createV2TaskAfter(
  position: V2TaskPosition,
  orderBy: V2TaskOrderField,
  descending: boolean,
): (task: Readonly<Record<string, unknown>>) => boolean {
  return (task) => compareV2TaskPositions(v2TaskPosition(task, orderBy), position, orderBy, descending) > 0;
}
