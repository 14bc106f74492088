/**
 * Evaluation of `$expr` aggregation expressions with MongoDB's semantics: arithmetic returns null when an
 * operand is null or missing and fails on other non-numbers (dates may be added to and subtracted from);
 * comparisons order values of any types (missing < null < numbers < ...), so `{$eq: ["$missing", null]}` is
 * false; `$and`/`$or` stop at the first decisive operand.
 *
 * MongoDB aborts the whole query when an expression fails (say `$add` on a string). A filter here is evaluated
 * one document at a time, so a failure makes that document not match instead: one odd task must not make every
 * `ls` and every fetch of the queue fail. Failures travel as {@link AGG_ERROR} rather than exceptions, exactly as
 * the JSONata evaluator carries them, so both agree on where a failure stops evaluation.
 */
import type { Agg } from "../ir.js";
import { compareValues, valuesEqual } from "./bson.js";
import { aggregationPath } from "./path.js";

/** The result of an expression that failed (MongoDB would raise an error). */
export const AGG_ERROR: unique symbol = Symbol("aggregation error");
export type AggResult = unknown;

type Evaluate = (root: Record<string, unknown>) => AggResult;

const isNullish = (value: unknown): boolean => value === null || value === undefined;

/** MongoDB's `coerceToBool`: false, null, missing, numeric zero and failures are false; everything else is true. */
export function aggTruthy(value: AggResult): boolean {
  return !(value === AGG_ERROR || value === undefined || value === null || value === false || value === 0);
}

export function compileAgg(expr: Agg): Evaluate {
  switch (expr.k) {
    case "lit": {
      const value = expr.value;
      return () => value;
    }
    case "path": {
      const parts = expr.parts;
      return (root) => aggregationPath(root, parts);
    }
    case "array": {
      const items = expr.items.map(compileAgg);
      return (root) => {
        const out: unknown[] = [];
        for (const item of items) {
          const value = item(root);
          if (value === AGG_ERROR) return AGG_ERROR;
          out.push(value === undefined ? null : value);
        }
        return out;
      };
    }
    case "object": {
      const entries = expr.entries.map(([key, value]) => [key, compileAgg(value)] as const);
      return (root) => {
        const out: Record<string, unknown> = {};
        for (const [key, item] of entries) {
          const value = item(root);
          if (value === AGG_ERROR) return AGG_ERROR;
          if (value !== undefined) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        }
        return out;
      };
    }
    case "op":
      return compileOperator(expr.op, expr.args.map(compileAgg));
  }
}

type Operator = Extract<Agg, { k: "op" }>["op"];
type ArithmeticOperator = Extract<Operator, "add" | "multiply" | "subtract" | "divide" | "mod" | "abs">;
type ComparisonOperator = Extract<Operator, "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "cmp">;
type LogicalOperator = Exclude<Operator, ArithmeticOperator | ComparisonOperator>;

function compileOperator(op: Operator, args: Evaluate[]): Evaluate {
  switch (op) {
    case "add":
    case "multiply":
    case "subtract":
    case "divide":
    case "mod":
    case "abs":
      return compileArithmetic(op, args);
    case "eq":
    case "ne":
    case "gt":
    case "gte":
    case "lt":
    case "lte":
    case "cmp":
      return compileComparison(op, args);
    default:
      return compileLogical(op, args);
  }
}

/** `$add`, `$multiply`, `$subtract`, `$divide`, `$mod`, `$abs`: numbers, and dates where MongoDB allows them. */
function compileArithmetic(op: ArithmeticOperator, args: Evaluate[]): Evaluate {
  const [first, second] = args as [Evaluate, Evaluate];
  switch (op) {
    case "add":
      return (root) => {
        let sum = 0;
        let date: number | undefined;
        for (const arg of args) {
          const value = arg(root);
          if (value === AGG_ERROR) return AGG_ERROR;
          if (isNullish(value)) return null;
          if (typeof value === "number") sum += value;
          else if (value instanceof Date && date === undefined) date = value.getTime();
          else return AGG_ERROR;
        }
        return date === undefined ? sum : new Date(date + sum);
      };
    case "multiply":
      return (root) => {
        let product = 1;
        for (const arg of args) {
          const value = arg(root);
          if (value === AGG_ERROR) return AGG_ERROR;
          if (isNullish(value)) return null;
          if (typeof value !== "number") return AGG_ERROR;
          product *= value;
        }
        return product;
      };
    case "subtract":
    case "divide":
    case "mod":
      return (root) => {
        const a = first(root);
        if (a === AGG_ERROR) return AGG_ERROR;
        const b = second(root);
        if (b === AGG_ERROR) return AGG_ERROR;
        if (isNullish(a) || isNullish(b)) return null;
        if (op === "subtract") {
          if (typeof a === "number" && typeof b === "number") return a - b;
          if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
          if (a instanceof Date && typeof b === "number") return new Date(a.getTime() - b);
          return AGG_ERROR;
        }
        if (typeof a !== "number" || typeof b !== "number" || b === 0) return AGG_ERROR;
        return op === "divide" ? a / b : a % b;
      };
    case "abs":
      return (root) => {
        const value = first(root);
        if (value === AGG_ERROR) return AGG_ERROR;
        if (isNullish(value)) return null;
        return typeof value === "number" ? Math.abs(value) : AGG_ERROR;
      };
  }
}

/** `$eq` ... `$lte` and `$cmp`, in MongoDB's order across types. */
function compileComparison(op: ComparisonOperator, args: Evaluate[]): Evaluate {
  const [first, second] = args as [Evaluate, Evaluate];
  return (root) => {
    const a = first(root);
    if (a === AGG_ERROR) return AGG_ERROR;
    const b = second(root);
    if (b === AGG_ERROR) return AGG_ERROR;
    const order = Math.sign(compareValues(a, b));
    switch (op) {
      case "eq":
        return order === 0;
      case "ne":
        return order !== 0;
      case "gt":
        return order > 0;
      case "gte":
        return order >= 0;
      case "lt":
        return order < 0;
      case "lte":
        return order <= 0;
      default:
        return order;
    }
  };
}

/** `$and`, `$or`, `$not`, `$in`, `$ifNull`, `$cond`, `$size`. */
function compileLogical(op: LogicalOperator, args: Evaluate[]): Evaluate {
  const [first, second, third] = args as [Evaluate, Evaluate, Evaluate];
  switch (op) {
    case "and":
    case "or":
      return (root) => {
        for (const arg of args) {
          const value = arg(root);
          if (value === AGG_ERROR) return AGG_ERROR;
          if (aggTruthy(value) === (op === "or")) return op === "or";
        }
        return op === "and";
      };
    case "not":
      return (root) => {
        const value = first(root);
        return value === AGG_ERROR ? AGG_ERROR : !aggTruthy(value);
      };
    case "in":
      return (root) => {
        const value = first(root);
        if (value === AGG_ERROR) return AGG_ERROR;
        const list = second(root);
        if (list === AGG_ERROR || !Array.isArray(list)) return AGG_ERROR;
        return list.some((item) => valuesEqual(item, value));
      };
    case "ifNull":
      return (root) => {
        for (let i = 0; i < args.length - 1; i++) {
          const value = (args[i] as Evaluate)(root);
          if (value === AGG_ERROR || !isNullish(value)) return value;
        }
        return (args[args.length - 1] as Evaluate)(root);
      };
    case "cond":
      return (root) => {
        const condition = first(root);
        if (condition === AGG_ERROR) return AGG_ERROR;
        return aggTruthy(condition) ? second(root) : third(root);
      };
    case "size":
      return (root) => {
        const value = first(root);
        return Array.isArray(value) ? value.length : AGG_ERROR;
      };
  }
}
