/**
 * JSONata: user expressions (the `jsonata:` prefix and the `$jsonata` wire operator) see the task as JSON, cannot
 * reach outside the document, and are stopped by guard rails; compiled programs are self-contained JSONata.
 */
import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { FilterError, JSONATA_LIMITS, compileFilter } from "../../src/filter/index.js";
import { TASKS } from "./conformance.cases.js";

const task = TASKS[0] as Record<string, unknown>;

describe("user JSONata", () => {
  it("reads `jsonata:` text and sends it as a top-level $jsonata operator", () => {
    const filter = compileFilter("jsonata:  args.lr > 0.01 ");
    expect(filter.syntax).toBe("jsonata");
    expect(filter.mongo).toEqual({ $jsonata: "args.lr > 0.01" });
    expect(filter.userJsonata).toBe("args.lr > 0.01");
    expect(compileFilter(filter.mongo).userJsonata).toBe("args.lr > 0.01");
  });

  it("sees datetimes as ISO strings", async () => {
    await expect(compileFilter("jsonata: created_at = '2025-07-30T08:00:00.000Z'").evaluate(task)).resolves.toBe(true);
    await expect(compileFilter("jsonata: $toMillis(created_at) < $millis()").evaluate(task)).resolves.toBe(true);
  });

  it("counts results as JSONata's $boolean does", async () => {
    const cases: Array<[string, boolean]> = [
      ["'v1'", true],
      ["''", false],
      ["0", false],
      ["metadata.tags", true],
      ["summary", false],
      ["args.nothing", false],
      ["[0, 0]", false],
      ["[0, 1]", true],
    ];
    for (const [expression, expected] of cases) {
      expect([expression, await compileFilter(`jsonata: ${expression}`).evaluate(task)]).toEqual([expression, expected]);
    }
  });

  it("treats an evaluation error as no match, as a type mismatch is in MongoDB", async () => {
    await expect(compileFilter("jsonata: args.model > 5").evaluate(task)).resolves.toBe(false);
  });

  it("is ANDed with the rest of a document", async () => {
    const filter = compileFilter({ status: "pending", $jsonata: "args.lr > 0.05" });
    expect(filter.async).toBe(true);
    await expect(filter.evaluate(task)).resolves.toBe(true);
    await expect(filter.evaluate({ ...task, status: "failed" })).resolves.toBe(false);
    await expect(filter.evaluateJsonata({ ...task, args: { lr: 0.01 } })).resolves.toBe(false);
  });
});

describe("a filter cannot reach outside the document", () => {
  it("cannot climb to constructors or prototypes", async () => {
    const globals = globalThis as Record<string, unknown>;
    for (const expression of [
      "constructor.constructor('globalThis.__filterEscaped = 1')()",
      "$lookup($, 'constructor')('x')",
      "args.__proto__.polluted",
      "$eval(\"constructor.constructor('globalThis.__filterEscaped = 1')()\")",
      "$.`__proto__`",
    ]) {
      await expect(compileFilter(`jsonata: ${expression}`).evaluate(task)).resolves.toBe(false);
    }
    expect(globals.__filterEscaped).toBeUndefined();
    expect(compileFilter({ constructor: { $exists: true } }).test(task)).toBe(false);
    expect(compileFilter("exists(args.constructor)").test(task)).toBe(false);
    expect(compileFilter("args.toString == None").test(task)).toBe(true);
  });

  it("has no JSONata function that touches files, the environment or the process", async () => {
    // JSONata 2.2's whole function library (its static frame, plus $now and $millis bound per expression);
    // none reads anything but its arguments, except the clock for $now and $millis.
    const library = [
      "sum", "count", "max", "min", "average", "string", "substring", "substringBefore", "substringAfter", "lowercase",
      "uppercase", "length", "trim", "pad", "match", "contains", "replace", "split", "join", "formatNumber",
      "formatBase", "formatInteger", "parseInteger", "number", "floor", "ceil", "round", "abs", "sqrt", "power",
      "random", "boolean", "not", "map", "zip", "filter", "single", "reduce", "sift", "keys", "lookup", "append",
      "exists", "spread", "merge", "reverse", "each", "error", "assert", "sort", "shuffle", "distinct", "base64encode",
      "base64decode", "encodeUrlComponent", "encodeUrl", "decodeUrlComponent", "decodeUrl", "eval", "toMillis",
      "fromMillis", "clone", "type", "now", "millis",
    ];
    for (const name of library) {
      await expect(jsonata(`$type($${name})`).evaluate({})).resolves.toBe("function");
    }
    for (const name of ["require", "readFile", "env", "process", "exec", "import", "fetch", "spawn", "globalThis"]) {
      expect(library).not.toContain(name);
      await expect(jsonata(`$type($${name})`).evaluate({})).resolves.toBeUndefined();
    }
  });

  it("stops runaway expressions with a FilterError instead of hanging", async () => {
    expect(JSONATA_LIMITS.timeout).toBeLessThanOrEqual(1000);
    const started = Date.now();
    await expect(compileFilter("jsonata: ($f := function($n){ $f($n + 1) }; $f(0))").evaluate(task)).rejects.toThrow(FilterError);
    await expect(compileFilter("jsonata: $count([1..5000000]) > 0").evaluate(task)).rejects.toThrow("JSONata filter stopped");
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("compiled programs", () => {
  it("are plain JSONata: evaluable by a stock jsonata, true or false", async () => {
    const filter = compileFilter("args.lr > 0.01 and 'v1' in list(metadata.tags)");
    await expect(jsonata(filter.jsonata).evaluate(task)).resolves.toBe(true);
    await expect(jsonata(filter.jsonata).evaluate({ ...task, args: {} })).resolves.toBe(false);
  });
});
