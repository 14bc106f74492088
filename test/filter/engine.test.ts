/** The broker-facing engine: synchronous predicates, the right allow-list per kind, JSONata refused up front. */
import { describe, expect, it } from "vitest";
import { FilterError, createFilterEngine } from "../../src/filter/index.js";
import type { FilterEngine } from "../../src/broker/context.js";
import { TASKS, WORKERS } from "./conformance.cases.js";

describe("createFilterEngine", () => {
  const engine: FilterEngine = createFilterEngine();

  it("compiles task and worker filters to synchronous predicates", () => {
    const tasks = engine.compile("status == 'pending' and priority >= 10", "task");
    expect(TASKS.filter((task) => tasks(task) === true).map((task) => task._id)).toEqual(["t1", "t4"]);
    const workers = engine.compile({ status: "active" }, "worker");
    expect(WORKERS.filter((worker) => workers(worker) === true).map((worker) => worker._id)).toEqual(["w1"]);
  });

  it("checks worker filters against the worker fields", () => {
    expect(() => engine.compile("args.lr > 1", "worker")).toThrow("Field 'args' is unknown or not allowed.");
    expect(() => engine.compile("args.lr > 1", "task")).not.toThrow();
  });

  it("refuses JSONata filters when compiling, not at the first document", () => {
    expect(() => engine.compile("jsonata: true", "task")).toThrow(FilterError);
  });

  it("sorts with v1's order", () => {
    const sorted = [...TASKS].sort(engine.compileSort([["priority", -1]]));
    expect(sorted.map((task) => task._id)).toEqual(["t3", "t1", "t4", "t2", "t5"]);
  });
});
