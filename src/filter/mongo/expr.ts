/**
 * Parser for the aggregation expressions inside `$expr`: `"$a.b"` field paths, `$$ROOT`/`$$CURRENT`, literals,
 * array and object expressions, and the operators labtasker's transpiler emits (`$add $subtract $multiply
 * $divide $mod`, comparisons) plus the common ones a hand-written filter uses. Error texts follow MongoDB's.
 */
import type { Agg, AggOperator, Value } from "../ir.js";
import { isPlainObject } from "../values.js";

export type Fail = (message: string, path: Array<string | number>) => never;

/** Operators with the number of arguments each takes (`[min, max]`, max -1 for any). */
const OPERATORS: Record<string, [AggOperator, number, number]> = {
  $add: ["add", 0, -1],
  $subtract: ["subtract", 2, 2],
  $multiply: ["multiply", 0, -1],
  $divide: ["divide", 2, 2],
  $mod: ["mod", 2, 2],
  $abs: ["abs", 1, 1],
  $eq: ["eq", 2, 2],
  $ne: ["ne", 2, 2],
  $gt: ["gt", 2, 2],
  $gte: ["gte", 2, 2],
  $lt: ["lt", 2, 2],
  $lte: ["lte", 2, 2],
  $cmp: ["cmp", 2, 2],
  $and: ["and", 0, -1],
  $or: ["or", 0, -1],
  $not: ["not", 1, 1],
  $in: ["in", 2, 2],
  $ifNull: ["ifNull", 2, -1],
  $cond: ["cond", 3, 3],
  $size: ["size", 1, 1],
};

export function parseAggExpression(value: Value, fail: Fail, path: Array<string | number>): Agg {
  if (typeof value === "string") return parseString(value, fail, path);
  if (Array.isArray(value)) return { k: "array", items: value.map((item, index) => parseAggExpression(item, fail, [...path, index])) };
  if (value instanceof Date || !isPlainObject(value)) return { k: "lit", value };
  const keys = Object.keys(value);
  const [first] = keys;
  if (first === undefined) return { k: "lit", value: {} };
  if (!first.startsWith("$")) {
    const entries: Array<[string, Agg]> = [];
    for (const key of keys) {
      if (key.startsWith("$")) fail(`field path references must be prefixed with a '$' ('${key}')`, [...path, key]);
      if (key.includes(".")) fail(`FieldPath field names may not contain '.' ('${key}')`, [...path, key]);
      entries.push([key, parseAggExpression(value[key] as Value, fail, [...path, key])]);
    }
    return { k: "object", entries };
  }
  if (keys.length > 1) {
    fail(`an expression specification must contain exactly one field, the name of the expression. Found ${keys.length} fields`, path);
  }
  const operand = value[first] as Value;
  const here = [...path, first];
  if (first === "$literal") return { k: "lit", value: operand };
  const spec = OPERATORS[first];
  if (spec === undefined) return fail(`Unrecognized expression '${first}'`, here);
  const [op, min, max] = spec;
  let args: Agg[];
  if (op === "cond" && isPlainObject(operand)) {
    const { if: condition, then, else: otherwise } = operand as Record<string, Value | undefined>;
    if (condition === undefined || then === undefined || otherwise === undefined) {
      fail("$cond needs 'if', 'then' and 'else'", here);
    }
    args = [condition, then, otherwise].map((item, index) => parseAggExpression(item as Value, fail, [...here, ["if", "then", "else"][index] as string]));
  } else {
    const list = Array.isArray(operand) ? operand : [operand];
    args = list.map((item, index) => parseAggExpression(item, fail, Array.isArray(operand) ? [...here, index] : here));
  }
  if (args.length < min || (max >= 0 && args.length > max)) {
    const expected = min === max ? `exactly ${min}` : max < 0 ? `at least ${min}` : `${min} to ${max}`;
    fail(`Expression ${first} takes ${expected} argument${min === 1 && min === max ? "" : "s"}. ${args.length} were passed in.`, here);
  }
  return { k: "op", op, args };
}

function parseString(text: string, fail: Fail, path: Array<string | number>): Agg {
  if (!text.startsWith("$")) return { k: "lit", value: text };
  if (text.startsWith("$$")) {
    const [variable = "", ...rest] = text.slice(2).split(".");
    if (variable !== "ROOT" && variable !== "CURRENT") fail(`Use of undefined variable: ${variable}`, path);
    return { k: "path", parts: checkParts(rest, fail, path) };
  }
  if (text === "$") fail("'$' by itself is not a valid FieldPath", path);
  return { k: "path", parts: checkParts(text.slice(1).split("."), fail, path) };
}

function checkParts(parts: string[], fail: Fail, path: Array<string | number>): string[] {
  for (const part of parts) {
    if (part === "") fail("FieldPath field names may not be empty strings.", path);
    if (part.startsWith("$")) fail(`FieldPath field names may not start with '$' ('${part}')`, path);
  }
  return parts;
}
