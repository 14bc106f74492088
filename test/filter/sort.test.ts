/**
 * Sort specs: v1's `-S field:asc|desc` option and `[[field, 1|-1]]` wire form, MongoDB's order across types,
 * missing and null first ascending, arrays by their extreme element, and stable ties.
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_TASK_LS_SORT,
  FilterError,
  compileSort,
  parseSortOption,
  parseSortOptions,
  sortDocuments,
  validateSortSpec,
  type SortSpec,
} from "../../src/filter/index.js";

const ids = (documents: Array<{ id: string }>): string[] => documents.map((document) => document.id);
const sortWith = <T extends object>(documents: T[], spec: SortSpec): T[] => [...documents].sort(compileSort(spec));

describe("parseSortOption (v1's -S)", () => {
  it("reads field:asc and field:desc", () => {
    expect(parseSortOption("summary.acc:desc")).toEqual(["summary.acc", -1]);
    expect(parseSortOption("created_at:asc")).toEqual(["created_at", 1]);
  });

  it.each([
    ["summary.acc", "Invalid sort: summary.acc"],
    ["a:b:c", "Invalid sort: a:b:c"],
    ["created_at:DESC", "Invalid order: DESC in sort: created_at:DESC"],
    ["created_at:descending", "Invalid order: descending"],
  ])("rejects %j as v1 does", (option, message) => {
    expect(() => parseSortOption(option)).toThrow(message);
  });

  it("keeps repeated options in order and defaults to v1's task ls order", () => {
    expect(parseSortOptions(["status:asc", "created_at:desc"])).toEqual([
      ["status", 1],
      ["created_at", -1],
    ]);
    expect(parseSortOptions([])).toEqual(DEFAULT_TASK_LS_SORT);
    expect(DEFAULT_TASK_LS_SORT).toEqual([
      ["priority", -1],
      ["last_modified", 1],
      ["created_at", 1],
    ]);
  });
});

describe("compileSort", () => {
  const documents = [
    { id: "string", v: "a" },
    { id: "missing" },
    { id: "number", v: 5 },
    { id: "null", v: null },
    { id: "date", v: new Date(0) },
    { id: "object", v: { a: 1 } },
    { id: "bool", v: false },
    { id: "array", v: [7, 3] },
    { id: "negative", v: -1 },
    { id: "empty", v: [] },
  ];

  it("orders across types as MongoDB does, missing and null first (as equals, so in insertion order)", () => {
    expect(ids(sortWith(documents, [["v", 1]]))).toEqual(["empty", "missing", "null", "negative", "array", "number", "string", "object", "bool", "date"]);
  });

  it("sorts an array by its largest element descending", () => {
    expect(ids(sortWith(documents, [["v", -1]]))).toEqual(["date", "bool", "object", "string", "array", "number", "negative", "missing", "null", "empty"]);
  });

  it("keeps insertion order on ties and uses later keys to break them", () => {
    const tasks = [
      { id: "a", priority: 10, created_at: new Date(3) },
      { id: "b", priority: 20, created_at: new Date(2) },
      { id: "c", priority: 10, created_at: new Date(1) },
      { id: "d", priority: 10, created_at: new Date(1) },
    ];
    expect(ids(sortWith(tasks, [["priority", -1]]))).toEqual(["b", "a", "c", "d"]);
    expect(ids(sortWith(tasks, [["priority", -1], ["created_at", 1]]))).toEqual(["b", "c", "d", "a"]);
  });

  it("sorts on dotted paths, through arrays of documents", () => {
    const tasks = [
      { id: "low", summary: { acc: 0.5 } },
      { id: "none", summary: {} },
      { id: "runs", summary: { runs: [{ acc: 0.9 }, { acc: 0.1 }] } },
      { id: "high", summary: { acc: 0.95 } },
    ];
    expect(ids(sortWith(tasks, [["summary.acc", -1]]))).toEqual(["high", "low", "none", "runs"]);
    expect(ids(sortWith(tasks, [["summary.runs.acc", 1]]))).toEqual(["low", "none", "high", "runs"]);
    expect(ids(sortWith(tasks, [["summary.runs.acc", -1]]))).toEqual(["runs", "low", "none", "high"]);
  });

  it("treats a path through a scalar as missing", () => {
    const tasks = [
      { id: "scalar", a: 5 },
      { id: "deep", a: { b: 1 } },
      { id: "date", a: new Date(0) },
      { id: "null", a: { b: null } },
    ];
    expect(ids(sortWith(tasks, [["a.b", 1]]))).toEqual(["scalar", "date", "null", "deep"]);
  });

  it("gives the same order as sortDocuments, which computes keys once", () => {
    const spec: SortSpec = [["v", -1]];
    expect(ids(sortDocuments(documents, spec))).toEqual(ids(sortWith(documents, spec)));
  });

  it("is antisymmetric on every pair", () => {
    const compare = compileSort([["v", 1]]);
    for (const a of documents) {
      for (const b of documents) expect(Math.sign(compare(a, b))).toBe(-Math.sign(compare(b, a)) || 0);
    }
  });

  it("validates wire specs", () => {
    expect(validateSortSpec([["a", 1], ["b", -1]])).toEqual([
      ["a", 1],
      ["b", -1],
    ]);
    expect(() => validateSortSpec([["a", 2]])).toThrow(FilterError);
    expect(() => validateSortSpec("a")).toThrow("sort must be a list of [field, 1 | -1] pairs");
    expect(() => compileSort([["a"] as unknown as [string, 1]])).toThrow("sort entry must be [field, 1 | -1]");
  });
});
