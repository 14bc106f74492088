/**
 * Checks on user-supplied names, keys and values, with labtasker v1's rules and wording. Schema-level problems
 * (wrong type, length) become {@link ValidationError}s with FastAPI's issue shape; semantic ones carry v1's detail.
 */
import { isJsonObject, isLosslessNumber, type JsonObject, type JsonValue } from "../json.js";
import { BadRequestError, ValidationError, type ValidationIssue } from "./errors.js";
import { pythonStrRepr } from "./python.js";

/** Queue, task and worker names (v1 `^[a-zA-Z0-9_-]+$`, 1..100 characters). */
export const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
/** Keys of args, metadata and summary after flattening, and required fields. */
export const DOTTED_KEY_PATTERN = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;
export const NAME_MAX_LENGTH = 100;
export const PASSWORD_MAX_LENGTH = 100;

/** Issues for a name that breaks v1's pattern or length, at `loc`. */
export function nameIssues(value: unknown, loc: Array<string | number>): ValidationIssue[] {
  if (typeof value !== "string") return [{ loc, msg: "Input should be a valid string", type: "string_type", input: value }];
  if (value.length < 1 || value.length > NAME_MAX_LENGTH) {
    return [{ loc, msg: `String should have at most ${NAME_MAX_LENGTH} characters`, type: "string_too_long", input: value }];
  }
  if (!NAME_PATTERN.test(value)) {
    return [{ loc, msg: `String should match pattern '${NAME_PATTERN.source}'`, type: "string_pattern_mismatch", input: value }];
  }
  return [];
}

export function passwordIssues(value: unknown, loc: Array<string | number>): ValidationIssue[] {
  if (typeof value !== "string") return [{ loc, msg: "Input should be a valid string", type: "string_type", input: value }];
  if (value.length < 1) return [{ loc, msg: "String should have at least 1 character", type: "string_too_short", input: value }];
  if (value.length > PASSWORD_MAX_LENGTH) {
    return [{ loc, msg: `String should have at most ${PASSWORD_MAX_LENGTH} characters`, type: "string_too_long", input: value }];
  }
  return [];
}

/**
 * A JSON number as a JavaScript number, read from its text: `Number()` of a LosslessNumber throws for values that do
 * not fit (`1e999`, `9007199254740993`), and a validator must refuse those, not fail on them.
 */
function plainNumber(value: unknown): unknown {
  return isLosslessNumber(value) ? Number((value as { value: string }).value) : value;
}

/** Issues for an integer field; v1's pydantic accepts integral floats like 3.0 too. */
export function integerIssues(value: unknown, loc: Array<string | number>): ValidationIssue[] {
  const number = plainNumber(value);
  if (typeof number !== "number" || !Number.isSafeInteger(number)) {
    return [{ loc, msg: "Input should be a valid integer", type: "int_type", input: value }];
  }
  return [];
}

export function numberIssues(value: unknown, loc: Array<string | number>): ValidationIssue[] {
  const number = plainNumber(value);
  if (typeof number !== "number" || !Number.isFinite(number)) {
    return [{ loc, msg: "Input should be a valid number", type: "float_type", input: value }];
  }
  return [];
}

/** Throws a {@link ValidationError} when any issue was found. */
export function assertNoIssues(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Dotted key paths of nested objects (v1 flatten_dict: lists and empty objects add no keys below them). */
export function flattenKeys(object: JsonObject, parent = ""): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    const path = parent ? `${parent}.${key}` : key;
    if (isJsonObject(value)) keys.push(...flattenKeys(value, path));
    else keys.push(path);
  }
  return keys;
}

/** Issues for keys of args, metadata or summary that break v1's dotted-key pattern (v1 validate_dict_keys). */
export function dictKeyIssues(value: unknown, loc: Array<string | number>): ValidationIssue[] {
  if (value === null || value === undefined) return [];
  if (!isJsonObject(value)) return [{ loc, msg: "Input should be a valid dictionary", type: "dict_type", input: value }];
  const key = firstInvalidKey(value, "");
  if (key === undefined) return [];
  return [
    {
      loc,
      msg: `Value error, Key '${key}' is not valid. Keys must be valid dot-separated strings. Got '${key}'`,
      type: "value_error",
      input: value,
    },
  ];
}

/**
 * The first of {@link flattenKeys}'s paths that breaks the dotted-key pattern, found without building their list: every
 * task of a bulk submit has its args checked.
 */
function firstInvalidKey(object: JsonObject, parent: string): string | undefined {
  // Own enumerable keys, in Object.entries's order, without the array of them.
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const value = object[key];
    const path = parent ? `${parent}.${key}` : key;
    if (isJsonObject(value)) {
      const invalid = firstInvalidKey(value, path);
      if (invalid !== undefined) return invalid;
    } else if (!DOTTED_KEY_PATTERN.test(path)) {
      return path;
    }
  }
  return undefined;
}

/**
 * v1 unflatten_dict: `{"a.b": 1}` becomes `{"a": {"b": 1}}`. A key that is both a value and a parent
 * (`{"a": 1, "a.b": 2}`) is refused with v1's message (as 400; v1 answers 500).
 */
export function unflatten(object: JsonObject): JsonObject {
  const result: JsonObject = {};
  // Own enumerable keys, in Object.entries's order, without the array of them.
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const value = object[key]!;
    let current = result;
    let last = key;
    // Most keys have no dot: no split for them (every task of a bulk submit has its args unflattened).
    if (key.includes(".")) {
      const parts = key.split(".");
      for (const part of parts.slice(0, -1)) {
        const next = current[part];
        if (next === undefined) current = current[part] = {};
        else if (isJsonObject(next)) current = next;
        else throw new BadRequestError(`Conflict detected at key: ${part}. Cannot merge nested and non-nested keys.`);
      }
      last = parts[parts.length - 1]!;
    }
    if (isJsonObject(current[last])) {
      throw new BadRequestError(`Conflict detected at key: ${last}. Cannot merge nested and non-nested keys.`);
    }
    current[last] = value;
  }
  return result;
}

/** v1 sanitize_dict: no key may start with `$` (a MongoDB operator) or `.`, at any depth. */
export function assertSafeKeys(object: JsonObject): void {
  for (const [key, value] of Object.entries(object)) {
    if (key.startsWith("$")) throw new BadRequestError(`MongoDB operators are not allowed in field names: ${key}`);
    if (key.startsWith(".")) throw new BadRequestError(`Field names starting with \`.\` are not allowed: ${key}`);
    if (isJsonObject(value)) assertSafeKeys(value);
  }
}

const INTERVAL_UNITS: Record<string, number> = {
  h: 3600, hour: 3600, hours: 3600,
  m: 60, min: 60, minute: 60, minutes: 60,
  s: 1, sec: 1, second: 1, seconds: 1,
};

/**
 * v1 parse_time_interval: seconds from "90", "1.5", "1.5h", "30m", "1h30m15s" or "1 hour, 30 minutes".
 * Throws a BadRequestError with v1's wording (v1 answers 500 "Operation failed: ..." for the same input).
 */
export function parseTimeInterval(text: string): number {
  if (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return Number(text);
  if (!text) throw new BadRequestError("Time interval must be a non-empty string");
  const compact = text.toLowerCase().trim().replace(/[:,\s]+/g, "");
  if (/^\d+$/.test(compact)) return Number(compact);
  const pairs = [...compact.matchAll(/(\d+\.?\d*)([a-z]+)/g)];
  if (pairs.length === 0 || pairs.map((m) => m[0]).join("") !== compact) {
    throw new BadRequestError(`Invalid time interval format: ${compact}`);
  }
  let seconds = 0;
  for (const [, amount, unit] of pairs) {
    const factor = INTERVAL_UNITS[unit!];
    if (factor === undefined) throw new BadRequestError(`Invalid unit: ${unit}`);
    seconds += Number(amount) * factor;
  }
  return seconds;
}

/** Python's repr of a list of str, as v1 quotes lists in messages. */
export function pythonStrListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStrRepr).join(", ")}]`;
}

/** A JSON value as stored text (JSON of a string, list or null), for the `cmd` field. */
export function isCommand(value: unknown): value is string | string[] | null {
  return value === null || typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
}

export type { JsonValue };
