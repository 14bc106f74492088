/**
 * Shared helpers of the filter tests: run a filter through both evaluators (the JavaScript predicate behind
 * `test()` and the JSONata program behind `evaluateJsonata()`) and report which documents each one matched.
 */
import { expect } from "vitest";
import { compileFilter, type CompileOptions, type FilterInput } from "../../src/filter/index.js";
import { isLosslessNumber } from "../../src/json.js";

/** The fixed clock of the filter tests: relative dates count from here. */
export const NOW = new Date("2025-07-30T10:20:30.000Z");
export const now = (): Date => NOW;

export interface Identified {
  _id?: unknown;
  idx?: unknown;
}

function idOf(document: Identified): string {
  return String(document._id ?? document.idx);
}

/** Ids of the documents each evaluator matches. */
export async function matchBoth(
  filter: FilterInput,
  documents: readonly Identified[],
  options: CompileOptions = {},
): Promise<{ js: string[]; jsonata: string[] }> {
  const compiled = compileFilter(filter, { now, ...options });
  const js = compiled.async
    ? (await Promise.all(documents.map(async (doc) => ((await compiled.evaluate(doc)) ? idOf(doc) : undefined)))).filter((id) => id !== undefined)
    : documents.filter((doc) => compiled.test(doc)).map(idOf);
  const jsonataIds: string[] = [];
  for (const doc of documents) {
    if (await compiled.evaluateJsonata(doc)) jsonataIds.push(idOf(doc));
  }
  return { js, jsonata: jsonataIds };
}

/** Asserts that both evaluators match exactly `expected` (order-insensitive). */
export async function expectMatches(
  filter: FilterInput,
  documents: readonly Identified[],
  expected: readonly string[],
  options: CompileOptions = {},
): Promise<void> {
  const { js, jsonata } = await matchBoth(filter, documents, options);
  const sorted = [...expected].sort();
  expect({ filter, evaluator: "js", ids: [...js].sort() }).toEqual({ filter, evaluator: "js", ids: sorted });
  expect({ filter, evaluator: "jsonata", ids: [...jsonata].sort() }).toEqual({ filter, evaluator: "jsonata", ids: sorted });
}

/**
 * labtasker's `are_filters_equivalent`: equal after sorting the members of `$and`, `$or`, `$nor`, `$in`, `$nin`
 * and `$all`, where order does not change the meaning (v1 emits `$exists` guards in set order). Numbers are
 * compared by value (a LosslessNumber `3.0` equals 3).
 */
export function normalizeFilter(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeFilter);
  if (isLosslessNumber(value)) return Number((value as { value: string }).value);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (["$and", "$or", "$nor", "$in", "$nin", "$all"].includes(key) && Array.isArray(item)) {
      out[key] = item.map(normalizeFilter).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
    } else {
      out[key] = normalizeFilter(item);
    }
  }
  return out;
}
