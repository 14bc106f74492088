/**
 * The filter language of labtasker-redis: Python-style expressions and MongoDB query documents (labtasker v1's
 * two syntaxes) plus JSONata, compiled to one representation and evaluated over task and worker documents with
 * MongoDB's semantics. Pure: no I/O. See docs/filter.md for the grammar and the evaluators.
 */
export {
  compileFilter,
  toWireFilter,
  type CompileOptions,
  type CompiledFilter,
  type FilterInput,
} from "./compile.js";
export { createFilterEngine, type FilterEngineLike } from "./engine.js";
export { FilterError, FilterSyntaxError, PythonLiteralError, formatFilterError, type FilterErrorLocation } from "./errors.js";
export { TASK_FILTER_FIELDS, WORKER_FILTER_FIELDS, unknownFieldMessage } from "./fields.js";
export { closeMatches, similarityRatio } from "./difflib.js";
export { parsePythonLiteral, parseLocatedLiteral, type LocatedLiteral } from "./python/literal.js";
export { transpilePythonFilter, type TranspileOptions, type TranspileResult } from "./python/transpile.js";
export { parseHumanDate } from "./date.js";
export {
  DEFAULT_API_SORT,
  DEFAULT_TASK_LS_SORT,
  compileSort,
  compileSortKeys,
  parseSortOption,
  parseSortOptions,
  sortDocuments,
  validateSortSpec,
  type SortKeys,
  type SortSpec,
} from "./sort.js";
export { JSONATA_LIMITS, JSONATA_OPERATOR, JSONATA_PREFIX } from "./jsonata.js";
export { datetimeMarker, isDatetimeMarker, parseIsoDatetime, pythonIsoformat, toWireValue } from "./wire.js";
export { compareValues, valuesEqual } from "./runtime/bson.js";
export type { Query, Value, ValueTest, Agg } from "./ir.js";
export { queryRoots } from "./ir.js";
/** labtasker v2's filter language, `name_fuzzy`, listing order and cursors (src/filter/v2). */
export * from "./v2/index.js";
