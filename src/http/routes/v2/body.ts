/**
 * v2's request bodies: parsed keeping every number's form (src/json.ts: `3.0` comes back as `3.0`, integers beyond
 * 2^53 stay exact), then checked against their model (./schema.ts), with 2.8.0's answers:
 *
 * - malformed JSON or bytes that are not UTF-8: `invalid_request`, "Malformed JSON body.";
 * - nesting past what any valid body holds: `json_too_deep` before parsing (a parser's recursion is never reached);
 * - model errors: the route's code (`invalid_task` for PUT task, `invalid_update` for PATCH, else
 *   `invalid_request`) with every error listed, except that a too deep value or an invalid task name anywhere
 *   answers with that code alone, and a bad `filter` of a bulk update with `invalid_filter`.
 */
import { isUtf8 } from "node:buffer";
import { V2Error } from "../../../core/v2/errors.js";
import { parseJson, type JsonObject, type JsonValue } from "../../../json.js";
import { jsonTooDeep, MAX_JSON_DEPTH } from "./jsonValue.js";
import { validationFailed } from "./query.js";
import { modelIssues, type Model } from "./schema.js";

/**
 * A body nested deeper than this cannot be valid: a JSON field's value may hold 64 levels (./jsonValue.ts) under at
 * most two levels of the body (`changes.args`), so anything deeper is refused as too deep without walking it.
 */
const MAX_BODY_DEPTH = MAX_JSON_DEPTH + 3;

function malformed(): V2Error {
  return validationFailed("invalid_request", [{ location: ["body"], message: "Malformed JSON body." }]);
}

/** The deepest nesting of arrays and objects in JSON text (strings skipped), stopping once past `limit`. */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** The JSON of a raw body, or undefined when there is none. */
export function parseV2Body(raw: Buffer): JsonValue | undefined {
  if (raw.length === 0) return undefined;
  // Strict UTF-8, a byte order mark kept as a character (as a fatal TextDecoder with ignoreBOM decodes it).
  if (!isUtf8(raw)) throw malformed();
  const text = raw.toString("utf8");
  if (nestingDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) throw jsonTooDeep();
  try {
    return parseJson(text);
  } catch {
    throw malformed();
  }
}

export type BodyCode = "invalid_request" | "invalid_task" | "invalid_update";

/** The body checked against its model; throws v2's 422. */
export function validateV2Body(model: Model, body: JsonValue | undefined, code: BodyCode, options: { filterField?: boolean } = {}): JsonObject {
  const issues = modelIssues(model, body);
  if (issues.length === 0) return body as JsonObject;
  const special = issues.find((issue) => issue.code !== undefined);
  if (special?.code === "json_too_deep") throw jsonTooDeep();
  if (special?.code === "invalid_task_name") throw new V2Error("invalid_task_name", "Task name is invalid.", {});
  if (options.filterField && issues.some((issue) => issue.location[0] === "body" && issue.location[1] === "filter")) {
    throw validationFailed("invalid_filter", issues);
  }
  throw validationFailed(code, issues);
}
