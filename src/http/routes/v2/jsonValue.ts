/**
 * What v2 accepts inside a JSON object field (args, metadata, result, progress, telemetry): strict JSON with integers
 * within int64, finite numbers, strings without lone surrogates, and at most 64 levels of nesting (the field's own
 * object is level 0, as 2.8.0 counts). Numbers arrive as src/json.ts parses them: plain, or kept as their text.
 */
import { V2Error } from "../../../core/v2/errors.js";
import { isLosslessNumber, type JsonValue } from "../../../json.js";

export const MAX_JSON_DEPTH = 64;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A lone surrogate (a paired one forms one code point under the `u` flag and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** The number's JSON text: plain numbers print back as they were written (src/json.ts keeps the others as text). */
function numberText(value: number | { value: string }): string {
  return typeof value === "number" ? String(value) : value.value;
}

/** Whether a JSON number is an integer in Python's reading: written without a fraction or an exponent. */
export function isJsonInteger(value: unknown): boolean {
  if (typeof value !== "number" && !isLosslessNumber(value)) return false;
  return !/[.eE]/.test(numberText(value as number | { value: string }));
}

/** The exact value of a JSON integer (see {@link isJsonInteger}). */
export function jsonIntegerValue(value: unknown): bigint {
  return BigInt(numberText(value as number | { value: string }));
}

export function inInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** A problem with a field's value: `json_too_deep` as its own code; the others are listed with their location. */
export class JsonValueProblem extends Error {
  constructor(readonly kind: "json_too_deep" | "invalid_request", message: string) {
    super(message);
  }
}

/** Walks a JSON value and throws a {@link JsonValueProblem} for the first thing v2 refuses. */
export function checkJsonValue(root: JsonValue): void {
  const walk = (value: JsonValue, depth: number): void => {
    if (typeof value === "string") {
      if (hasLoneSurrogate(value)) throw new JsonValueProblem("invalid_request", "String contains a lone Unicode surrogate.");
      return;
    }
    if (value === null || typeof value === "boolean") return;
    if (typeof value === "number" || isLosslessNumber(value)) {
      if (isJsonInteger(value)) {
        if (!inInt64(jsonIntegerValue(value))) throw new JsonValueProblem("invalid_request", "Integer is outside the signed 64-bit range.");
      } else if (!Number.isFinite(Number(numberText(value as number | { value: string })))) {
        throw new JsonValueProblem("invalid_request", "Number must be finite.");
      }
      return;
    }
    if (depth >= MAX_JSON_DEPTH) throw new JsonValueProblem("json_too_deep", "JSON value is too deeply nested.");
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (hasLoneSurrogate(key)) throw new JsonValueProblem("invalid_request", "String contains a lone Unicode surrogate.");
      walk(item, depth + 1);
    }
  };
  walk(root, 0);
}

/** v2's `json_too_deep` error. */
export function jsonTooDeep(): V2Error {
  return new V2Error("json_too_deep", "JSON value is too deeply nested.", { max_depth: MAX_JSON_DEPTH });
}
