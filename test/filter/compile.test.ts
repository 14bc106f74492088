/**
 * compileFilter's contract with the rest of the project: how inputs are told apart, what goes on the wire,
 * caching, immutability, and number fidelity of dict filters.
 */
import { describe, expect, it } from "vitest";
import { TASK_FILTER_FIELDS, compileFilter, toWireFilter } from "../../src/filter/index.js";
import { stringifyJson } from "../../src/json.js";
import { now } from "./helpers.js";

describe("telling inputs apart (v1's parse_filter, plus JSONata)", () => {
  it("reads a Python dict literal as a Mongo query", () => {
    const filter = compileFilter("{'args.lr': {'$gt': 0.01}}");
    expect(filter.syntax).toBe("mongo");
    expect(filter.mongo).toEqual({ "args.lr": { $gt: 0.01 } });
  });

  it("reads a JSON dict that is also a Python literal the same way", () => {
    expect(compileFilter('{"metadata.tags": {"$in": ["a", "b"]}}').mongo).toEqual({ "metadata.tags": { $in: ["a", "b"] } });
  });

  it("reads other literals (True, 1) as expressions, as v1 does", () => {
    expect(compileFilter("True").syntax).toBe("python");
    expect(compileFilter("True").mongo).toEqual({ $expr: true });
  });

  it("reads an expression starting with a dict literal as an expression", () => {
    const filter = compileFilter("{'name': 'adam'} == args.opt");
    expect(filter.syntax).toBe("python");
    expect(filter.mongo).toEqual({ "args.opt": { name: "adam" } });
  });

  it("keeps Python floats as floats in dict filters on the wire", () => {
    expect(stringifyJson(toWireFilter("{'args.lr': 3.0, 'priority': {'$gte': 1e2}}"))).toBe('{"args.lr":3.0,"priority":{"$gte":100.0}}');
    const filter = compileFilter("{'args.lr': 3.0}");
    expect(filter.test({ args: { lr: 3 } })).toBe(true);
  });

  it("passes wire documents through unchanged, markers and all", () => {
    const wire = { $and: [{ created_at: { $gte: { _dt: "2025-07-29T10:20:30+00:00" } } }, { "args.lr": { $gt: 0.01 } }] };
    expect(toWireFilter(wire)).toEqual(wire);
  });

  it("applies the allow-list to Python syntax only", () => {
    expect(() => compileFilter({ anything: 1 })).not.toThrow();
    expect(() => compileFilter("{'anything': 1}")).not.toThrow();
    expect(() => compileFilter("anything == 1")).toThrow("Field 'anything' is unknown or not allowed.");
    expect(() => compileFilter("anything == 1", { fields: null })).not.toThrow();
    expect(() => compileFilter("anything == 1", { fields: [...TASK_FILTER_FIELDS, "anything"] })).not.toThrow();
  });

  it("rejects inputs that are neither text nor a document", () => {
    expect(() => compileFilter([] as unknown as Record<string, unknown>)).toThrow("a filter must be a string or a MongoDB query document");
  });
});

describe("caching", () => {
  it("returns the same compiled filter for the same text, and for equal documents", () => {
    expect(compileFilter("status == 'pending'")).toBe(compileFilter("  status == 'pending'  "));
    expect(compileFilter({ a: { $gt: 1 } })).toBe(compileFilter({ a: { $gt: 1 } }));
    expect(compileFilter({ a: 1, b: 2 })).not.toBe(compileFilter({ b: 2, a: 1 }));
  });

  it("keys the cache on the allow-list too", () => {
    expect(() => compileFilter("x == 1", { fields: null })).not.toThrow();
    expect(() => compileFilter("x == 1")).toThrow();
  });

  it("does not cache filters that use date(), whose instant depends on the clock", () => {
    expect(compileFilter("created_at > date('1 day ago')", { now })).not.toBe(compileFilter("created_at > date('1 day ago')", { now }));
  });

  it("freezes what it shares", () => {
    const filter = compileFilter("status == 'pending' and priority > 1");
    expect(Object.isFrozen(filter)).toBe(true);
    expect(Object.isFrozen(filter.mongo)).toBe(true);
    expect(() => {
      (filter.mongo as Record<string, unknown>).extra = 1;
    }).toThrow(TypeError);
  });
});

describe("evaluation entry points", () => {
  it("answers the same through test(), evaluate() and evaluateJsonata()", async () => {
    const filter = compileFilter("args.lr > 0.01 and 'v1' in list(metadata.tags)");
    const doc = { args: { lr: 0.1 }, metadata: { tags: ["v1"] } };
    expect(filter.test(doc)).toBe(true);
    await expect(filter.evaluate(doc)).resolves.toBe(true);
    await expect(filter.evaluateJsonata(doc)).resolves.toBe(true);
    expect(filter.async).toBe(false);
  });

  it("never throws from test() on odd documents", () => {
    const filter = compileFilter({ "a.b.c": { $gt: 1 }, $expr: { $gt: [{ $add: ["$a.b", 1] }, 0] } });
    for (const doc of [{}, { a: null }, { a: [] }, { a: [[[]]] }, { a: { b: new Date(0) } }, { a: "str" }, Object.create(null)]) {
      expect(typeof filter.test(doc)).toBe("boolean");
    }
  });
});
