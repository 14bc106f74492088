/**
 * Our v2 filter language, name_fuzzy, order and cursors against what labtasker 2.8.0's own server answered for the
 * same input (recorded in real-server.cases.ts): the same filters accepted and refused (code, message, details),
 * the same tasks and workers matched, the same orders, byte-identical cursors.
 */
import { describe, expect, it } from "vitest";
import {
  V2FilterError,
  compileNameFuzzy,
  compileV2Filter,
  createV2TaskComparator,
  encodeV2PositionCursor,
  encodeV2TaskCursor,
  decodeV2TaskCursor,
  isV2TaskOrderField,
  v2TaskCountSelection,
  v2TaskPosition,
  v2WorkerCountSelection,
  v2WorkerListSelection,
  type V2TaskListSelection,
} from "../../../src/filter/index.js";
import { parseJson } from "../../../src/json.js";
import {
  FILTER_CASES,
  FIXTURES_JSON,
  FUZZY_CASES,
  ORDER_CASES,
  SELECTION_CASES,
  TASK_GROUP_PAGE,
  WORKER_GROUP_PAGE,
  WORKER_PAGE,
  type RealFilterCase,
} from "./real-server.cases.js";

type Doc = Record<string, unknown>;
const fixtures = parseJson(FIXTURES_JSON) as unknown as { tasks: Doc[]; workers: Doc[] };
const QUEUE = "filters";

function answer(row: RealFilterCase): { matches: string[] } | { error: { code: string; message: string; details: object } } {
  try {
    const filter = compileV2Filter(row.filter, row.target);
    const documents = row.target === "task" ? fixtures.tasks : fixtures.workers;
    return { matches: documents.filter((doc) => filter.test(doc)).map((doc) => doc.id as string) };
  } catch (error) {
    if (!(error instanceof V2FilterError)) throw error;
    return { error: { code: error.code, message: error.message, details: error.details } };
  }
}

const SYNTAX = "Filter syntax is invalid.";

/**
 * Where we answer differently, on purpose. Python parses these, and 2.8.0 then refuses them as "not a predicate"
 * or "not a scalar"; v1's parser (which we share) stops at the construct itself, and we pass on its message, which
 * names it: the same code, a clearer message (a star, as in `[*a]`, stays a syntax error, as a bare `*a` is in Python). `\N{name}` escapes need Unicode's name table, which we do not carry:
 * 2.8.0 accepts them, we refuse them and say to write the character (or `\u`) instead.
 */
const KNOWN_DIFFERENCES: Record<string, { message: string; column: number }> = {
  'name == "\\N{LATIN CAPITAL LETTER U WITH DIAERESIS}berlauf \\xdf test"': {
    message: "\\N{...} escapes are not supported here; write the character itself or use \\u.",
    column: 10,
  },
  'name == f"x"': { message: "F-strings are not supported in filters.", column: 9 },
  "name == ...": { message: "Ellipsis (...) is not supported in filters.", column: 9 },
  "lambda: 1": { message: "Lambda expressions are not supported in filters.", column: 1 },
  'status == "pending" if True else False': { message: "Conditional expressions (x if c else y) are not supported in filters.", column: 21 },
  "status == (x := 1)": { message: "Assignment expressions (:=) are not supported in filters.", column: 14 },
  "await x": { message: "'await' is not supported in filters.", column: 1 },
  // Python takes `[*a]` (a list) and 2.8.0 refuses it as no scalar; we stop at the star, as at any other.
  "status == [*a]": { message: "Filter syntax is invalid.", column: 12 },
};

describe("filters: the answers of labtasker 2.8.0's server", () => {
  it("holds a table worth checking", () => {
    expect(FILTER_CASES.filter((row) => row.matches !== undefined).length).toBeGreaterThan(200);
    expect(FILTER_CASES.filter((row) => row.error !== undefined).length).toBeGreaterThan(150);
  });

  it.each(FILTER_CASES.map((row) => [`${row.target}: ${JSON.stringify(row.filter)}`, row] as const))("%s", (_name, row) => {
    const known = KNOWN_DIFFERENCES[row.filter];
    const anyColumn = { column: expect.any(Number) as number };
    // Python's SyntaxError offsets are its parser's own (0 at the end of input, sometimes past the token): for those
    // we give the column where our parser stopped. Every other column is Python's col_offset + 1, in UTF-8 bytes.
    const expected =
      known !== undefined
        ? { error: { code: "invalid_filter", message: known.message, details: { column: known.column } } }
        : row.matches !== undefined
          ? { matches: row.matches }
          : row.error?.message === SYNTAX
            ? { error: { code: row.error.code, message: SYNTAX, details: anyColumn } }
            : { error: row.error };
    expect(answer(row)).toEqual(expected);
  });
});

describe("filters at the size limit (recorded from the same server)", () => {
  const exact = (prefix: string, fill: string, bytes: number, suffix = '"'): string => {
    const unit = Buffer.byteLength(fill);
    const room = bytes - Buffer.byteLength(prefix) - Buffer.byteLength(suffix);
    return prefix + fill.repeat(Math.floor(room / unit)) + suffix;
  };

  it("accepts 8192 bytes and refuses 8193 (counted in UTF-8, not characters)", () => {
    expect(answer({ filter: exact('status == "', "x", 8192), target: "task" })).toEqual({
      error: { code: "invalid_filter", message: "Status literal is not a valid Task status.", details: {} },
    });
    const tooLarge = { error: { code: "filter_too_large", message: "Filter exceeds the 8192-byte limit.", details: { max_bytes: 8192 } } };
    expect(answer({ filter: exact('status == "', "x", 8193), target: "task" })).toEqual(tooLarge);
    // 4,091 two-byte characters: 8,192 bytes, accepted; one more is over, though far fewer than 8,192 characters.
    expect(answer({ filter: exact('name == "', "é", 8192), target: "task" })).toEqual({ matches: [] });
    expect(answer({ filter: exact('name == "', "é", 8194), target: "task" })).toEqual(tooLarge);
    expect(answer({ filter: `${'status == "pending" or '.repeat(400)}priority > 0`, target: "task" })).toEqual(tooLarge);
  });

  it("nests 200 brackets, not 201; takes 1,000 `not` and 2,000 minus signs to their real refusal", () => {
    const nested = (depth: number): string => `${"(".repeat(depth)}status == "pending"${")".repeat(depth)}`;
    expect(answer({ filter: nested(150), target: "task" })).toEqual({ matches: ["t_aaaaaaaaaaa3", "t_aaaaaaaaaaa6"] });
    expect(answer({ filter: nested(200), target: "task" })).toEqual({ matches: ["t_aaaaaaaaaaa3", "t_aaaaaaaaaaa6"] });
    expect(answer({ filter: nested(250), target: "task" })).toEqual({ error: { code: "invalid_filter", message: SYNTAX, details: { column: 201 } } });
    expect(answer({ filter: `${"not ".repeat(1000)}status == "pending"`, target: "task" })).toEqual({
      error: { code: "invalid_filter", message: "A filter predicate must be one comparison or membership test.", details: { column: 1 } },
    });
    expect(answer({ filter: `priority == ${"-".repeat(2000)}1`, target: "task" })).toEqual({
      error: { code: "invalid_filter", message: "Filter values must be scalar JSON literals.", details: { column: 13 } },
    });
  });
});

describe("order and cursors: the same as labtasker 2.8.0's", () => {
  it.each(ORDER_CASES.map((row) => [`${row.order_by} ${row.descending ? "desc" : "asc"}`, row] as const))("%s", (_name, row) => {
    if (!isV2TaskOrderField(row.order_by)) throw new Error(`not an order field: ${row.order_by}`);
    const sorted = [...fixtures.tasks].sort(createV2TaskComparator(row.order_by, row.descending));
    expect(sorted.map((task) => task.id)).toEqual(row.ids);
    const selection: V2TaskListSelection = {
      queue: QUEUE,
      includeArchived: true,
      status: null,
      name: null,
      nameFuzzy: null,
      filter: null,
      orderBy: row.order_by,
      descending: row.descending,
    };
    const last = sorted[1] as Doc;
    expect(encodeV2TaskCursor(selection, v2TaskPosition(last, row.order_by))).toBe(row.next_cursor);
    expect(decodeV2TaskCursor(row.next_cursor, selection)).toEqual(v2TaskPosition(last, row.order_by));
  });

  it.each(SELECTION_CASES.filter((row) => row.next_cursor !== null).map((row) => [JSON.stringify(row.params), row] as const))(
    "the cursor of %s",
    (_name, row) => {
      const params = row.params;
      const orderBy = String(params.order_by ?? "created_at");
      if (!isV2TaskOrderField(orderBy)) throw new Error(orderBy);
      const selection: V2TaskListSelection = {
        queue: QUEUE,
        includeArchived: params.include_archived === "true",
        status: (params.status as string | undefined) ?? null,
        name: (params.name as string | undefined) ?? null,
        nameFuzzy: (params.name_fuzzy as string | undefined) ?? null,
        filter: (params.filter as string | undefined) ?? null,
        orderBy,
        descending: params.descending !== "false",
      };
      const last = fixtures.tasks.find((task) => task.id === row.ids[row.ids.length - 1]) as Doc;
      expect(encodeV2TaskCursor(selection, v2TaskPosition(last, orderBy))).toBe(row.next_cursor);
    },
  );

  it("writes worker-listing and grouped-count cursors as 2.8.0 does", () => {
    expect(encodeV2PositionCursor(v2WorkerListSelection(QUEUE, WORKER_PAGE.filter), WORKER_PAGE.ids)).toBe(WORKER_PAGE.next_cursor);
    const lastGroup = TASK_GROUP_PAGE.items[TASK_GROUP_PAGE.items.length - 1]!.key as Record<string, string>;
    const taskGroups = v2TaskCountSelection({
      queue: QUEUE,
      includeArchived: true,
      status: null,
      name: null,
      nameFuzzy: null,
      filter: null,
      groupBy: TASK_GROUP_PAGE.group_by,
    });
    expect(encodeV2PositionCursor(taskGroups, TASK_GROUP_PAGE.group_by.map((field) => lastGroup[field]!))).toBe(TASK_GROUP_PAGE.next_cursor);
    const workerGroups = v2WorkerCountSelection(QUEUE, null, WORKER_GROUP_PAGE.group_by);
    const lastWorkerGroup = WORKER_GROUP_PAGE.items[0]!.key as Record<string, string>;
    expect(encodeV2PositionCursor(workerGroups, [lastWorkerGroup.status!])).toBe(WORKER_GROUP_PAGE.next_cursor);
  });
});

describe("name_fuzzy: the same tasks as labtasker 2.8.0's", () => {
  it.each(FUZZY_CASES.map((row) => [JSON.stringify(row.query), row] as const))("%s", (_name, row) => {
    const matches = compileNameFuzzy(row.query);
    expect(fixtures.tasks.filter((task) => matches(task.name as string | null)).map((task) => task.id)).toEqual(row.ids);
  });
});
