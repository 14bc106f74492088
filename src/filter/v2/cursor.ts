/**
 * v2's opaque listing cursors, byte for byte as labtasker 2.8.0 writes them (`pagination.py`, `grouping.py`):
 * base64url (no padding) of compact JSON with sorted keys, holding a SHA-256 digest of the selection (the queue and
 * every selector, ordering included) and the position of the page's last item. A cursor replayed with any other
 * selection, ordering, or a hand-edited position is `invalid_cursor`.
 *
 * - Task listings: `{"v": 2, "selection": digest, "position": {"value": sort value, "id": task id}}`.
 * - Worker listings and grouped counts: `{"v": 1, "selection": digest, "position": [key, ...]}` (the worker id, or
 *   the group key's values).
 *
 * The digest is a fingerprint, not a signature: a cursor binds a position to a query, it authenticates nothing.
 */
import { createHash } from "node:crypto";
import { isLosslessNumber, parseJson } from "../../json.js";
import { isPlainObject } from "../values.js";
import { V2CursorError } from "./errors.js";
import { INT64_MAX, INT64_MIN } from "./fields.js";
import { V2_NULLABLE_ORDER_FIELDS, isNumericOrderField, type V2SortValue, type V2TaskOrderField, type V2TaskPosition } from "./order.js";
import { hasLoneSurrogate } from "./values.js";

/** Everything that selects and orders a task listing (the query of `GET /api/v2/queues/{q}/tasks` but the page size). */
export interface V2TaskListSelection {
  readonly queue: string;
  readonly includeArchived: boolean;
  readonly status: string | null;
  readonly name: string | null;
  readonly nameFuzzy: string | null;
  readonly filter: string | null;
  readonly orderBy: V2TaskOrderField;
  readonly descending: boolean;
}

/** A selection of a worker listing or grouped count, as the JSON object 2.8.0 digests (build it with the helpers below). */
export type V2PositionSelection = Readonly<Record<string, string | boolean | null | readonly string[]>>;

/** 2.8.0 refuses longer cursors before decoding them. */
const MAX_CURSOR_LENGTH = 16_384;
const BASE64URL = /^[A-Za-z0-9_\-+/]*$/;

/** The cursor after `position` in a task listing. */
export function encodeV2TaskCursor(selection: V2TaskListSelection, position: V2TaskPosition): string {
  return encodePayload({ v: 2, selection: taskSelectionDigest(selection), position: { value: position.value, id: position.id } });
}

/** The position a task listing's cursor resumes after; throws {@link V2CursorError} for any other selection. */
export function decodeV2TaskCursor(cursor: string, selection: V2TaskListSelection): V2TaskPosition {
  const payload = decodePayload(cursor);
  if (!hasExactly(payload, ["v", "selection", "position"]) || !isInteger(payload.v, 2n)) throw new V2CursorError();
  if (payload.selection !== taskSelectionDigest(selection)) throw new V2CursorError();
  const position = payload.position;
  if (!hasExactly(position, ["value", "id"])) throw new V2CursorError();
  const { id, value } = position;
  if (typeof id !== "string" || id === "" || hasLoneSurrogate(id)) throw new V2CursorError();
  return { id, value: sortValue(selection.orderBy, value) };
}

/** The cursor after the item whose keys are `values` (a worker id, or a group's key values in `group_by` order). */
export function encodeV2PositionCursor(selection: V2PositionSelection, values: readonly string[]): string {
  return encodePayload({ v: 1, selection: digest(selection), position: [...values] });
}

/** The keys a worker listing's or grouped count's cursor resumes after; `width` is how many (1, or the group fields). */
export function decodeV2PositionCursor(cursor: string, selection: V2PositionSelection, width: number): string[] {
  const payload = decodePayload(cursor);
  if (!hasExactly(payload, ["v", "selection", "position"]) || !isInteger(payload.v, 1n)) throw new V2CursorError();
  if (payload.selection !== digest(selection)) throw new V2CursorError();
  const position = payload.position;
  if (!Array.isArray(position) || position.length !== width) throw new V2CursorError();
  return position.map((item) => {
    if (typeof item !== "string" || item === "" || hasLoneSurrogate(item)) throw new V2CursorError();
    return item;
  });
}

/** The selection of `GET /api/v2/queues/{q}/workers`. */
export function v2WorkerListSelection(queue: string, filter: string | null): V2PositionSelection {
  return { operation: "workers.list", queue, filter };
}

/** The selection of `GET /api/v2/queues/{q}/workers/count?group_by=...`. */
export function v2WorkerCountSelection(queue: string, filter: string | null, groupBy: readonly string[]): V2PositionSelection {
  return { operation: "workers.count", queue, filter, group_by: groupBy };
}

/** The selection of `GET /api/v2/queues/{q}/tasks/count?group_by=...`. */
export function v2TaskCountSelection(options: {
  queue: string;
  includeArchived: boolean;
  status: string | null;
  name: string | null;
  nameFuzzy: string | null;
  filter: string | null;
  groupBy: readonly string[];
}): V2PositionSelection {
  return {
    operation: "tasks.count",
    queue: options.queue,
    include_archived: options.includeArchived,
    status: options.status,
    name: options.name,
    name_fuzzy: options.nameFuzzy,
    filter: options.filter,
    group_by: options.groupBy,
  };
}

/** 2.8.0's selection object of a task listing: `include_archived` and `name_fuzzy` only when set (older cursors stay valid). */
function taskSelectionDigest(selection: V2TaskListSelection): string {
  return digest({
    queue: selection.queue,
    ...(selection.includeArchived ? { include_archived: true } : {}),
    status: selection.status,
    name: selection.name,
    ...(selection.nameFuzzy !== null ? { name_fuzzy: selection.nameFuzzy } : {}),
    filter: selection.filter,
    order_by: selection.orderBy,
    descending: selection.descending,
  });
}

function digest(selection: object): string {
  return createHash("sha256").update(pythonJson(selection), "utf8").digest("hex");
}

function encodePayload(payload: object): string {
  return Buffer.from(pythonJson(payload), "utf8").toString("base64url");
}

function decodePayload(cursor: string): Record<string, unknown> {
  // Python's b64decode(validate=True) after mapping -_ to +/: the standard alphabet, either spelling, no stray bytes.
  if (cursor === "" || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor) || cursor.length % 4 === 1) throw new V2CursorError();
  let value: unknown;
  try {
    value = parseJson(Buffer.from(cursor.replace(/\+/g, "-").replace(/\//g, "_"), "base64url").toString("utf8"));
  } catch {
    throw new V2CursorError();
  }
  if (!isPlainObject(value)) throw new V2CursorError();
  return value;
}

function hasExactly(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(value, key));
}

/** A JSON integer (not a float such as `2.0`, not a boolean), as an exact bigint; undefined otherwise. */
function integerOf(value: unknown): bigint | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : undefined;
  if (isLosslessNumber(value)) {
    const text = (value as { value: string }).value;
    return /^-?[0-9]+$/.test(text) ? BigInt(text) : undefined;
  }
  return undefined;
}

function isInteger(value: unknown, expected: bigint): boolean {
  return integerOf(value) === expected;
}

/** A cursor's sort value, checked against the order field as 2.8.0 checks it. */
function sortValue(orderBy: V2TaskOrderField, value: unknown): V2SortValue {
  if (value === null) {
    if (!V2_NULLABLE_ORDER_FIELDS.has(orderBy)) throw new V2CursorError();
    return null;
  }
  if (isNumericOrderField(orderBy)) {
    const integer = integerOf(value);
    if (integer === undefined || integer < INT64_MIN || integer > INT64_MAX) throw new V2CursorError();
    return integer;
  }
  if (typeof value !== "string" || hasLoneSurrogate(value)) throw new V2CursorError();
  return value;
}

/**
 * Python's `json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)` for the values cursors
 * hold (strings, booleans, null, integers as numbers or bigints, arrays, objects). JavaScript escapes strings the
 * same way (`\n`, `\u001f`, raw non-ASCII); keys sort by code point, as Python sorts them.
 */
function pythonJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError("cursor numbers are integers");
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(",")}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((key) => `${JSON.stringify(key)}:${pythonJson(value[key])}`).join(",")}}`;
  }
  throw new TypeError("a cursor holds JSON values only");
}
