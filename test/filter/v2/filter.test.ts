/**
 * v2's filter language, name_fuzzy, order and cursors: the behaviours the recorded table (real-server.test.ts)
 * cannot show: the error's position for display, documents of every number form, instants across offsets, the
 * cursor refusals, the comparator's tie-breaks.
 */
import { describe, expect, it } from "vitest";
import {
  FilterError,
  V2CursorError,
  V2FilterError,
  compareCodePoints,
  compileV2TaskFilter,
  compileV2WorkerFilter,
  createV2TaskAfter,
  createV2TaskComparator,
  decodeV2PositionCursor,
  decodeV2TaskCursor,
  encodeV2PositionCursor,
  encodeV2TaskCursor,
  nameMatchesFuzzy,
  parseTimestampLiteral,
  parseV2Filter,
  timestampMicros,
  v2TaskPosition,
  v2WorkerListSelection,
  type V2TaskListSelection,
} from "../../../src/filter/index.js";
import { LosslessNumber, parseJson } from "../../../src/json.js";

function errorOf(run: () => unknown): V2FilterError {
  try {
    run();
  } catch (error) {
    if (error instanceof V2FilterError) return error;
    throw error;
  }
  throw new Error("expected a V2FilterError");
}

const task = (fields: Record<string, unknown>): Record<string, unknown> => ({
  id: "t_000000000000",
  queue: "q",
  status: "pending",
  archived: false,
  name: null,
  args: {},
  metadata: {},
  priority: 0,
  attempt: 0,
  max_attempts: 3,
  routes: ["default"],
  dependencies: [],
  result: {},
  progress: null,
  progress_updated_at: null,
  progress_attempt: null,
  last_error: null,
  last_route: null,
  created_at: "2026-01-01T00:00:00.000000Z",
  updated_at: "2026-01-01T00:00:00.000000Z",
  started_at: null,
  finished_at: null,
  ...fields,
});

describe("v2 filter errors", () => {
  it("are FilterErrors with v2's code and details, and a line and column for the caret", () => {
    const error = errorOf(() => compileV2TaskFilter('(status == "pending" and\n   bogus == 1)'));
    expect(error).toBeInstanceOf(FilterError);
    expect(error.code).toBe("invalid_filter");
    expect(error.message).toBe("Unsupported filter path 'bogus'.");
    expect(error.details).toEqual({ column: 4 });
    expect([error.line, error.column]).toEqual([2, 4]);
    expect(error.format()).toContain("^  <-- Error here (Column: 4)");
  });

  it("count details.column in UTF-8 bytes, as Python's col_offset, and the display column in characters", () => {
    const error = errorOf(() => compileV2TaskFilter('name == "日本" and bogus == 1'));
    expect(error.details).toEqual({ column: 22 });
    expect(error.column).toBe(18);
  });

  it("keep the position of type errors for display, though 2.8.0's details carry none", () => {
    const error = errorOf(() => compileV2TaskFilter('priority > 0 or status == "done"'));
    expect(error.message).toBe("Status literal is not a valid Task status.");
    expect(error.details).toEqual({});
    expect(error.column).toBe(17);
  });

  it("report the first error in text order, parse errors before type errors (2.8.0 parses all, then compiles)", () => {
    expect(errorOf(() => compileV2TaskFilter('status == "done" and bogus == 1')).message).toBe("Unsupported filter path 'bogus'.");
    expect(errorOf(() => compileV2TaskFilter('priority == "1" and status == "done"')).message).toBe("This field requires a numeric literal.");
  });

  it("refuse a lone surrogate in the text, before anything else", () => {
    expect(errorOf(() => compileV2TaskFilter('name == "\ud800"')).message).toBe("Filter contains a lone Unicode surrogate.");
  });

  it("refuse v1's extensions: not, regex, date, Mongo documents", () => {
    for (const text of ['not status == "pending"', 'regex(name, "^a")', 'created_at > date("3 days ago")', '{"status": "pending"}']) {
      expect(errorOf(() => compileV2TaskFilter(text)).code).toBe("invalid_filter");
    }
  });
});

describe("v2 filter evaluation over documents", () => {
  it("compares numbers by exact value, whatever their form (plain, lossless, bigint)", () => {
    const big = task({ args: { n: new LosslessNumber("9223372036854775807"), f: new LosslessNumber("3.0"), b: 5n } });
    expect(compileV2TaskFilter("args.n == 9223372036854775807").test(big)).toBe(true);
    expect(compileV2TaskFilter("args.n > 9223372036854775806").test(big)).toBe(true);
    expect(compileV2TaskFilter("args.n == 9223372036854775806").test(big)).toBe(false);
    expect(compileV2TaskFilter("args.f == 3").test(big)).toBe(true);
    expect(compileV2TaskFilter("args.b in [5.0]").test(big)).toBe(true);
    expect(compileV2TaskFilter("args.b < 5.5").test(big)).toBe(true);
  });

  it("reads a parsed v2 document as the HTTP layer holds it", () => {
    const doc = parseJson('{"id":"t_x","priority":9007199254740993,"args":{"x":1.0}}') as Record<string, unknown>;
    expect(compileV2TaskFilter("priority == 9007199254740993").test(doc)).toBe(true);
    expect(compileV2TaskFilter("priority == 9007199254740992").test(doc)).toBe(false);
    expect(compileV2TaskFilter("args.x == 1").test(doc)).toBe(true);
  });

  it("compares timestamps as instants, to the microsecond, whatever offset either side is written with", () => {
    const doc = task({ created_at: "2026-03-01T10:00:00.000001+02:00", started_at: new Date("2026-03-01T08:00:00.000Z") });
    expect(compileV2TaskFilter('created_at == "2026-03-01T08:00:00.000001Z"').test(doc)).toBe(true);
    expect(compileV2TaskFilter('created_at > "2026-03-01T08:00:00Z"').test(doc)).toBe(true);
    expect(compileV2TaskFilter('created_at < "2026-03-01T08:00:00.000002Z"').test(doc)).toBe(true);
    expect(compileV2TaskFilter('started_at == "2026-03-01T03:00:00-05:00"').test(doc)).toBe(true);
  });

  it("never matches through arrays or prototype names", () => {
    const doc = task({ args: { list: [{ x: 1 }], obj: {} } });
    expect(compileV2TaskFilter("args.list.x == 1").test(doc)).toBe(false);
    expect(compileV2TaskFilter("exists(args.obj.constructor)").test(doc)).toBe(false);
    expect(compileV2TaskFilter("exists(args.toString)").test(doc)).toBe(false);
  });

  it("filters worker observations on their own fields", () => {
    const worker = { id: "w_1", queue: "q", route: "gpu", status: "busy", task_id: null, metadata: { host: "a" }, telemetry: null };
    expect(compileV2WorkerFilter('route == "gpu" and metadata.host == "a" and task_id == None').test(worker)).toBe(true);
    expect(compileV2WorkerFilter("exists(telemetry.util)").test(worker)).toBe(false);
    expect(errorOf(() => compileV2WorkerFilter('"gpu" in routes')).message).toBe("Unsupported Worker filter path 'routes'.");
  });

  it("caches compiled filters by text and target", () => {
    expect(compileV2TaskFilter("priority > 1")).toBe(compileV2TaskFilter("priority > 1"));
    expect(parseV2Filter("-1 < priority")).toEqual({ kind: "comparison", path: { root: "priority", segments: [] }, operator: ">", value: -1n, offset: 0 });
  });
});

describe("timestamps", () => {
  it("parses strict RFC 3339 literals to microseconds", () => {
    expect(parseTimestampLiteral("1970-01-01T00:00:01.5Z")).toBe(1_500_000);
    expect(parseTimestampLiteral("1970-01-01T01:00:00+01:00")).toBe(0);
    expect(parseTimestampLiteral("2024-02-29T00:00:00+00:99")).toBe(Date.UTC(2024, 1, 28, 22, 21) * 1000);
    expect(() => parseTimestampLiteral("2023-02-29T00:00:00Z")).toThrow("valid RFC 3339 time");
    expect(() => parseTimestampLiteral("2024-01-01T00:00:00")).toThrow("strict RFC 3339 string");
    expect(timestampMicros("not a time")).toBeUndefined();
  });
});

describe("name_fuzzy", () => {
  it("matches each word as a case-folded subsequence, independently", () => {
    expect(nameMatchesFuzzy("resnet50 lr sweep", "rsn swp")).toBe(true);
    expect(nameMatchesFuzzy("resnet50 lr sweep", "sweep res")).toBe(true);
    expect(nameMatchesFuzzy("resnet50 lr sweep", "pews")).toBe(false);
    expect(nameMatchesFuzzy("STRASSE", "straße")).toBe(true);
    expect(nameMatchesFuzzy("ΣΊΣΥΦΟΣ", "σίσυφος")).toBe(true);
    expect(nameMatchesFuzzy("Istanbul", "ıstanbul")).toBe(false);
    expect(nameMatchesFuzzy(null, " \t")).toBe(true);
    expect(nameMatchesFuzzy(null, "a")).toBe(false);
  });
});

describe("order", () => {
  it("puts nulls last both ways and breaks ties by id in the same direction", () => {
    const tasks = [
      task({ id: "t_b", name: null }),
      task({ id: "t_a", name: "x" }),
      task({ id: "t_c", name: "x" }),
      task({ id: "t_d", name: "\u{1F600}" }),
      task({ id: "t_e", name: "\uFFFD" }),
    ];
    expect([...tasks].sort(createV2TaskComparator("name", false)).map((t) => t.id)).toEqual(["t_a", "t_c", "t_e", "t_d", "t_b"]);
    expect([...tasks].sort(createV2TaskComparator("name", true)).map((t) => t.id)).toEqual(["t_d", "t_e", "t_c", "t_a", "t_b"]);
  });

  it("orders int64 priorities exactly", () => {
    const tasks = [task({ id: "t_1", priority: new LosslessNumber("9223372036854775807") }), task({ id: "t_2", priority: new LosslessNumber("9223372036854775806") })];
    expect([...tasks].sort(createV2TaskComparator("priority", false)).map((t) => t.id)).toEqual(["t_2", "t_1"]);
  });

  it("compares strings by code point", () => {
    expect(compareCodePoints("\uFFFF", "\u{10000}")).toBeLessThan(0);
    expect("\uFFFF" < "\u{10000}").toBe(false);
  });

  it("resumes after a cursor's position: later values, equal values with a later id, then the nulls", () => {
    const position = v2TaskPosition(task({ id: "t_m", finished_at: "2026-01-01T00:00:00Z" }), "finished_at");
    const after = createV2TaskAfter(position, "finished_at", false);
    expect(after(task({ id: "t_z", finished_at: "2026-01-01T00:00:00.000001Z" }))).toBe(true);
    expect(after(task({ id: "t_n", finished_at: "2026-01-01T01:00:00+01:00" }))).toBe(true);
    expect(after(task({ id: "t_a", finished_at: "2026-01-01T00:00:00Z" }))).toBe(false);
    expect(after(task({ id: "t_a", finished_at: null }))).toBe(true);
  });
});

describe("cursors", () => {
  const selection: V2TaskListSelection = {
    queue: "q",
    includeArchived: false,
    status: null,
    name: null,
    nameFuzzy: null,
    filter: 'status == "pending"',
    orderBy: "priority",
    descending: true,
  };

  it("round-trip a position, int64 included", () => {
    const cursor = encodeV2TaskCursor(selection, { value: 2n ** 63n - 1n, id: "t_abc" });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeV2TaskCursor(cursor, selection)).toEqual({ value: 2n ** 63n - 1n, id: "t_abc" });
  });

  it("refuse a cursor from another selection or ordering", () => {
    const cursor = encodeV2TaskCursor(selection, { value: 1n, id: "t_abc" });
    for (const other of [{ filter: null }, { descending: false }, { includeArchived: true }, { nameFuzzy: "" }, { queue: "r" }]) {
      expect(() => decodeV2TaskCursor(cursor, { ...selection, ...other })).toThrow(V2CursorError);
    }
  });

  it("refuse malformed cursors and positions of the wrong type, with one message", () => {
    const encode = (payload: unknown): string => Buffer.from(JSON.stringify(payload)).toString("base64url");
    const digestOf = (cursor: string): unknown => (JSON.parse(Buffer.from(cursor, "base64url").toString()) as { selection: unknown }).selection;
    const digest = digestOf(encodeV2TaskCursor(selection, { value: 1n, id: "t_abc" }));
    const bad = [
      "",
      "%%%",
      "a",
      encode([1]),
      encode({ v: 2, selection: digest }),
      encode({ v: 3, selection: digest, position: { value: 1, id: "t_a" } }),
      encode({ v: true, selection: digest, position: { value: 1, id: "t_a" } }),
      encode({ v: 2, selection: digest, position: { value: 1.5, id: "t_a" } }),
      encode({ v: 2, selection: digest, position: { value: "1", id: "t_a" } }),
      encode({ v: 2, selection: digest, position: { value: null, id: "t_a" } }),
      encode({ v: 2, selection: digest, position: { value: 1, id: "" } }),
      encode({ v: 2, selection: digest, position: { value: 1, id: "t_a", extra: 1 } }),
      "x".repeat(16_385),
    ];
    for (const cursor of bad) {
      const run = (): unknown => decodeV2TaskCursor(cursor, selection);
      expect(run).toThrow(V2CursorError);
      expect(run).toThrow("Cursor is malformed or does not match this request.");
    }
    expect(decodeV2TaskCursor(encode({ v: 2, selection: digest, position: { value: -5, id: "t_a" } }), selection)).toEqual({ value: -5n, id: "t_a" });
  });

  it("bind worker-listing positions to their selection and width", () => {
    const list = v2WorkerListSelection("q", null);
    const cursor = encodeV2PositionCursor(list, ["w_1"]);
    expect(decodeV2PositionCursor(cursor, list, 1)).toEqual(["w_1"]);
    expect(() => decodeV2PositionCursor(cursor, v2WorkerListSelection("q", 'status == "idle"'), 1)).toThrow(V2CursorError);
    expect(() => decodeV2PositionCursor(cursor, list, 2)).toThrow(V2CursorError);
  });
});
