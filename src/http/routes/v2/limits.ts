/** v2's size limits (2.8.0), checked where the request alone decides them. */
import { V2Error } from "../../../core/v2/errors.js";
import { hasLoneSurrogate } from "./jsonValue.js";

/** A request body is 1 MiB at most (a task's stored data too: src/broker/v2/size.ts checks that). */
export const MAX_BODY_BYTES = 1_048_576;
export const MAX_FILTER_BYTES = 8192;

export function requestTooLarge(): V2Error {
  return new V2Error("request_too_large", "Request body exceeds the 1 MiB limit.", { max_bytes: MAX_BODY_BYTES });
}

/** A filter's own limits, before it is compiled: no lone surrogate, 8192 UTF-8 bytes at most. */
export function checkFilterText(filter: string | null): void {
  if (filter === null) return;
  if (hasLoneSurrogate(filter)) throw new V2Error("invalid_filter", "Filter contains a lone Unicode surrogate.", {});
  if (Buffer.byteLength(filter, "utf8") > MAX_FILTER_BYTES) {
    throw new V2Error("filter_too_large", "Filter exceeds the 8192-byte limit.", { max_bytes: MAX_FILTER_BYTES });
  }
}
