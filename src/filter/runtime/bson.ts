/**
 * MongoDB's order of values across types (the BSON "canonical type" order) for the JavaScript values a task
 * document holds: missing < null < numbers < strings < objects < arrays < booleans < dates < regexes. Within a
 * type: numbers numerically (NaN lowest), strings by UTF-16 code units (MongoDB compares UTF-8 bytes, which
 * differs only between astral characters and U+E000..U+FFFF), objects field by field (type, then name, then
 * value; shorter first), arrays element by element, false < true, dates by instant.
 */
import { isLosslessNumber } from "../../json.js";
import type { BsonTypeName } from "../ir.js";

/** Canonical type ranks as MongoDB numbers them (`canonicalizeBSONType`); undefined is a missing field. */
export function typeRank(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null) return 5;
  switch (typeof value) {
    case "number":
    case "bigint":
      return 10;
    case "string":
      return 15;
    case "boolean":
      return 40;
    case "object":
      if (Array.isArray(value)) return 25;
      if (value instanceof Date) return 45;
      if (value instanceof RegExp) return 50;
      if (isLosslessNumber(value)) return 10;
      return 20;
    default:
      return 20;
  }
}

function numberOf(value: unknown): number {
  return isLosslessNumber(value) ? Number((value as { value: string }).value) : Number(value);
}

/** Compares two values in MongoDB's order; negative, zero or positive. */
export function compareValues(a: unknown, b: unknown): number {
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA - rankB;
  switch (rankA) {
    case 10: {
      const x = numberOf(a);
      const y = numberOf(b);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
      if (Number.isNaN(y)) return 1;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 15:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 20:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case 25:
      return compareArrays(a as unknown[], b as unknown[]);
    case 40:
      return a === b ? 0 : a ? 1 : -1;
    case 45: {
      const x = (a as Date).getTime();
      const y = (b as Date).getTime();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 50:
      return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    default:
      return 0;
  }
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  for (let i = 0; i < keysA.length && i < keysB.length; i++) {
    const keyA = keysA[i] as string;
    const keyB = keysB[i] as string;
    const valueA = a[keyA];
    const valueB = b[keyB];
    const byType = typeRank(valueA) - typeRank(valueB);
    if (byType !== 0) return byType;
    if (keyA !== keyB) return keyA < keyB ? -1 : 1;
    const byValue = compareValues(valueA, valueB);
    if (byValue !== 0) return byValue;
  }
  return keysA.length - keysB.length;
}

function compareArrays(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const byValue = compareValues(a[i], b[i]);
    if (byValue !== 0) return byValue;
  }
  return a.length - b.length;
}

/** MongoDB equality of two values of any type (numbers of any width are equal by value; objects by order too). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  return typeRank(a) === typeRank(b) && compareValues(a, b) === 0;
}

const INT32 = 2 ** 31;
const INT64 = 2 ** 63;

/**
 * Whether `$type: name` holds for a value. Documents hold plain numbers, so the BSON width is inferred: integral
 * values are `int` (or `long` beyond 32 bits), others `double`. A Python float such as `3.0` is stored by v1 as a
 * double but reads back here as the number 3, an `int`.
 */
export function hasBsonType(value: unknown, name: BsonTypeName): boolean {
  switch (name) {
    case "number":
      return typeRank(value) === 10;
    case "double":
      return typeof value === "number" && !(Number.isInteger(value) && Math.abs(value) < INT64);
    case "int":
      return typeof value === "number" && Number.isInteger(value) && value >= -INT32 && value < INT32;
    case "long":
      return typeof value === "number" && Number.isInteger(value) && (value < -INT32 || value >= INT32) && Math.abs(value) < INT64;
    case "string":
      return typeof value === "string";
    case "object":
      return typeRank(value) === 20;
    case "array":
      return Array.isArray(value);
    case "bool":
      return typeof value === "boolean";
    case "date":
      return value instanceof Date;
    case "null":
      return value === null;
    case "regex":
      return value instanceof RegExp;
    default:
      return false;
  }
}
