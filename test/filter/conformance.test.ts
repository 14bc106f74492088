/**
 * The conformance suite: every case runs through both evaluators, the JavaScript predicate (`test()`, what the
 * broker uses) and the JSONata program (`evaluateJsonata()`), which must both return MongoDB's answer.
 */
import { describe, it } from "vitest";
import { WORKER_FILTER_FIELDS } from "../../src/filter/index.js";
import { MONGO_CASES, PYTHON_CASES, SEED_CASES, TASKS, WORKERS, WORKER_CASES, type Case } from "./conformance.cases.js";
import { expectMatches } from "./helpers.js";

const label = (item: Case): string => (typeof item.filter === "string" ? item.filter : JSON.stringify(item.filter)) + (item.note ? ` (${item.note})` : "");

describe("conformance: seeds and contract examples", () => {
  it.each(SEED_CASES.map((item) => [label(item), item] as const))("%s", async (_label, item) => {
    await expectMatches(item.filter, TASKS, item.expected);
  });
});

describe("conformance: MongoDB semantics", () => {
  it.each(MONGO_CASES.map((item) => [label(item), item] as const))("%s", async (_label, item) => {
    await expectMatches(item.filter, TASKS, item.expected);
  });
});

describe("conformance: Python syntax", () => {
  it.each(PYTHON_CASES.map((item) => [label(item), item] as const))("%s", async (_label, item) => {
    await expectMatches(item.filter, TASKS, item.expected);
  });
});

describe("conformance: worker filters", () => {
  it.each(WORKER_CASES.map((item) => [label(item), item] as const))("%s", async (_label, item) => {
    await expectMatches(item.filter, WORKERS, item.expected, { fields: WORKER_FILTER_FIELDS });
  });
});
