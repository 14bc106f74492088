/**
 * Datetimes in filters on the wire. JSON has no datetime, so labtasker v1's client writes each one as a
 * `{"_dt": "<isoformat>"}` marker anywhere inside `extra_filter`, and its server turns markers back into datetimes
 * with `datetime.fromisoformat` (a time without an offset is taken as UTC, as MongoDB stores naive datetimes).
 */
import { isLosslessNumber, stringifyJson } from "../json.js";
import { setOwn } from "./python/literal.js";

/** A `{"_dt": "..."}` marker: exactly one key, `_dt`, holding a string. */
export function isDatetimeMarker(value: unknown): value is { _dt: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "_dt" && typeof (value as { _dt: unknown })._dt === "string";
}

/** The marker Python's `DatetimeSerializationMixin` writes for an aware UTC datetime. */
export function datetimeMarker(date: Date): { _dt: string } {
  return { _dt: pythonIsoformat(date) };
}

/**
 * Python's `datetime.isoformat()` of an aware UTC datetime: `2025-07-25T15:41:00+00:00`, with `.ffffff`
 * microseconds only when they are not zero (JavaScript dates carry milliseconds, so the last three digits are 0).
 */
export function pythonIsoformat(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (or ±YYYYYY for years beyond 9999)
  const [main = iso, millis = "000"] = iso.slice(0, -1).split(".");
  const fraction = millis === "000" ? "" : `.${millis}000`;
  return `${main}${fraction}+00:00`;
}

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d+)?)?)?)?$/;

/**
 * Parses the ISO 8601 forms `datetime.fromisoformat` accepts (Python 3.11+): a date, optionally a `T` or space and
 * a time with optional fraction, optionally `Z` or an offset. A time without an offset is UTC (see the module
 * comment). Returns undefined for anything else.
 */
export function parseIsoDatetime(text: string): Date | undefined {
  const match = ISO_DATETIME.exec(text.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "", zone] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const millis = Number(`${fraction}000`.slice(0, 3)); // truncated to milliseconds, the precision of a Date
  let ms = Date.UTC(y, mo - 1, d, h, mi, s, millis);
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) return undefined; // e.g. February 30
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const [oh = "0", om = "0", os = "0"] = zone.slice(1).replace(/:/g, "").match(/^(\d{2})(\d{2})?(\d{2})?/)?.slice(1) ?? [];
    ms -= sign * ((Number(oh) * 60 + Number(om || 0)) * 60 + Number(os || 0)) * 1000;
  }
  return new Date(ms);
}

/**
 * A filter value as it goes on the wire: Dates become `{"_dt": ...}` markers, everything else is copied
 * (LosslessNumbers stay, so `3.0` is still written as a float). Keys keep their order.
 */
export function toWireValue(value: unknown): unknown {
  if (value instanceof Date) return datetimeMarker(value);
  if (Array.isArray(value)) return value.map(toWireValue);
  if (value !== null && typeof value === "object" && !isLosslessNumber(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) setOwn(out, key, toWireValue(item));
    return out;
  }
  return value;
}

/** The canonical JSON text of a filter document, used as its cache key (key order is kept: Mongo depends on it). */
export function canonicalJson(value: unknown): string {
  return stringifyJson(toWireValue(value));
}
