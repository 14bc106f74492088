import { WORKER_FILTER_FIELDS, compileFilter, compileSort, compileSortKeys, queryRoots } from "../filter/index.js";
import type { FilterEngine } from "./context.js";

/**
 * The filter language of src/filter as the broker's engine: Python-style expressions and MongoDB query documents run
 * as compiled JavaScript predicates; a filter holding a JSONata expression is evaluated (asynchronously) by JSONata.
 * Compiled filters are cached by their text there.
 */
export const defaultFilters: FilterEngine = {
  compile(input, kind) {
    const compiled = compileFilter(input, kind === "worker" ? { fields: WORKER_FILTER_FIELDS } : {});
    return compiled.async ? (document) => compiled.evaluate(document) : (document) => compiled.test(document);
  },
  fieldsOf(input, kind) {
    const compiled = compileFilter(input, kind === "worker" ? { fields: WORKER_FILTER_FIELDS } : {});
    // A JSONata expression may read anything.
    return compiled.async ? null : queryRoots(compiled.query);
  },
  compileSort,
  compileSortKeys,
};
