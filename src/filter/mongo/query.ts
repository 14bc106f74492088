/**
 * Parser for MongoDB query documents (what `extra_filter` carries on the wire) into the shared representation.
 * Supported: implicit equality, `$eq $ne $gt $gte $lt $lte $in $nin $exists $regex/$options $not $type $mod
 * $size $all $elemMatch`, `$and $or $nor $expr $comment`, `$alwaysTrue/$alwaysFalse`. Anything else is reported
 * with MongoDB's wording and the path where it is, rather than silently matching nothing.
 */
import type { BsonTypeName, Query, Value, ValueTest } from "../ir.js";
import { translateRegex } from "../regex.js";
import { isPlainObject } from "../values.js";
import { parseAggExpression, type Fail } from "./expr.js";

/** Operators MongoDB has that we do not evaluate (geo, bitwise, text, JSON schema, server-side JavaScript). */
const UNSUPPORTED = new Set([
  "$where", "$text", "$jsonSchema", "$sampleRate", "$geoWithin", "$geoIntersects", "$near", "$nearSphere",
  "$within", "$bitsAllSet", "$bitsAllClear", "$bitsAnySet", "$bitsAnyClear",
]);

const TYPE_ALIASES: Record<string, BsonTypeName> = {
  double: "double", string: "string", object: "object", array: "array", binData: "binData", undefined: "undefined",
  objectId: "objectId", bool: "bool", date: "date", null: "null", regex: "regex", javascript: "javascript",
  symbol: "symbol", int: "int", timestamp: "timestamp", long: "long", decimal: "decimal", minKey: "minKey",
  maxKey: "maxKey", number: "number", dbPointer: "undefined", javascriptWithScope: "javascript",
};
const TYPE_CODES: Record<number, BsonTypeName> = {
  1: "double", 2: "string", 3: "object", 4: "array", 5: "binData", 6: "undefined", 7: "objectId", 8: "bool",
  9: "date", 10: "null", 11: "regex", 12: "undefined", 13: "javascript", 14: "symbol", 15: "javascript", 16: "int",
  17: "timestamp", 18: "long", 19: "decimal", [-1]: "minKey", 127: "maxKey",
};

/** Parses a decoded query document (see src/filter/values.ts). `path` locates errors. */
export function parseQuery(document: Value, fail: Fail, path: Array<string | number> = []): Query {
  if (!isPlainObject(document)) return fail("a filter must be a document (an object of conditions)", path);
  const items: Query[] = [];
  for (const [key, value] of Object.entries(document)) {
    const here = [...path, key];
    if (key.startsWith("$")) {
      const item = parseTopLevelOperator(key, value, fail, here);
      if (item !== undefined) items.push(item);
    } else {
      items.push(...parseField(key, value, fail, here));
    }
  }
  return items.length === 1 ? (items[0] as Query) : { kind: "and", items };
}

function parseTopLevelOperator(key: string, value: Value, fail: Fail, here: Array<string | number>): Query | undefined {
  switch (key) {
    case "$and":
    case "$or":
    case "$nor": {
      if (!Array.isArray(value) || value.length === 0) return fail(`${key} must be a nonempty array`, here);
      const items = value.map((item, index) => {
        if (!isPlainObject(item)) fail("$or/$and/$nor entries need to be full objects", [...here, index]);
        return parseQuery(item, fail, [...here, index]);
      });
      return { kind: key.slice(1) as "and" | "or" | "nor", items };
    }
    case "$expr":
      return { kind: "expr", expr: parseAggExpression(value, fail, here) };
    case "$comment":
      return undefined;
    case "$alwaysTrue":
    case "$alwaysFalse":
      return { kind: "const", value: key === "$alwaysTrue" };
    case "$jsonata":
      return fail("$jsonata is only allowed at the top level of a filter", here);
    default:
      if (UNSUPPORTED.has(key)) return fail(`${key} is not supported by labtasker-redis filters`, here);
      return fail(`unknown top level operator: ${key}`, here);
  }
}

/** Whether a value is an operator document (`{$gt: 1}`): MongoDB decides by the first key. */
function isOperatorDocument(value: Value): value is { [key: string]: Value } {
  if (!isPlainObject(value)) return false;
  const [first] = Object.keys(value);
  return first !== undefined && first.startsWith("$");
}

function parseField(field: string, value: Value, fail: Fail, here: Array<string | number>): Query[] {
  const path = field.split(".");
  if (!isOperatorDocument(value)) return [{ kind: "field", path, test: { op: "eq", value } }];
  return parseOperators(value, fail, here).map((item) => fieldQuery(item, path));
}

/**
 * One operator of an operator document: a test (negated at document level for `$ne`, `$nin`, `$exists: false`),
 * or a `$not` over a group of operators.
 */
type Operand = { test: ValueTest; negate: boolean } | { not: Operand[] };

/** An operand as a document-level condition on `path`: `{$not: {A, B}}` is not(A-and-B), each over all candidates. */
function fieldQuery(operand: Operand, path: string[]): Query {
  if ("not" in operand) {
    const items = operand.not.map((item) => fieldQuery(item, path));
    return { kind: "not", item: items.length === 1 ? (items[0] as Query) : { kind: "and", items } };
  }
  const condition: Query = { kind: "field", path, test: operand.test };
  return operand.negate ? { kind: "not", item: condition } : condition;
}

/** An operand as a test of one array element (inside `$elemMatch`, where nothing is traversed). */
function elementTest(operand: Operand): ValueTest {
  if ("not" in operand) return { op: "not", tests: operand.not.map(elementTest) };
  return operand.negate ? { op: "not", tests: [operand.test] } : operand.test;
}

/** The operators of `{$gt: 1, $lt: 5}` as independent tests (each quantifies over the candidates on its own). */
function parseOperators(spec: { [key: string]: Value }, fail: Fail, path: Array<string | number>): Operand[] {
  const out: Operand[] = [];
  for (const [op, operand] of Object.entries(spec)) {
    const here = [...path, op];
    const positive = (test: ValueTest): void => void out.push({ test, negate: false });
    switch (op) {
      case "$eq":
        positive({ op: "eq", value: operand });
        break;
      case "$ne":
        out.push({ test: { op: "eq", value: operand }, negate: true });
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        positive({ op: "cmp", cmp: op.slice(1) as "gt" | "gte" | "lt" | "lte", value: operand });
        break;
      case "$in":
      case "$nin":
        out.push({ test: { op: "in", values: parseInList(op, operand, fail, here) }, negate: op === "$nin" });
        break;
      case "$exists":
        out.push({ test: { op: "exists" }, negate: !trueValue(operand) });
        break;
      case "$regex":
        positive(parseRegex(operand, spec.$options, fail, here));
        break;
      case "$options":
        if (!("$regex" in spec)) fail("$options needs a $regex", here);
        break;
      case "$not": {
        if (!isPlainObject(operand)) return fail("$not needs a regex or a document", here);
        if (Object.keys(operand).length === 0) return fail("$not cannot be empty", here);
        if (!isOperatorDocument(operand)) return fail("$not needs a document of operators, e.g. {$not: {$gt: 5}}", here);
        out.push({ not: parseOperators(operand, fail, here) });
        break;
      }
      case "$type":
        positive({ op: "type", types: parseTypes(operand, fail, here) });
        break;
      case "$mod":
        positive(parseMod(operand, fail, here));
        break;
      case "$size":
        positive({ op: "size", size: parseSize(operand, fail, here) });
        break;
      case "$all":
        out.push(...parseAll(operand, fail, here));
        break;
      case "$elemMatch":
        positive(parseElemMatch(operand, fail, here));
        break;
      default:
        if (UNSUPPORTED.has(op)) return fail(`${op} is not supported by labtasker-redis filters`, here);
        return fail(`unknown operator: ${op}`, here);
    }
  }
  return out;
}

function parseInList(op: string, operand: Value, fail: Fail, here: Array<string | number>): Value[] {
  if (!Array.isArray(operand)) return fail(`${op} needs an array`, here);
  operand.forEach((item, index) => {
    if (isOperatorDocument(item)) fail(`cannot nest $ under ${op}`, [...here, index]);
  });
  return operand;
}

/** MongoDB's `trueValue`: false, 0, null are false; every other value is true. */
function trueValue(value: Value): boolean {
  return !(value === false || value === 0 || value === null);
}

function parseRegex(pattern: Value, options: Value | undefined, fail: Fail, here: Array<string | number>): ValueTest {
  if (typeof pattern !== "string") return fail("$regex has to be a string", here);
  if (options !== undefined && typeof options !== "string") return fail("$options has to be a string", here);
  try {
    return { op: "regex", ...translateRegex(pattern, options ?? "") };
  } catch (error) {
    return fail((error as Error).message, here);
  }
}

function parseTypes(operand: Value, fail: Fail, here: Array<string | number>): BsonTypeName[] {
  const list = Array.isArray(operand) ? operand : [operand];
  if (list.length === 0) return fail("$type must match at least one type", here);
  return list.map((item) => {
    if (typeof item === "string") {
      const name = TYPE_ALIASES[item];
      return name ?? fail(`Unknown type name alias: ${item}`, here);
    }
    if (typeof item === "number") {
      const name = Number.isInteger(item) ? TYPE_CODES[item] : undefined;
      return name ?? fail(`Invalid numerical type code: ${item}`, here);
    }
    return fail("type must be represented as a number or a string", here);
  });
}

function parseMod(operand: Value, fail: Fail, here: Array<string | number>): ValueTest {
  if (!Array.isArray(operand)) return fail("malformed mod, needs to be an array", here);
  if (operand.length < 2) return fail("malformed mod, not enough elements", here);
  if (operand.length > 2) return fail("malformed mod, too many elements", here);
  const [divisor, remainder] = operand;
  if (typeof divisor !== "number" || !Number.isFinite(divisor)) return fail("malformed mod, divisor not a number", here);
  if (typeof remainder !== "number" || !Number.isFinite(remainder)) return fail("malformed mod, remainder not a number", here);
  if (Math.trunc(divisor) === 0) return fail("divisor cannot be 0", here);
  return { op: "mod", divisor: Math.trunc(divisor), remainder: Math.trunc(remainder) };
}

function parseSize(operand: Value, fail: Fail, here: Array<string | number>): number {
  if (typeof operand !== "number") return fail("$size needs a number", here);
  if (!Number.isInteger(operand)) return fail("$size must be a whole number", here);
  if (operand < 0) return fail("$size may not be negative", here);
  return operand;
}

/** `{$all: [a, b]}` is `a` and `b` as equalities (or `$elemMatch`es); an empty `$all` matches nothing. */
function parseAll(operand: Value, fail: Fail, here: Array<string | number>): Operand[] {
  if (!Array.isArray(operand)) return fail("$all needs an array", here);
  if (operand.length === 0) return [{ test: { op: "in", values: [] }, negate: false }];
  const elemMatches = operand.filter((item) => isPlainObject(item) && Object.keys(item)[0] === "$elemMatch");
  if (elemMatches.length > 0 && elemMatches.length !== operand.length) return fail("$all/$elemMatch has to be consistent", here);
  return operand.map((item, index) => {
    if (elemMatches.length > 0) {
      return { test: parseElemMatch((item as { $elemMatch: Value }).$elemMatch, fail, [...here, index, "$elemMatch"]), negate: false } as Operand;
    }
    if (isOperatorDocument(item)) fail("no $ expressions in $all", [...here, index]);
    return { test: { op: "eq", value: item }, negate: false } as Operand;
  });
}

/** Logical operators keep `$elemMatch` in document mode: `{$elemMatch: {$or: [...]}}` queries each element. */
const DOCUMENT_OPERATORS = new Set(["$and", "$or", "$nor", "$expr", "$alwaysTrue", "$alwaysFalse"]);

function parseElemMatch(operand: Value, fail: Fail, here: Array<string | number>): ValueTest {
  if (!isPlainObject(operand)) return fail("$elemMatch needs an Object", here);
  const [first] = Object.keys(operand);
  if (first !== undefined && first.startsWith("$") && !DOCUMENT_OPERATORS.has(first)) {
    return { op: "elemMatchValue", tests: parseOperators(operand, fail, here).map(elementTest) };
  }
  return { op: "elemMatchDoc", query: parseQuery(operand, fail, here) };
}
