/**
 * v2's JSON objects as its server shows them. labtasker 2.8.0 stores args, metadata, result and progress as canonical
 * JSON (keys sorted, at every depth), so every read gives them back with sorted keys whatever order they were sent
 * in; the documents here do the same, so that output compared between the two servers matches. Numbers keep the form
 * they were stored in (src/json.ts), so `3.0` stays `3.0`.
 */
import { isLosslessNumber, type JsonObject, type JsonValue } from "../../json.js";

export function sortedJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => sortedJson(item)) as T;
  if (value === null || typeof value !== "object" || isLosslessNumber(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort(compareCodePoints)) out[key] = sortedJson((value as JsonObject)[key]!);
  return out as T;
}

/**
 * Python's `sort_keys` order: by code point. JavaScript's `<` compares UTF-16 units, which is the same order but
 * where a surrogate meets another unit: at the first unit that differs, two units outside the surrogates compare as
 * their code points; otherwise the strings are compared code point by code point.
 */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const left = a.charCodeAt(i);
    const right = b.charCodeAt(i);
    if (left === right) continue;
    if (isSurrogate(left) || isSurrogate(right)) break;
    return left - right;
  }
  return compareByCodePoint(a, b);
}

function isSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdfff;
}

function compareByCodePoint(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}
