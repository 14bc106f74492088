/**
 * Compiles a parsed v2 filter to a predicate over v2 documents (a Task resource, or a worker observation, as the
 * v2 API writes them: timestamps as RFC 3339 strings, JSON values as parsed, numbers plain or lossless), checking
 * each literal against the declared type of its field first, in text order, with 2.8.0's messages.
 *
 * The semantics are 2.8.0's SQL over SQLite JSON, not MongoDB's (which v1's evaluator in ../compile/js.ts
 * implements, and which is why this is a separate evaluator; the Python parser, the error positions and the
 * and/or shape are shared):
 * - fixed fields are columns: `==`/`<`... never match null; `!=` on a nullable field also matches null; `in [..]`
 *   matches null only when the list holds None;
 * - a dynamic path (`args.lr`) reaches through objects only (never into arrays), and a missing value makes every
 *   comparison false, `!=` and `not in` included; JSON types never mix (`1` is not `true`, `"1"` or `[1]`);
 *   ordering needs a number on both sides; `not in [..]` needs a scalar there; `value in path` needs an array;
 * - `last_error.<field>` is dynamic but typed: literals are checked as for a fixed field;
 * - timestamps compare as instants (microseconds), whatever offset each side is written with.
 */
import { LRUCache } from "lru-cache";
import { ownField } from "../runtime/path.js";
import { isPlainObject } from "../values.js";
import { V2FilterError } from "./errors.js";
import { V2_LAST_ERROR_FIELDS, V2_TASK_FIXED_FIELDS, V2_TASK_STATUSES, V2_WORKER_FIXED_FIELDS, V2_WORKER_STATUSES, type V2FieldSpec } from "./fields.js";
import { parseV2Filter, type V2CompareOperator, type V2FilterNode, type V2FilterTarget, type V2Path } from "./parse.js";
import { parseTimestampLiteral, timestampMicros } from "./timestamps.js";
import { compareCodePoints, compareNumbers, exactNumber, jsonEquals, type ExactNumber, type V2Scalar } from "./values.js";

/** A predicate over a v2 document (a Task or a worker observation, by the filter's target). */
export type V2Predicate = (document: Readonly<Record<string, unknown>>) => boolean;

/** A compiled v2 filter. Shared through a cache: treat it as read-only. */
export interface CompiledV2Filter {
  /** The filter text, as given. */
  readonly text: string;
  readonly target: V2FilterTarget;
  /** The parsed filter (for a store that wants to serve some predicates from its own indexes). */
  readonly ast: V2FilterNode;
  /** Whether a document matches. */
  readonly test: V2Predicate;
}

/** The cache of compiled filters (a web UI sends the same few texts again and again). */
const cache = new LRUCache<string, CompiledV2Filter>({ max: 1000 });

/**
 * Parses, type-checks and compiles a v2 filter. Throws {@link V2FilterError}: `filter_too_large` beyond 8192 UTF-8
 * bytes, `invalid_filter` for everything else that 2.8.0 refuses.
 */
export function compileV2Filter(text: string, target: V2FilterTarget = "task"): CompiledV2Filter {
  const key = `${target}\0${text}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const ast = parseV2Filter(text, target);
  const test = new Compiler(text, target).compile(ast);
  const compiled: CompiledV2Filter = Object.freeze({ text, target, ast, test });
  cache.set(key, compiled);
  return compiled;
}

/** {@link compileV2Filter} for v2 Task documents. */
export function compileV2TaskFilter(text: string): CompiledV2Filter {
  return compileV2Filter(text, "task");
}

/** {@link compileV2Filter} for v2 worker observations. */
export function compileV2WorkerFilter(text: string): CompiledV2Filter {
  return compileV2Filter(text, "worker");
}

/** A literal after its field's type check: the value compared (timestamps as microseconds), or null. */
type Key = string | ExactNumber | boolean;

const ALWAYS: V2Predicate = () => true;
const NEVER: V2Predicate = () => false;

class Compiler {
  constructor(
    private readonly text: string,
    private readonly target: V2FilterTarget,
  ) {}

  compile(node: V2FilterNode): V2Predicate {
    switch (node.kind) {
      case "and":
      case "or":
        return combine(node.kind, node.children.map((child) => this.compile(child)));
      case "presence":
        return this.presence(node.path, node.exists);
      case "comparison":
        return this.comparison(node.path, node.operator, node.value, node.offset);
      case "membership":
        return node.mode === "candidates"
          ? this.candidates(node.path, node.operator === "not in", node.values, node.offset)
          : this.contains(node.path, node.operator === "not in", node.values[0] ?? null, node.offset);
    }
  }

  private fail(message: string, offset: number): never {
    // 2.8.0 gives these no column (they come after parsing); the position stays on the error for display.
    throw new V2FilterError("invalid_filter", message, { text: this.text, offset });
  }

  /** The declared spec of a path: a fixed field's, `last_error.<field>`'s, or none (free JSON); `routes` apart. */
  private spec(path: V2Path): { kind: "fixed" | "dynamic" | "routes"; spec: V2FieldSpec | undefined } {
    if (this.target === "task" && path.root === "routes") return { kind: "routes", spec: undefined };
    const fixed = this.target === "worker" ? V2_WORKER_FIXED_FIELDS : V2_TASK_FIXED_FIELDS;
    if (path.segments.length === 0) return { kind: "fixed", spec: fixed[path.root] };
    if (path.root === "last_error") return { kind: "dynamic", spec: V2_LAST_ERROR_FIELDS[path.segments[0] as string] };
    return { kind: "dynamic", spec: undefined };
  }

  private presence(path: V2Path, exists: boolean): V2Predicate {
    const { kind } = this.spec(path);
    if (kind !== "dynamic") return exists ? ALWAYS : NEVER;
    const read = dynamicReader(path);
    return exists ? (doc) => read(doc) !== undefined : (doc) => read(doc) === undefined;
  }

  /** A literal checked against a declared field (2.8.0's `_normalize_declared_literal`). */
  private declared(spec: V2FieldSpec, value: V2Scalar, offset: number): Key | null {
    if (value === null) {
      if (spec.nullable) return null;
      this.fail("A non-nullable field cannot be compared with None.", offset);
    }
    switch (spec.type) {
      case "boolean":
        if (typeof value !== "boolean") this.fail("This field requires a Boolean literal.", offset);
        return value;
      case "number":
        if (typeof value !== "number" && typeof value !== "bigint") this.fail("This field requires a numeric literal.", offset);
        return value;
      case "timestamp":
        if (typeof value !== "string") this.fail("Timestamp fields require an RFC 3339 string literal.", offset);
        try {
          return parseTimestampLiteral(value);
        } catch (error) {
          return this.fail((error as Error).message, offset);
        }
      default:
        if (typeof value !== "string") this.fail("This field requires a string literal.", offset);
        if (spec.type === "status" && !V2_TASK_STATUSES.includes(value)) this.fail("Status literal is not a valid Task status.", offset);
        if (spec.type === "worker_status" && !V2_WORKER_STATUSES.includes(value)) this.fail("Status literal is not a valid Worker status.", offset);
        return value;
    }
  }

  private comparison(path: V2Path, operator: V2CompareOperator, value: V2Scalar, offset: number): V2Predicate {
    const { kind, spec } = this.spec(path);
    if (kind === "routes") this.fail("Routes support membership tests only.", offset);
    if (spec === undefined) return this.freeComparison(path, operator, value, offset);
    const literal = this.declared(spec, value, offset);
    if (spec.type === "boolean" && operator !== "==" && operator !== "!=") this.fail("Boolean fields support only equality and membership tests.", offset);
    const keyOf = keyReader(spec);
    if (kind === "dynamic") {
      const read = dynamicReader(path);
      if (operator === "==" || operator === "!=") {
        const equal: (raw: unknown) => boolean = literal === null ? (raw) => raw === null : (raw) => keyEquals(keyOf(raw), literal);
        return operator === "==" ? (doc) => equal(read(doc)) : (doc) => {
          const raw = read(doc);
          return raw !== undefined && !equal(raw);
        };
      }
      if (literal === null) this.fail("None supports only equality and inequality comparisons.", offset);
      const holds = ORDER[operator];
      return (doc) => {
        const key = keyOf(read(doc));
        return key !== undefined && holds(compareKeys(key, literal));
      };
    }
    const field = path.root;
    if (literal === null) {
      if (operator === "==") return (doc) => fixedKey(doc, field, keyOf) === null;
      if (operator === "!=") return (doc) => fixedKey(doc, field, keyOf) !== null;
      this.fail("None supports only equality and inequality comparisons.", offset);
    }
    if (operator === "!=" && spec.nullable) {
      return (doc) => {
        const key = fixedKey(doc, field, keyOf);
        return key === null || !keyEquals(key, literal);
      };
    }
    if (operator === "==" || operator === "!=") {
      const wanted = operator === "==";
      return (doc) => {
        const key = fixedKey(doc, field, keyOf);
        return key !== null && keyEquals(key, literal) === wanted;
      };
    }
    const holds = ORDER[operator];
    return (doc) => {
      const key = fixedKey(doc, field, keyOf);
      return key !== null && holds(compareKeys(key, literal));
    };
  }

  /** A comparison on free JSON (`args.*`, `metadata.*`, ...): JSON equality, or numeric order. */
  private freeComparison(path: V2Path, operator: V2CompareOperator, value: V2Scalar, offset: number): V2Predicate {
    const read = dynamicReader(path);
    if (operator === "==") return (doc) => jsonEquals(read(doc), value);
    if (operator === "!=") {
      return (doc) => {
        const raw = read(doc);
        return raw !== undefined && !jsonEquals(raw, value);
      };
    }
    if (typeof value !== "number" && typeof value !== "bigint") this.fail("Ordering a dynamic JSON path requires a numeric literal.", offset);
    const holds = ORDER[operator];
    return (doc) => {
      const number = exactNumber(read(doc));
      return number !== undefined && holds(compareNumbers(number, value));
    };
  }

  private candidates(path: V2Path, negate: boolean, values: readonly V2Scalar[], offset: number): V2Predicate {
    const { kind, spec } = this.spec(path);
    if (kind === "routes") this.fail("Use a scalar literal on the left to test route membership.", offset);
    if (spec === undefined) {
      const read = dynamicReader(path);
      return (doc) => {
        const raw = read(doc);
        if (!isJsonScalar(raw)) return false;
        return values.some((value) => jsonEquals(raw, value)) !== negate;
      };
    }
    const literals = values.map((value) => this.declared(spec, value, offset));
    const keyOf = keyReader(spec);
    const withNull = literals.includes(null);
    const keys = literals.filter((literal): literal is Key => literal !== null);
    const matches = (key: Key | null): boolean => (key === null ? withNull : keys.some((literal) => keyEquals(key, literal)));
    if (kind === "fixed") {
      const field = path.root;
      return (doc) => matches(fixedKey(doc, field, keyOf)) !== negate;
    }
    const read = dynamicReader(path);
    return (doc) => {
      const raw = read(doc);
      if (raw === undefined) return false;
      const found = raw === null ? withNull : keys.some((literal) => keyEquals(keyOf(raw), literal));
      return found !== negate;
    };
  }

  private contains(path: V2Path, negate: boolean, value: V2Scalar, offset: number): V2Predicate {
    const { kind } = this.spec(path);
    if (kind === "fixed") this.fail("The right side of array containment must be an array-valued path.", offset);
    if (kind === "routes") {
      if (typeof value !== "string") this.fail("Route membership requires a string literal.", offset);
      return (doc) => {
        const routes = doc.routes;
        return (Array.isArray(routes) && routes.includes(value)) !== negate;
      };
    }
    const read = dynamicReader(path);
    return (doc) => {
      const raw = read(doc);
      if (!Array.isArray(raw)) return false;
      return raw.some((element) => jsonEquals(element, value)) !== negate;
    };
  }
}

function combine(kind: "and" | "or", items: V2Predicate[]): V2Predicate {
  const isAnd = kind === "and";
  if (items.length === 1) return items[0] as V2Predicate;
  if (items.length === 2) {
    const [a, b] = items as [V2Predicate, V2Predicate];
    return isAnd ? (doc) => a(doc) && b(doc) : (doc) => a(doc) || b(doc);
  }
  return (doc) => {
    for (const item of items) if (item(doc) !== isAnd) return !isAnd;
    return isAnd;
  };
}

const ORDER: Readonly<Record<"<" | "<=" | ">" | ">=", (order: number) => boolean>> = {
  "<": (order) => order < 0,
  "<=": (order) => order <= 0,
  ">": (order) => order > 0,
  ">=": (order) => order >= 0,
};

/** Reads a path below a dynamic root through objects only; `undefined` when it is missing (or passes an array). */
function dynamicReader(path: V2Path): (doc: Readonly<Record<string, unknown>>) => unknown {
  const parts = [path.root, ...path.segments];
  return (doc) => {
    let current: unknown = doc;
    for (const part of parts) {
      if (!isPlainObject(current)) return undefined;
      current = ownField(current, part);
    }
    return current;
  };
}

function isJsonScalar(value: unknown): boolean {
  return value === null || typeof value === "boolean" || typeof value === "string" || exactNumber(value) !== undefined;
}

/** How a declared field's stored value reads as a key; `undefined` when it is not of the field's type. */
function keyReader(spec: V2FieldSpec): (raw: unknown) => Key | undefined {
  switch (spec.type) {
    case "boolean":
      return (raw) => (typeof raw === "boolean" ? raw : undefined);
    case "number":
      return exactNumber;
    case "timestamp":
      return timestampMicros;
    default:
      return (raw) => (typeof raw === "string" ? raw : undefined);
  }
}

/** A fixed field's key; null (SQL NULL) when it is null, absent, or not of its type. */
function fixedKey(doc: Readonly<Record<string, unknown>>, field: string, keyOf: (raw: unknown) => Key | undefined): Key | null {
  return keyOf(doc[field]) ?? null;
}

function keyEquals(key: Key | undefined, literal: Key): boolean {
  if (key === undefined) return false;
  if (typeof literal === "boolean" || typeof literal === "string") return key === literal;
  return (typeof key === "number" || typeof key === "bigint") && compareNumbers(key, literal) === 0;
}

/** Orders two keys of one declared type (strings by code point, numbers and instants by value). */
function compareKeys(key: Key, literal: Key): number {
  if (typeof key === "string" && typeof literal === "string") return compareCodePoints(key, literal);
  if ((typeof key === "number" || typeof key === "bigint") && (typeof literal === "number" || typeof literal === "bigint")) {
    return compareNumbers(key, literal);
  }
  return Number.NaN;
}
