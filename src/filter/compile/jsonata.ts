/**
 * The shared representation compiled to JSONata text: a block that defines MongoDB's semantics
 * ({@link JSONATA_PRELUDE}) and then evaluates the filter over the input document, returning true or false.
 * The text is self-contained (stock JSONata, no bound functions), so it can be evaluated, cached and shown as is.
 */
import type { Agg, Query, Value, ValueTest } from "../ir.js";
import { wantsWholeArray } from "../ir.js";
import { toJsonataRegex } from "../regex.js";
import { JSONATA_PRELUDE } from "./prelude.js";

/** The whole program: the prelude, then the filter's body over the input document `$`. */
export function compileJsonataProgram(query: Query): string {
  return `(${JSONATA_PRELUDE}\n${compileJsonataBody(query)}\n)`;
}

/** The filter's body alone (it calls the prelude's functions). */
export function compileJsonataBody(query: Query): string {
  return new Emitter().query(query, "$");
}

/** A JSONata literal for a filter value; dates become `{"$$date": ms}` (see the prelude). */
export function jsonataLiteral(value: Value): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") return numberLiteral(value);
  if (value instanceof Date) return `{"$$date": ${value.getTime()}}`;
  if (Array.isArray(value)) return `[${value.map(jsonataLiteral).join(", ")}]`;
  return `{${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)}: ${jsonataLiteral(item)}`)
    .join(", ")}}`;
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`${value} cannot be written in JSONata`);
  // JSONata reads a leading minus as an operator, which is the same value; -0 is 0 to MongoDB as well.
  return value < 0 ? `(${String(value)})` : String(Object.is(value, -0) ? 0 : value);
}

class Emitter {
  private counter = 0;

  private fresh(prefix: string): string {
    this.counter++;
    return `$${prefix}${this.counter}`;
  }

  query(query: Query, root: string): string {
    switch (query.kind) {
      case "and":
      case "or":
        if (query.items.length === 0) return query.kind === "and" ? "true" : "false";
        return `(${query.items.map((item) => this.query(item, root)).join(` ${query.kind} `)})`;
      case "nor":
        return `$not(${query.items.map((item) => this.query(item, root)).join(" or ")})`;
      case "not":
        return `$not(${this.query(query.item, root)})`;
      case "const":
        return String(query.value);
      case "expr":
        return `$truthy(${this.agg(query.expr, root)})`;
      case "field": {
        const parts = `[${query.path.map((part) => JSON.stringify(part)).join(", ")}]`;
        const expand = String(!wantsWholeArray(query.test));
        return `$walk(${root}, ${parts}, 0, ${expand}, ${this.testFunction(query.test, root)})`;
      }
    }
  }

  private testFunction(test: ValueTest, root: string): string {
    const v = this.fresh("v");
    return `function(${v}){ ${this.test(test, v, root)} }`;
  }

  /** A boolean expression testing the candidate in variable `v` (undefined when missing). */
  private test(test: ValueTest, v: string, root: string): string {
    switch (test.op) {
      case "eq":
        return this.equality(test.value, v);
      case "cmp":
        return this.comparison(test.cmp, test.value, v);
      case "in": {
        const hasNull = test.values.includes(null);
        const list = jsonataLiteral(test.values);
        return hasNull ? `($nullish(${v}) or $inList(${v}, ${list}))` : `($exists(${v}) and $inList(${v}, ${list}))`;
      }
      case "exists":
        return `$exists(${v})`;
      case "regex":
        return `($type(${v}) = "string" and $contains(${v}, ${toJsonataRegex(test)}))`;
      case "type":
        return `($exists(${v}) and (${test.types.map((type) => `$hasType(${v}, ${JSON.stringify(type)})`).join(" or ")}))`;
      case "mod":
        return (
          `($type(${v}) = "number" and $abs(${v}) < 9223372036854775808 and ` +
          `(${v} < 0 ? $ceil(${v}) : $floor(${v})) % ${numberLiteral(test.divisor)} = ${numberLiteral(test.remainder)})`
        );
      case "size":
        return `($type(${v}) = "array" and $count(${v}) = ${test.size})`;
      case "elemMatchDoc": {
        const element = this.fresh("e");
        const body = this.query(test.query, element);
        const document = this.fresh("d");
        return (
          `($type(${v}) = "array" and $reduce(${v}, function($acc, ${element}){ $acc or ` +
          `($isDoc(${element}) ? ${body} : $type(${element}) = "array" ? (${document} := $toDoc(${element}); ` +
          `${this.query(test.query, document)}) : false) }, false))`
        );
      }
      case "elemMatchValue": {
        const element = this.fresh("e");
        const tests = test.tests.map((item) => this.test(item, element, root)).join(" and ");
        return `($type(${v}) = "array" and $reduce(${v}, function($acc, ${element}){ $acc or (${tests || "true"}) }, false))`;
      }
      case "not":
        return `$not(${test.tests.map((item) => this.test(item, v, root)).join(" and ") || "true"})`;
    }
  }

  private equality(value: Value, v: string): string {
    if (value === null) return `$nullish(${v})`;
    if (typeof value === "number") return `($type(${v}) = "number" and ${v} = ${numberLiteral(value)})`;
    if (typeof value === "string") return `($type(${v}) = "string" and ${v} = ${JSON.stringify(value)})`;
    if (typeof value === "boolean") return `($type(${v}) = "boolean" and ${v} = ${value})`;
    if (value instanceof Date) return `($isDate(${v}) and $ms(${v}) = ${value.getTime()})`;
    return `($exists(${v}) and $cmp(${v}, ${jsonataLiteral(value)}) = 0)`;
  }

  private comparison(cmp: "gt" | "gte" | "lt" | "lte", value: Value, v: string): string {
    const operator = { gt: ">", gte: ">=", lt: "<", lte: "<=" }[cmp];
    if (value === null) return cmp === "gte" || cmp === "lte" ? `$nullish(${v})` : "false";
    if (typeof value === "number") return `($type(${v}) = "number" and ${v} ${operator} ${numberLiteral(value)})`;
    if (typeof value === "string") return `($type(${v}) = "string" and ${v} ${operator} ${JSON.stringify(value)})`;
    if (value instanceof Date) return `($isDate(${v}) and $ms(${v}) ${operator} ${value.getTime()})`;
    const rank = typeof value === "boolean" ? 40 : Array.isArray(value) ? 25 : 20;
    return `($rank(${v}) = ${rank} and $cmp(${v}, ${jsonataLiteral(value)}) ${operator} 0)`;
  }

  /** An aggregation expression evaluated against the document in `root`. */
  private agg(expr: Agg, root: string): string {
    switch (expr.k) {
      case "lit":
        return jsonataLiteral(expr.value);
      case "path":
        if (expr.parts.length === 0) return root;
        return `$apath(${root}, [${expr.parts.map((part) => JSON.stringify(part)).join(", ")}], 0)`;
      case "array": {
        if (expr.items.length === 0) return "[]";
        const names = expr.items.map(() => this.fresh("a"));
        const bindings = expr.items.map((item, index) => `${names[index]} := ${this.agg(item, root)};`).join(" ");
        const errors = names.map((name) => `$isErr(${name}) ? ${name} :`).join(" ");
        const build = names.reduce((acc, name) => `$append(${acc}, $one($nz(${name})))`, "[]");
        return `(${bindings} ${errors} ${build})`;
      }
      case "object": {
        if (expr.entries.length === 0) return "{}";
        const names = expr.entries.map(() => this.fresh("o"));
        const bindings = expr.entries.map(([, item], index) => `${names[index]} := ${this.agg(item, root)};`).join(" ");
        const errors = names.map((name) => `$isErr(${name}) ? ${name} :`).join(" ");
        const build = expr.entries.map(([key], index) => `${JSON.stringify(key)}: ${names[index]}`).join(", ");
        return `(${bindings} ${errors} {${build}})`;
      }
      case "op":
        return this.operator(expr.op, expr.args.map((arg) => this.agg(arg, root)));
    }
  }

  private operator(op: Extract<Agg, { k: "op" }>["op"], args: string[]): string {
    const [a = "", b = "", c = ""] = args;
    switch (op) {
      case "add":
        return `$addEnd(${args.reduce((state, arg) => `$addStep(${state}, ${arg})`, `{"sum": 0}`)})`;
      case "multiply":
        return args.reduce((state, arg) => `$mulStep(${state}, ${arg})`, "1");
      case "subtract":
      case "divide":
      case "mod":
        return `$binary("${op}", ${a}, ${b})`;
      case "abs":
        return `$abs1(${a})`;
      case "eq":
      case "ne":
      case "gt":
      case "gte":
      case "lt":
      case "lte":
      case "cmp":
        return `$compare("${op}", ${a}, ${b})`;
      case "and":
      case "or":
        return this.logical(op, args);
      case "not": {
        const r = this.fresh("r");
        return `(${r} := ${a}; $isErr(${r}) ? ${r} : $not($truthy(${r})))`;
      }
      case "in":
        return `$in2(${a}, ${b})`;
      case "ifNull":
        return args.slice(0, -1).reduceRight((rest, arg) => {
          const r = this.fresh("r");
          return `(${r} := ${arg}; $isErr(${r}) or $not($nullish(${r})) ? ${r} : ${rest})`;
        }, args[args.length - 1] ?? "null");
      case "cond": {
        const r = this.fresh("r");
        return `(${r} := ${a}; $isErr(${r}) ? ${r} : $truthy(${r}) ? ${b} : ${c})`;
      }
      case "size":
        return `$size1(${a})`;
    }
  }

  /** `$and`/`$or` stop at the first decisive operand and pass a failure on, like MongoDB's evaluation order. */
  private logical(op: "and" | "or", args: string[]): string {
    const decided = op === "or" ? "true" : "false";
    return args.reduceRight((rest, arg) => {
      const r = this.fresh("r");
      const continues = op === "and" ? `$truthy(${r})` : `$not($truthy(${r}))`;
      return `(${r} := ${arg}; $isErr(${r}) ? ${r} : ${continues} ? ${rest} : ${decided})`;
    }, op === "and" ? "true" : "false");
  }
}
