/**
 * What an evaluation over many documents uses besides the predicate: the top-level fields a filter reads
 * (queryRoots; a document cut down to them must be decided alike), and sort keys read once a document
 * (compileSortKeys; the same order as compileSort).
 */
import { describe, expect, it } from "vitest";
import { compileFilter, compileSort, compileSortKeys, queryRoots, type SortSpec } from "../../src/filter/index.js";
import { Random, document, mongoFilter, pythonFilter } from "./generators.js";

const roots = (filter: string | Record<string, unknown>) => {
  const found = queryRoots(compileFilter(filter, { fields: null }).query);
  return found === null ? null : [...found].sort();
};

describe("queryRoots", () => {
  it("names the top-level fields a filter reads", () => {
    expect(roots('args.lr >= 0.005 and args.model == "vit"')).toEqual(["args"]);
    expect(roots("summary.acc > 0.5 or task_name == 'a'")).toEqual(["summary", "task_name"]);
    expect(roots({ "metadata.tags": { $elemMatch: { a: 1 } } })).toEqual(["metadata"]);
    expect(roots({ $nor: [{ status: "failed" }, { $expr: { $gt: ["$priority", "$args.lr"] } }] })).toEqual(["args", "priority", "status"]);
    expect(roots({})).toEqual([]);
  });

  it("is null for a filter that may read the whole document", () => {
    expect(roots({ $expr: { $ne: ["$$ROOT", null] } })).toBeNull();
    expect(roots({ $expr: { $eq: ["$$CURRENT", { a: 1 }] } })).toBeNull();
  });

  it("cut down to its roots, a document is decided as the whole one (random filters and documents)", () => {
    const random = new Random(1717);
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      const input = i % 2 === 0 ? pythonFilter(random) : mongoFilter(random);
      let compiled;
      try {
        compiled = compileFilter(input, { fields: null });
      } catch {
        continue; // a random filter may be one the compiler refuses
      }
      const fields = queryRoots(compiled.query);
      for (let j = 0; j < 20; j++) {
        const whole = document(random, `t${j}`);
        if (fields === null) continue;
        const cut = Object.fromEntries(Object.entries(whole).filter(([key]) => fields.has(key)));
        expect({ input, whole, matches: compiled.test(cut) }).toEqual({ input, whole, matches: compiled.test(whole) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });
});

describe("compileSortKeys", () => {
  it("orders as compileSort does (random documents and specs)", () => {
    const random = new Random(99);
    const fields = ["priority", "args.lr", "args.tags", "summary.b", "created_at", "task_name", "status", "metadata.x.a", "args"];
    for (let round = 0; round < 100; round++) {
      const documents = Array.from({ length: 40 }, (_, i) => document(random, `t${i}`));
      const spec: SortSpec = Array.from({ length: 1 + random.int(3) }, () => [random.pick(fields), random.chance(0.5) ? 1 : -1]);
      const sorted = [...documents].sort(compileSort(spec)).map((d) => d._id);
      const { keysOf, compare } = compileSortKeys(spec);
      const keyed = documents.map((d) => ({ d, keys: keysOf(d) })).sort((a, b) => compare(a.keys, b.keys)).map(({ d }) => d._id);
      expect({ spec, keyed }).toEqual({ spec, keyed: sorted });
    }
  });

  it("compares numbers directly, NaN lowest as MongoDB does", () => {
    const { keysOf, compare } = compileSortKeys([["v", 1]]);
    const values = [3, NaN, -1, null, "a", 2.5, undefined, -Infinity];
    const order = values.map((v) => ({ v, keys: keysOf({ v }) })).sort((a, b) => compare(a.keys, b.keys)).map(({ v }) => v);
    expect(order).toEqual([null, undefined, NaN, -Infinity, -1, 2.5, 3, "a"]);
  });
});
