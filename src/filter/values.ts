/**
 * Filter documents as the matcher sees them. A document arrives from the wire (JSON with `{"_dt": ...}` markers
 * and LosslessNumbers), from a Python dict literal (LosslessNumbers for `3.0`) or from code (Dates). Before
 * parsing, markers become Dates (exactly where labtasker v1's server converts them: any marker whose string
 * `fromisoformat` accepts) and LosslessNumbers become numbers, since matching compares values, not their text.
 */
import { isJsonObject, isLosslessNumber, type LosslessNumber } from "../json.js";
import type { Value } from "./ir.js";
import { setOwn } from "./python/literal.js";
import { isDatetimeMarker, parseIsoDatetime } from "./wire.js";

/** Whether a value is a plain object (a document), as opposed to an array, a Date or a number wrapper. */
export const isPlainObject: (value: unknown) => value is Record<string, unknown> = isJsonObject;

/**
 * The matcher's view of a filter document (see the module comment). Values that JSON cannot hold (functions,
 * undefined, symbols, bigint) are reported through `fail` with the path where they are.
 */
export function decodeFilterValue(value: unknown, fail: (message: string, path: Array<string | number>) => never, path: Array<string | number> = []): Value {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return fail(`${value} is not a JSON number`, path);
    return value;
  }
  if (isLosslessNumber(value)) return Number((value as LosslessNumber).value);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return fail("Invalid Date", path);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, index) => decodeFilterValue(item, fail, [...path, index]));
  if (isDatetimeMarker(value)) {
    const date = parseIsoDatetime(value._dt);
    if (date !== undefined) return date;
  }
  if (isPlainObject(value)) {
    const out: { [key: string]: Value } = {};
    for (const [key, item] of Object.entries(value)) setOwn(out, key, decodeFilterValue(item, fail, [...path, key]));
    return out;
  }
  return fail(`a ${typeof value} cannot appear in a filter`, path);
}
