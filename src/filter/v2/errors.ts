/**
 * Errors of labtasker v2's filter language and listing cursors. Each carries the code and message labtasker 2.8.0's
 * server answers with (all of them as HTTP 422) and the `details` it puts beside them, so the HTTP layer writes
 * `{"error": {code, message, details}}` straight from the error. A filter error is also a {@link FilterError}: where
 * the position is known it has the line and column (and `format()` draws v1's caret), even where 2.8.0's `details`
 * carry no column (its type checks run after parsing and say only what is wrong).
 */
import { FilterError } from "../errors.js";

/** The error codes of v2's filter and cursor checks. */
export type V2FilterErrorCode = "invalid_filter" | "filter_too_large";

/** What 2.8.0 puts in an error's `details`: `column` (1-based, in UTF-8 bytes of its line) or `max_bytes`. */
export interface V2FilterErrorDetails {
  column?: number;
  max_bytes?: number;
}

/** A v2 filter that cannot be used; match it with `instanceof`, and answer 422 with its `code`. */
export class V2FilterError extends FilterError {
  /** labtasker v2's error code. */
  readonly code: V2FilterErrorCode;
  /** The `details` of v2's error envelope, exactly as 2.8.0 fills them. */
  readonly details: V2FilterErrorDetails;

  constructor(code: V2FilterErrorCode, message: string, options: { text?: string; offset?: number; details?: V2FilterErrorDetails } = {}) {
    super(message, options.text === undefined ? {} : { text: options.text, ...(options.offset === undefined ? {} : { offset: options.offset }) });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** The message 2.8.0 gives every cursor it cannot use. */
export const INVALID_CURSOR_MESSAGE = "Cursor is malformed or does not match this request.";

/**
 * A `cursor` that is malformed or belongs to another selection or ordering (v2's `invalid_cursor`, HTTP 422). The
 * message is always the same: a cursor is opaque, so saying which part failed would only invite hand-editing.
 */
export class V2CursorError extends Error {
  readonly code = "invalid_cursor" as const;
  readonly details: Record<string, never> = {};

  constructor() {
    super(INVALID_CURSOR_MESSAGE);
    this.name = new.target.name;
  }
}
