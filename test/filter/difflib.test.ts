/** The "did you mean" suggestions, checked against values Python's difflib gives for the same inputs. */
import { describe, expect, it } from "vitest";
import { TASK_FILTER_FIELDS, closeMatches, similarityRatio } from "../../src/filter/index.js";

describe("difflib", () => {
  it.each([
    ["abcd", "bcde", 0.75],
    ["args", "arg", 6 / 7],
    ["metadata", "metdata", 14 / 15],
    ["", "", 1],
    ["abc", "", 0],
    ["status", "statsu", 10 / 12],
  ])("ratio(%j, %j) = %d", (a, b, expected) => {
    expect(similarityRatio(a, b)).toBeCloseTo(expected, 12);
  });

  it("suggests as get_close_matches does", () => {
    expect(closeMatches("appel", ["ape", "apple", "peach", "puppy"])).toEqual(["apple", "ape"]);
    expect(closeMatches("arg", TASK_FILTER_FIELDS, 1)).toEqual(["args"]);
    expect(closeMatches("taskname", TASK_FILTER_FIELDS, 1)).toEqual(["task_name"]);
    expect(closeMatches("worker", TASK_FILTER_FIELDS, 1)).toEqual(["worker_id"]);
    expect(closeMatches("xyz", TASK_FILTER_FIELDS, 1)).toEqual([]);
  });
});
