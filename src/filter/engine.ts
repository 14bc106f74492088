/**
 * The filter engine the broker takes (its `FilterEngine`: `compile(input, kind)` and `compileSort(spec)`), built
 * on this module. It is structural, so src/filter does not import from the broker above it.
 */
import { compileFilter, type CompileOptions, type FilterInput } from "./compile.js";
import { FilterError } from "./errors.js";
import { TASK_FILTER_FIELDS, WORKER_FILTER_FIELDS } from "./fields.js";
import { compileSort, type SortSpec } from "./sort.js";

export interface FilterEngineLike {
  /** A synchronous predicate over task or worker documents; throws FilterError for a malformed filter. */
  compile(input: FilterInput, kind: "task" | "worker"): (document: Record<string, unknown>) => boolean;
  compileSort(spec: SortSpec): (a: Record<string, unknown>, b: Record<string, unknown>) => number;
}

/**
 * The default engine: task filters checked against v1's allow-list, worker filters against the worker fields.
 * A filter holding user JSONata is refused here (a FilterError at compile time, not at the first document),
 * because JSONata evaluates asynchronously and this interface is synchronous; callers that can await use
 * `compileFilter(...).evaluate()` instead.
 */
export function createFilterEngine(options: Pick<CompileOptions, "now"> = {}): FilterEngineLike {
  return {
    compile(input, kind) {
      const filter = compileFilter(input, { ...options, fields: kind === "worker" ? WORKER_FILTER_FIELDS : TASK_FILTER_FIELDS });
      if (filter.async) {
        throw new FilterError("JSONata filters need asynchronous evaluation, which this operation does not support", { path: "$jsonata" });
      }
      return (document) => filter.test(document);
    },
    compileSort: (spec) => compileSort(spec),
  };
}
