/**
 * labtasker v2's filter language and listing helpers, beside v1's: the `filter` of v2's task and worker listings,
 * counts and bulk updates (a strict Python-expression subset, compiled to a predicate over v2 documents), the
 * `name_fuzzy` search, the listing order and its keyset cursors. Pure: no I/O. See docs/filter.md ("v2 filters").
 */
export { compileV2Filter, compileV2TaskFilter, compileV2WorkerFilter, type CompiledV2Filter, type V2Predicate } from "./compile.js";
export {
  parseV2Filter,
  type V2CompareOperator,
  type V2FilterNode,
  type V2FilterTarget,
  type V2MembershipOperator,
  type V2Path,
} from "./parse.js";
export { INVALID_CURSOR_MESSAGE, V2CursorError, V2FilterError, type V2FilterErrorCode, type V2FilterErrorDetails } from "./errors.js";
export {
  V2_LAST_ERROR_FIELDS,
  V2_MAX_FILTER_BYTES,
  V2_TASK_DYNAMIC_ROOTS,
  V2_TASK_FIXED_FIELDS,
  V2_TASK_STATUSES,
  V2_WORKER_DYNAMIC_ROOTS,
  V2_WORKER_FIXED_FIELDS,
  V2_WORKER_STATUSES,
  type V2FieldSpec,
  type V2FieldType,
} from "./fields.js";
export { caseFold, compileNameFuzzy, fuzzyWords, nameMatchesFuzzy } from "./name-fuzzy.js";
export {
  V2_DEFAULT_TASK_ORDER,
  V2_NULLABLE_ORDER_FIELDS,
  V2_TASK_ORDER_FIELDS,
  compareV2TaskPositions,
  createV2TaskAfter,
  createV2TaskComparator,
  isV2TaskOrderField,
  v2TaskPosition,
  v2TaskSortValue,
  type V2SortValue,
  type V2TaskOrderField,
  type V2TaskPosition,
} from "./order.js";
export {
  decodeV2PositionCursor,
  decodeV2TaskCursor,
  encodeV2PositionCursor,
  encodeV2TaskCursor,
  v2TaskCountSelection,
  v2WorkerCountSelection,
  v2WorkerListSelection,
  type V2PositionSelection,
  type V2TaskListSelection,
} from "./cursor.js";
export { TIMESTAMP_NOT_STRICT, TIMESTAMP_NOT_VALID, parseTimestampLiteral, timestampMicros } from "./timestamps.js";
export { compareCodePoints, type V2Scalar } from "./values.js";
