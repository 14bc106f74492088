/**
 * A rule's `on`: one of the named conditions, or a filter over the task after each of its transitions, in the filter
 * language of `task ls -f` (the task's v1 fields, plus `event.old_state` / `event.new_state`: the transition). A
 * filter that does not compile is refused when the rule is created, with the line and column of the error.
 */
import { NOTIFY_CONDITIONS, type NotifyCondition } from "../core/notify.js";
import { BadRequestError } from "../core/errors.js";
import type { DocumentPredicate } from "../core/api.js";
import { compileFilter, FilterError, TASK_FILTER_FIELDS } from "../filter/index.js";

export type Condition = { kind: "queue-done" } | { kind: "worker-crashed" } | { kind: "filter"; predicate: DocumentPredicate };

/** The fields a condition's filter may use: a task's, and the transition as `event`. */
const CONDITION_FIELDS: readonly string[] = [...TASK_FILTER_FIELDS, "event"];

/**
 * The condition `on` names.
 * @throws BadRequestError for an empty `on` or a filter that does not compile (with where: line and column, or the
 * path inside a MongoDB document).
 */
export function compileCondition(on: string): Condition {
  try {
    return conditionOf(on);
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    throw new BadRequestError(`Invalid filter in on: ${describeFilterError(error)}`);
  }
}

/**
 * The condition `on` names, a filter that does not compile throwing the filter language's FilterError, which the CLI
 * prints with a caret under the column.
 */
export function conditionOf(on: string): Condition {
  const text = on.trim();
  if ((NOTIFY_CONDITIONS as readonly string[]).includes(text)) return { kind: text as NotifyCondition } as Condition;
  if (text === "") throw new BadRequestError(`on must be a filter or one of ${NOTIFY_CONDITIONS.join(", ")} (got an empty string)`);
  const compiled = compileFilter(text, { fields: CONDITION_FIELDS });
  const predicate: DocumentPredicate = compiled.async ? (document) => compiled.evaluate(document) : (document) => compiled.test(document);
  return { kind: "filter", predicate };
}

/** A filter error in one line: where (line and column, or the document path), then why. */
export function describeFilterError(error: FilterError): string {
  if (error.line !== undefined && error.column !== undefined) return `line ${error.line}, column ${error.column}: ${error.message}`;
  if (error.path) return `at ${error.path}: ${error.message}`;
  return error.message;
}
