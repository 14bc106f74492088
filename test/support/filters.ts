import type { FilterEngine } from "../../src/broker/context.js";

/**
 * A filter engine for broker tests that pass compiled predicates: compiling text is not the broker's job, and the
 * filter language has its own suite. Sorting compares numbers, strings and dates, with null/missing first.
 */
export const testFilters: FilterEngine = {
  compile(input) {
    throw new Error(`broker tests pass predicates, not filter text (got ${JSON.stringify(input)})`);
  },
  compileSort(spec) {
    return (a, b) => {
      for (const [field, direction] of spec) {
        const x = field.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], a);
        const y = field.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], b);
        const order = x == null ? (y == null ? 0 : -1) : y == null ? 1 : x < y ? -1 : x > y ? 1 : 0;
        if (order !== 0) return order * direction;
      }
      return 0;
    };
  },
};
