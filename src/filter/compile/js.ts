/**
 * The shared representation compiled to a JavaScript predicate: the evaluator `CompiledFilter.test` runs.
 * Everything that depends only on the filter is done once here (regexes built, literal dates turned into
 * milliseconds, `$in` lists into sets, each test specialised to its operand's type), so matching a document
 * costs a few property reads and comparisons. A path that meets no array takes a straight walk; an array anywhere
 * on it hands over to MongoDB's full traversal (src/filter/runtime/path.ts).
 */
import type { Query, Value, ValueTest } from "../ir.js";
import { wantsWholeArray } from "../ir.js";
import { AGG_ERROR, aggTruthy, compileAgg } from "../runtime/agg.js";
import { compareValues, hasBsonType, typeRank, valuesEqual } from "../runtime/bson.js";
import { anyInArray, anyInLeafArray, isInheritedName, type Visit } from "../runtime/path.js";
import { isPlainObject } from "../values.js";

export type Predicate = (document: Record<string, unknown>) => boolean;

export function compilePredicate(query: Query): Predicate {
  switch (query.kind) {
    case "and":
    case "or": {
      const items = query.items.map(compilePredicate);
      const isAnd = query.kind === "and";
      if (items.length === 0) return () => isAnd;
      if (items.length === 1) return items[0] as Predicate;
      if (items.length === 2) {
        const [a, b] = items as [Predicate, Predicate];
        return isAnd ? (doc) => a(doc) && b(doc) : (doc) => a(doc) || b(doc);
      }
      return (doc) => {
        for (const item of items) if (item(doc) !== isAnd) return !isAnd;
        return isAnd;
      };
    }
    case "nor": {
      const items = query.items.map(compilePredicate);
      return (doc) => !items.some((item) => item(doc));
    }
    case "not": {
      const item = compilePredicate(query.item);
      return (doc) => !item(doc);
    }
    case "const": {
      const value = query.value;
      return () => value;
    }
    case "expr": {
      const evaluate = compileAgg(query.expr);
      return (doc) => {
        const value = evaluate(doc);
        return value !== AGG_ERROR && aggTruthy(value);
      };
    }
    case "field":
      return compileField(query.path, !wantsWholeArray(query.test), compileTest(query.test));
  }
}

/**
 * A field condition. The loop walks plain objects directly; it leaves through MongoDB's array traversal when it
 * meets an array, and reports "missing" for an absent field or a scalar in the middle of the path.
 */
function compileField(parts: readonly string[], expandLeaf: boolean, visit: Visit): Predicate {
  const checkOwn = parts.map(isInheritedName);
  const last = parts.length - 1;
  return (doc) => {
    let current: Record<string, unknown> = doc;
    for (let i = 0; ; i++) {
      const key = parts[i] as string;
      const value = current[key];
      if (value === undefined || (checkOwn[i] === true && !Object.prototype.hasOwnProperty.call(current, key))) return visit(undefined);
      if (i === last) return Array.isArray(value) ? anyInLeafArray(value, expandLeaf, visit) : visit(value);
      if (typeof value !== "object" || value === null || value instanceof Date) return visit(undefined);
      if (Array.isArray(value)) return anyInArray(value, parts, i + 1, expandLeaf, visit);
      current = value as Record<string, unknown>;
    }
  };
}

/** A test of one candidate value (undefined = missing), specialised to the operand's type. */
export function compileTest(test: ValueTest): Visit {
  switch (test.op) {
    case "eq":
      return equalityTest(test.value);
    case "cmp":
      return comparisonTest(test.cmp, test.value);
    case "in":
      return membershipTest(test.values);
    case "exists":
      return (value) => value !== undefined;
    case "regex": {
      const regex = new RegExp(test.source, test.flags);
      return (value) => typeof value === "string" && regex.test(value);
    }
    case "type": {
      const types = test.types;
      return (value) => value !== undefined && types.some((type) => hasBsonType(value, type));
    }
    case "mod": {
      const { divisor, remainder } = test;
      // MongoDB truncates the value to a 64-bit integer and never matches values that do not fit.
      return (value) => typeof value === "number" && Number.isFinite(value) && Math.abs(value) < 2 ** 63 && Math.trunc(value) % divisor === remainder;
    }
    case "size": {
      const size = test.size;
      return (value) => Array.isArray(value) && value.length === size;
    }
    case "elemMatchDoc": {
      const query = compilePredicate(test.query);
      return (value) =>
        Array.isArray(value) &&
        value.some((element) => (isPlainObject(element) ? query(element) : Array.isArray(element) ? query(arrayAsDocument(element)) : false));
    }
    case "elemMatchValue": {
      const tests = test.tests.map(compileTest);
      return (value) => Array.isArray(value) && value.some((element) => tests.every((item) => item(element)));
    }
    case "not": {
      const tests = test.tests.map(compileTest);
      return (value) => !tests.every((item) => item(value));
    }
  }
}

/** MongoDB reads an array element as a document whose fields are "0", "1", ... (for `$elemMatch` on nested arrays). */
export function arrayAsDocument(array: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  array.forEach((item, index) => {
    out[String(index)] = item;
  });
  return out;
}

function equalityTest(operand: Value): Visit {
  if (operand === null) return (value) => value === null || value === undefined;
  if (typeof operand === "number") {
    if (Number.isNaN(operand)) return (value) => typeof value === "number" && Number.isNaN(value);
    return (value) => value === operand;
  }
  if (typeof operand === "string" || typeof operand === "boolean") return (value) => value === operand;
  if (operand instanceof Date) {
    const ms = operand.getTime();
    return (value) => value instanceof Date && value.getTime() === ms;
  }
  return (value) => valuesEqual(value, operand);
}

function comparisonTest(cmp: "gt" | "gte" | "lt" | "lte", operand: Value): Visit {
  if (operand === null) {
    // Null and missing are the same canonical type: $gte/$lte null match them, $gt/$lt null match nothing.
    return cmp === "gte" || cmp === "lte" ? (value) => value === null || value === undefined : () => false;
  }
  if (typeof operand === "number" && !Number.isNaN(operand)) {
    switch (cmp) {
      case "gt":
        return (value) => typeof value === "number" && value > operand;
      case "gte":
        return (value) => typeof value === "number" && value >= operand;
      case "lt":
        return (value) => typeof value === "number" && value < operand;
      case "lte":
        return (value) => typeof value === "number" && value <= operand;
    }
  }
  if (typeof operand === "string") {
    switch (cmp) {
      case "gt":
        return (value) => typeof value === "string" && value > operand;
      case "gte":
        return (value) => typeof value === "string" && value >= operand;
      case "lt":
        return (value) => typeof value === "string" && value < operand;
      case "lte":
        return (value) => typeof value === "string" && value <= operand;
    }
  }
  if (operand instanceof Date) {
    const ms = operand.getTime();
    switch (cmp) {
      case "gt":
        return (value) => value instanceof Date && value.getTime() > ms;
      case "gte":
        return (value) => value instanceof Date && value.getTime() >= ms;
      case "lt":
        return (value) => value instanceof Date && value.getTime() < ms;
      case "lte":
        return (value) => value instanceof Date && value.getTime() <= ms;
    }
  }
  // Booleans, objects, arrays (and NaN): the generic order, within the operand's type only.
  const rank = typeRank(operand);
  const holds = { gt: (x: number) => x > 0, gte: (x: number) => x >= 0, lt: (x: number) => x < 0, lte: (x: number) => x <= 0 }[cmp];
  return (value) => {
    if (typeRank(value) !== rank) return false;
    if (typeof value === "number" && (Number.isNaN(value) || Number.isNaN(operand as number))) {
      return (cmp === "gte" || cmp === "lte") && Number.isNaN(value) && Number.isNaN(operand as number);
    }
    return holds(compareValues(value, operand));
  };
}

function membershipTest(values: Value[]): Visit {
  const hasNull = values.includes(null);
  const primitives = new Set<unknown>();
  const dates = new Set<number>();
  const others: Value[] = [];
  for (const value of values) {
    if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && !Number.isNaN(value))) primitives.add(value);
    else if (value instanceof Date) dates.add(value.getTime());
    else if (value !== null) others.push(value);
  }
  return (value) => {
    if (value === undefined || value === null) return hasNull;
    if (primitives.has(value)) return true;
    if (value instanceof Date) return dates.has(value.getTime());
    return others.length > 0 && others.some((other) => valuesEqual(value, other));
  };
}
