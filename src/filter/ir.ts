/**
 * The one representation both filter syntaxes compile to, and both evaluators (the JavaScript predicate and the
 * JSONata expression) compile from. It is MongoDB's query model made explicit: a field condition holds for a
 * document when any candidate value the path reaches satisfies it (with array traversal and "missing" as a
 * candidate, see src/filter/runtime/path.ts); `$ne`, `$nin` and `$not` are negations of whole field conditions;
 * `$expr` holds an aggregation expression with MongoDB's aggregation semantics.
 *
 * Literal values are plain JavaScript: numbers (never LosslessNumber), strings, booleans, null, Date, arrays and
 * plain objects in their original key order.
 */

/** A literal value of a filter. */
export type Value = null | boolean | number | string | Date | Value[] | { [key: string]: Value };

/** A test of one candidate value; `undefined` stands for a missing field. */
export type ValueTest =
  | { op: "eq"; value: Value }
  | { op: "cmp"; cmp: "gt" | "gte" | "lt" | "lte"; value: Value }
  | { op: "in"; values: Value[] }
  | { op: "exists" }
  | { op: "regex"; source: string; flags: string }
  | { op: "type"; types: BsonTypeName[] }
  | { op: "mod"; divisor: number; remainder: number }
  /** The array itself has `size` elements (the leaf array is not expanded). */
  | { op: "size"; size: number }
  /** Some element of the array (not expanded) is a document matching `query`. */
  | { op: "elemMatchDoc"; query: Query }
  /** Some element of the array (not expanded) passes every test. */
  | { op: "elemMatchValue"; tests: ValueTest[] }
  /** Within `$elemMatch` value tests only: the element fails some of `tests` (`$not`, `$ne`, `$nin`). */
  | { op: "not"; tests: ValueTest[] };

export type Query =
  | { kind: "and"; items: Query[] }
  | { kind: "or"; items: Query[] }
  | { kind: "nor"; items: Query[] }
  | { kind: "not"; item: Query }
  | { kind: "field"; path: string[]; test: ValueTest }
  | { kind: "expr"; expr: Agg }
  | { kind: "const"; value: boolean };

export type AggOperator =
  | "add" | "subtract" | "multiply" | "divide" | "mod" | "abs"
  | "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "cmp"
  | "and" | "or" | "not"
  | "in" | "ifNull" | "cond" | "size";

/** An aggregation expression (the body of `$expr`). */
export type Agg =
  | { k: "lit"; value: Value }
  /** `"$a.b"`: aggregation path semantics (arrays map, numeric parts are field names); `[]` is the document. */
  | { k: "path"; parts: string[] }
  | { k: "array"; items: Agg[] }
  | { k: "object"; entries: Array<[string, Agg]> }
  | { k: "op"; op: AggOperator; args: Agg[] };

/** The BSON type names `$type` accepts that a task document can hold, plus `number`. */
export type BsonTypeName =
  | "double" | "string" | "object" | "array" | "binData" | "undefined" | "objectId" | "bool" | "date" | "null"
  | "regex" | "javascript" | "symbol" | "int" | "timestamp" | "long" | "decimal" | "minKey" | "maxKey" | "number";

/** True when the test looks at the leaf array as a whole (`$size`, `$elemMatch`) instead of at each element. */
export function wantsWholeArray(test: ValueTest): boolean {
  return test.op === "size" || test.op === "elemMatchDoc" || test.op === "elemMatchValue";
}

/**
 * The top-level fields of a document that a query reads (`args` for `args.lr > 0.01`), or null when it may read the
 * whole document (`$expr` over `$$ROOT`). An evaluator may then build only those fields of each document.
 */
export function queryRoots(query: Query): Set<string> | null {
  const roots = new Set<string>();
  const visitQuery = (item: Query): boolean => {
    switch (item.kind) {
      case "and":
      case "or":
      case "nor":
        return item.items.every(visitQuery);
      case "not":
        return visitQuery(item.item);
      case "const":
        return true;
      case "expr":
        return visitAgg(item.expr);
      case "field":
        // `$elemMatch` queries read inside the field's own values: its root covers them.
        roots.add(item.path[0] as string);
        return true;
    }
  };
  const visitAgg = (agg: Agg): boolean => {
    switch (agg.k) {
      case "lit":
        return true;
      case "path":
        if (agg.parts.length === 0) return false;
        roots.add(agg.parts[0] as string);
        return true;
      case "array":
        return agg.items.every(visitAgg);
      case "object":
        return agg.entries.every(([, value]) => visitAgg(value));
      case "op":
        return agg.args.every(visitAgg);
    }
  };
  return visitQuery(query) ? roots : null;
}
