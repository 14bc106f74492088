/**
 * How v2 compares values: with JSON's types kept apart (2.8.0 checks SQLite's `json_type` before every
 * comparison, so `1` never equals `true` or `"1"`, and an object or array equals no scalar), numbers by their exact
 * value whatever their form (`1 == 1.0`, and int64 beyond 2^53 exact), strings by code point (SQLite compares UTF-8
 * bytes, which orders as code points; JavaScript's `<` orders UTF-16 units, which differs past U+FFFF).
 */
import { isLosslessNumber } from "../../json.js";
import { isPlainObject } from "../values.js";

/** A number as compared: an exact integer, or a double. */
export type ExactNumber = bigint | number;

/** A scalar of a filter: Python's int becomes a bigint, its float a number. */
export type V2Scalar = null | boolean | bigint | number | string;

/** The JSON type of a document value, as SQLite's `json_type` names them (integer and real as one). */
export type JsonTypeName = "null" | "boolean" | "number" | "string" | "array" | "object";

/** The JSON type of a value; `undefined` when it is none (a missing field, a Date, a function). */
export function jsonTypeOf(value: unknown): JsonTypeName | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "string":
      return "string";
    case "number":
      return Number.isFinite(value) ? "number" : undefined;
    case "bigint":
      return "number";
    case "object":
      if (Array.isArray(value)) return "array";
      if (isLosslessNumber(value)) return "number";
      return isPlainObject(value) ? "object" : undefined;
    default:
      return undefined;
  }
}

const INTEGER_TEXT = /^-?[0-9]+$/;

/** A document number as compared: integers written without a fraction or exponent stay exact. */
export function exactNumber(value: unknown): ExactNumber | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "bigint") return value;
  if (isLosslessNumber(value)) {
    const text = (value as { value: string }).value;
    if (INTEGER_TEXT.test(text)) return BigInt(text);
    const number = Number(text);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/** Compares two numbers by their exact values (a double is the exact binary fraction it holds). */
export function compareNumbers(a: ExactNumber, b: ExactNumber): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  return typeof a === "bigint" ? -compareDoubleWithBigint(b as number, a) : compareDoubleWithBigint(a as number, b as bigint);
}

function compareDoubleWithBigint(double: number, integer: bigint): number {
  // Every double beyond 2^53 is an integer, so flooring loses nothing there; below, the fraction breaks the tie.
  const floor = Math.floor(double);
  const whole = BigInt(floor);
  if (whole !== integer) return whole < integer ? -1 : 1;
  return double > floor ? 1 : 0;
}

/** Compares strings by code point, as SQLite orders UTF-8 text. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (an astral code point) sorts after every BMP unit; elsewhere UTF-16 order is code point order.
    const xAstral = x >= 0xd800 && x <= 0xdfff;
    const yAstral = y >= 0xd800 && y <= 0xdfff;
    if (xAstral !== yAstral) return xAstral ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Whether a string holds a lone surrogate (text that is no Unicode scalar sequence, which v2 refuses). */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Surrogate}/u.test(text);
}

/** JSON equality with types kept apart (2.8.0's `_json_equal`): `null` only equals JSON null, not a missing field. */
export function jsonEquals(value: unknown, scalar: V2Scalar): boolean {
  if (scalar === null) return value === null;
  if (typeof scalar === "boolean") return value === scalar;
  if (typeof scalar === "string") return value === scalar;
  const number = exactNumber(value);
  return number !== undefined && compareNumbers(number, scalar) === 0;
}

/**
 * Python's whitespace (`str.isspace`, what `str.split()` and `str.strip()` cut at), which is not JavaScript's `\s`:
 * U+001C..U+001F and U+0085 are in, U+FEFF is out.
 */
const PYTHON_WHITESPACE: ReadonlySet<number> = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python's `text.split()`: the words between runs of its whitespace. */
export function splitPythonWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  for (const character of text) {
    if (PYTHON_WHITESPACE.has(character.codePointAt(0) as number)) {
      if (word !== "") words.push(word);
      word = "";
    } else {
      word += character;
    }
  }
  if (word !== "") words.push(word);
  return words;
}
