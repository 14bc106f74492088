/**
 * Errors: every rejected filter is a FilterError that says where: a column (with the line and a caret when
 * formatted) for text, a path for a Mongo document. Texts follow labtasker v1's where v1 explains the rejection.
 */
import { describe, expect, it } from "vitest";
import {
  FilterError,
  FilterSyntaxError,
  TASK_FILTER_FIELDS,
  WORKER_FILTER_FIELDS,
  compileFilter,
  formatFilterError,
  unknownFieldMessage,
} from "../../src/filter/index.js";
import { now } from "./helpers.js";

function errorOf(run: () => unknown): FilterError {
  try {
    run();
  } catch (error) {
    if (error instanceof FilterError) return error;
    throw error;
  }
  throw new Error("expected a FilterError");
}

const compileError = (input: string | Record<string, unknown>, fields?: readonly string[] | null): FilterError =>
  errorOf(() => compileFilter(input, { now, ...(fields === undefined ? {} : { fields }) }));

describe("Python-style filters: rejected constructs with v1's explanations", () => {
  it.each([
    ["args.lr != 0.1", 1, "'!=' operator is not supported, as it may lead to ambiguous behaviour due to the missing key returning null problem."],
    ["status == 'a' and not args.x == 1", 19, "'not' is not supported"],
    ["'a' not in list(metadata.tags)", 1, "'not in' operator is not supported"],
    ["args.x is None", 1, "Unsupported comparison operator: 'is'"],
    ["args.x is not None", 1, "Unsupported comparison operator: 'is not'"],
    ["1 < args.x < 5", 1, "Chained comparisons not supported (e.g., a < b < c)"],
    ["foo(args.x)", 1, "Unsupported function call: foo"],
    ["args.x.upper() == 'A'", 1, "Unsupported function call: args.x.upper"],
    ["regex(task_name)", 1, "regex() requires two arguments: field name and pattern"],
    ["exists()", 1, "exists() requires one or two arguments"],
    ["created_at > date()", 14, "date('Y-M-D H:M:S') requires one argument: date string"],
    ["created_at > date(5)", 14, "date() argument must be a literal string"],
    ["created_at > date('the day my cat sang')", 19, "Invalid date string 'the day my cat sang'"],
    ["args.lr", 1, "Invalid query result: args.lr. Query must evaluate to a dictionary."],
    ["'a string'", 1, "Invalid query result: 'a string'. Query must evaluate to a dictionary."],
    ["args.a + args.b", 1, "Binary operations like '+' or '-' must be used in comparisons for $expr."],
    ["args.a ** 2 > 4", 1, "Unsupported binary operator: '**'"],
    ["args.a // 2 > 4", 1, "Unsupported binary operator: '//'"],
    ["'x' in args.tags", 1, "Ambiguous expression. To use `'foo' in foo.bar`"],
    ["1 in dict(args)", 1, "For 'key in dict(field)' pattern, key must be a string literal"],
    ["args.x in 'abc'", 1, "For 'field in [literals]' pattern"],
    ["args.x in list(args.y)", 1, "The left side of 'in list(...)' must be a literal value"],
    ["'x' in set(args)", 1, "Expected function call like list(foo.bar) or dict(foo.bar), got set"],
    ["args.x == 1 and True", 17, "Each operand of 'and' must be a condition"],
    ["args.x[-1] == 0", 8, "Negative indexing is not supported (value: -1)"],
    ["args.x[i] == 0", 8, "Variable subscript is not supported in MongoDB queries: i"],
    ["+args.x > 0", 1, "Unsupported unary operator: '+'"],
    ["1 == 1", 1, "A comparison needs a field on one side"],
    ["args.x == [y]", 12, "'y' is a field name, not a value"],
    ["args.x > regex(args.y, 'a')", 10, "regex() is a condition, not a value"],
    ["regex(args.x, 5)", 15, "regex() pattern must be a string literal"],
    ["regex(args.x, '(?<!')", 15, "Regular expression is invalid"],
    ["exists(args.x, 'no')", 16, "exists() second argument must be True or False"],
    ["x = 1", 1, "Assignment 'x = ...' not allowed in query. If you meant to check equality, use '==' instead of '='. Suggested correction: x == 1"],
    ["def f(): pass", 1, "Expected an expression in the module"],
    ["args.x += 1", 1, "Expected an expression in the module"],
    ["args.x == 1\nargs.y == 2", 1, "Only one expression is allowed in a filter"],
    ["args.x == 1 if True else False", 13, "conditional expressions"],
    ["[x for x in args]", 4, "comprehensions are not supported"],
    ["lambda: 1", 1, "lambda expressions are not supported"],
    ["args.x == f'{1}'", 11, "f-strings are not supported"],
    ["date('1 day ago')", 1, "date(...) is a value, not a condition"],
    ["list(args.x)", 1, "list(...) is not a condition"],
  ])("%j: column %i", (text, column, message) => {
    const error = compileError(text, null);
    expect(error.column).toBe(column);
    expect(error.message).toContain(message);
    expect(error.text).toBe(text.trim());
  });

  it("names the line of a multi-line filter", () => {
    const error = compileError("(status == 'pending' and\n args.lr != 0.1)");
    expect([error.line, error.column]).toEqual([2, 2]);
  });

  it("reports syntax errors as FilterSyntaxError with v1's prefix", () => {
    const error = compileError("args.lr >");
    expect(error).toBeInstanceOf(FilterSyntaxError);
    expect(error.message).toBe("Query syntax error: unexpected end of input");
    expect(error.column).toBe(10);
    expect(compileError("args.lr > > 1").column).toBe(11);
    expect(compileError("(args.lr > 1").message).toBe("Query syntax error: '(' was never closed");
    expect(compileError("args.lr > 1)").message).toBe("Query syntax error: unmatched ')'");
    expect(compileError("args.lr ! 1").message).toBe("Query syntax error: invalid syntax");
    expect(compileError("args.lr > $1").message).toBe("Query syntax error: invalid character '$' (U+0024)");
  });

  it("columns count from the stripped text, as v1's do", () => {
    const error = compileError("   args.lr != 0.1  ");
    expect(error.column).toBe(1);
    expect(error.text).toBe("args.lr != 0.1");
  });
});

describe("the field allow-list", () => {
  it("rejects unknown roots with difflib's suggestion and the allowed names", () => {
    const error = compileError("arg.lr > 0.01");
    expect(error.message).toBe(unknownFieldMessage("arg", TASK_FILTER_FIELDS));
    expect(error.message).toContain("Field 'arg' is unknown or not allowed. Maybe you meant 'args'?");
    expect(error.message).toContain("\nAllowed fields: args, blocked_by, cmd, created_at,");
    expect(error.column).toBe(1);
  });

  it("points at the offending name inside a larger filter", () => {
    const error = compileError("status == 'x' and metdata.tags == 1");
    expect(error.column).toBe(19);
    expect(error.message).toContain("Maybe you meant 'metadata'?");
  });

  it("has no suggestion when nothing is close", () => {
    expect(compileError("zzzzzz == 1").message).toMatch(/^Field 'zzzzzz' is unknown or not allowed\.\nAllowed fields:/);
  });

  it("checks string fields of exists() and regex() too", () => {
    expect(compileError("exists('argz.x')").message).toContain("Maybe you meant 'args'?");
  });

  it("includes worker_name in the task list (v1 uses one list) and has a worker list", () => {
    expect(() => compileFilter("worker_name == 'x'")).not.toThrow();
    expect(compileError("args.lr > 1", WORKER_FILTER_FIELDS).message).toContain("Field 'args' is unknown or not allowed.");
    expect(() => compileFilter("worker_name == 'gpu'", { fields: WORKER_FILTER_FIELDS })).not.toThrow();
  });
});

describe("formatting", () => {
  it("prints the line with a caret under the column, in v1's layout", () => {
    const error = compileError("status == 'pending' and args.lr != 0.1");
    expect(error.format()).toBe(
      [
        "Error when parsing query at line 1, column 25:",
        "Err context: status == 'pending' and args.lr != 0.1",
        "                                     ^  <-- Error here (Column: 25)",
        "Error: '!=' operator is not supported, as it may lead to ambiguous behaviour due to the missing key returning null problem. If you wish to use $ne, use the full mongodb query and handle the $exists manually",
      ].join("\n"),
    );
  });

  it("cuts long lines to 50 characters around the column", () => {
    const text = `${"args.a == 1 and ".repeat(8)}args.b != 2 and ${"args.c == 3 and ".repeat(8)}args.d == 4`;
    const lines = compileError(text).format().split("\n");
    const context = lines[1] as string;
    const caret = lines[2] as string;
    expect(context.startsWith("Err context: ...")).toBe(true);
    expect(context.endsWith("...")).toBe(true);
    expect(context.slice(caret.indexOf("^"), caret.indexOf("^") + 2)).toBe("ar");
  });

  it("prints the path for document errors", () => {
    const error = compileError({ $and: [{ a: { $foo: 1 } }] });
    expect(formatFilterError(error)).toBe("Error in filter at $and.0.a.$foo:\nError: unknown operator: $foo");
  });
});

describe("Mongo documents: errors with a path", () => {
  it.each([
    [{ $foo: 1 }, "$foo", "unknown top level operator: $foo"],
    [{ a: { $foo: 1 } }, "a.$foo", "unknown operator: $foo"],
    [{ $and: [] }, "$and", "$and must be a nonempty array"],
    [{ $or: [1] }, "$or.0", "$or/$and/$nor entries need to be full objects"],
    [{ a: { $in: 5 } }, "a.$in", "$in needs an array"],
    [{ a: { $in: [{ $gt: 1 }] } }, "a.$in.0", "cannot nest $ under $in"],
    [{ a: { $regex: 5 } }, "a.$regex", "$regex has to be a string"],
    [{ a: { $regex: "a", $options: "q" } }, "a.$regex", "invalid flag in regex options: q"],
    [{ a: { $regex: "(" } }, "a.$regex", "Regular expression is invalid"],
    [{ a: { $options: "i" } }, "a.$options", "$options needs a $regex"],
    [{ a: { $not: 5 } }, "a.$not", "$not needs a regex or a document"],
    [{ a: { $not: {} } }, "a.$not", "$not cannot be empty"],
    [{ a: { $size: -1 } }, "a.$size", "$size may not be negative"],
    [{ a: { $size: 1.5 } }, "a.$size", "$size must be a whole number"],
    [{ a: { $mod: [0, 1] } }, "a.$mod", "divisor cannot be 0"],
    [{ a: { $mod: [1] } }, "a.$mod", "malformed mod, not enough elements"],
    [{ a: { $type: "float" } }, "a.$type", "Unknown type name alias: float"],
    [{ a: { $type: 99 } }, "a.$type", "Invalid numerical type code: 99"],
    [{ a: { $all: [1, { $elemMatch: { b: 1 } }] } }, "a.$all", "$all/$elemMatch has to be consistent"],
    [{ a: { $elemMatch: 5 } }, "a.$elemMatch", "$elemMatch needs an Object"],
    [{ $expr: { $foo: 1 } }, "$expr.$foo", "Unrecognized expression '$foo'"],
    [{ $expr: { $subtract: [1] } }, "$expr.$subtract", "Expression $subtract takes exactly 2 arguments. 1 were passed in."],
    [{ $expr: { $gt: ["$a", 1], $lt: ["$a", 2] } }, "$expr", "an expression specification must contain exactly one field"],
    [{ $expr: "$$NOW" }, "$expr", "Use of undefined variable: NOW"],
    [{ $expr: "$" }, "$expr", "'$' by itself is not a valid FieldPath"],
    [{ $where: "this.a" }, "$where", "$where is not supported by labtasker-redis filters"],
    [{ a: { $near: [0, 0] } }, "a.$near", "$near is not supported"],
    [{ $and: [{ $jsonata: "x" }] }, "$and.0.$jsonata", "$jsonata is only allowed at the top level of a filter"],
    [{ $jsonata: 5 }, "$jsonata", "$jsonata needs a string"],
  ])("%j", (document, path, message) => {
    const error = compileError(document);
    expect(error.path).toBe(path);
    expect(error.message).toContain(message);
    expect(error.column).toBeUndefined();
  });

  it("reads an embedded document whose first key has no $ as a value (equality), even with $-keys after it", () => {
    const filter = compileFilter({ a: { b: { $jsonata: "x" } } });
    expect(filter.test({ a: { b: { $jsonata: "x" } } })).toBe(true);
  });

  it("points into the text of a dict-literal filter", () => {
    const text = "{'status': 'pending', 'args.lr': {'$foo': 1}}";
    const error = compileError(text);
    expect(error.path).toBe("args.lr.$foo");
    expect(error.column).toBe(text.indexOf("'$foo'") + 1);
  });

  it("explains JSON spellings in a dict filter (Python literal syntax)", () => {
    const text = '{"status": "pending", "args.flag": true}';
    const error = compileError(text);
    expect(error.message).toContain("'true' is not a Python literal; write True");
    expect(error.column).toBe(text.indexOf("true") + 1);
  });

  it("rejects values JSON cannot hold", () => {
    expect(compileError({ a: Number.NaN }).path).toBe("a");
    expect(compileError({ a: { b: () => 1 } }).message).toContain("a function cannot appear in a filter");
    expect(compileError({ a: new Date("nope") }).message).toBe("Invalid Date");
  });
});

describe("JSONata errors", () => {
  it("points at the syntax error inside the text after the prefix", () => {
    const error = compileError("jsonata:  args.lr >");
    expect(error.message).toMatch(/^Invalid JSONata expression: /);
    expect(error.column).toBeGreaterThanOrEqual(11);
    expect(error.text).toBe("jsonata:  args.lr >");
  });

  it("rejects an empty expression", () => {
    expect(compileError("jsonata:").message).toContain("Empty JSONata expression");
  });

  it("makes test() refuse a filter that needs asynchronous evaluation", () => {
    const filter = compileFilter("jsonata: true");
    expect(filter.async).toBe(true);
    expect(() => filter.test({})).toThrow(FilterError);
  });
});
