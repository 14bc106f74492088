/**
 * Request validation against the schemas of src/http/schemas.ts, with errors in FastAPI's 422 shape
 * (`{"detail": [{"type", "loc", "msg", "input"}]}`), so clients that read v1's errors read ours.
 */
import type { Static, TSchema } from "@sinclair/typebox";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseJson, toPlain, type JsonValue } from "../json.js";
import { ValidationError, type ValidationIssue } from "../core/errors.js";

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, validateFormats: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** pydantic's wording for each JSON Schema keyword, so 422 bodies read like v1's. */
function issueOf(error: ErrorObject, input: unknown): ValidationIssue {
  const loc: Array<string | number> = ["body", ...error.instancePath.split("/").filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p))];
  const params = error.params as Record<string, unknown>;
  const at = (value: unknown) => ({ loc, input: value });
  switch (error.keyword) {
    case "required":
      return { type: "missing", msg: "Field required", loc: [...loc, String(params.missingProperty)], input };
    case "type": {
      const type = String(params.type).split(",")[0];
      const names: Record<string, [string, string]> = {
        string: ["string_type", "Input should be a valid string"],
        integer: ["int_type", "Input should be a valid integer"],
        number: ["float_type", "Input should be a valid number"],
        boolean: ["bool_type", "Input should be a valid boolean"],
        object: ["dict_type", "Input should be a valid dictionary"],
        array: ["list_type", "Input should be a valid list"],
        null: ["none_required", "Input should be None"],
      };
      const [kind, msg] = names[type ?? ""] ?? ["type_error", `Input should be of type ${type}`];
      return { type: kind, msg, ...at(error.data) };
    }
    case "pattern":
      return { type: "string_pattern_mismatch", msg: `String should match pattern '${String(params.pattern)}'`, ...at(error.data) };
    case "minLength":
      return { type: "string_too_short", msg: `String should have at least ${String(params.limit)} character${params.limit === 1 ? "" : "s"}`, ...at(error.data) };
    case "maxLength":
      return { type: "string_too_long", msg: `String should have at most ${String(params.limit)} characters`, ...at(error.data) };
    case "minimum":
      return { type: "greater_than_equal", msg: `Input should be greater than or equal to ${String(params.limit)}`, ...at(error.data) };
    case "exclusiveMinimum":
      return { type: "greater_than", msg: `Input should be greater than ${String(params.limit)}`, ...at(error.data) };
    case "maximum":
      return { type: "less_than_equal", msg: `Input should be less than or equal to ${String(params.limit)}`, ...at(error.data) };
    case "minItems":
      return { type: "too_short", msg: `List should have at least ${String(params.limit)} items`, ...at(error.data) };
    case "maxItems":
      return { type: "too_long", msg: `List should have at most ${String(params.limit)} items`, ...at(error.data) };
    default:
      return { type: "value_error", msg: `Input is not valid (${error.message ?? error.keyword})`, ...at(error.data) };
  }
}

/**
 * Checks a parsed body (lossless numbers allowed) against a schema; returns it typed, or throws a 422
 * ValidationError. A union (as `str | list[str] | None`) reports one issue, not one per member.
 */
export function validateBody<T extends TSchema>(schema: T, body: JsonValue | undefined): Static<T> {
  const validate = validatorFor(schema);
  const plain = toPlain(body);
  if (validate(plain)) return body as Static<T>;
  const errors = validate.errors ?? [];
  const unions = errors.filter((e) => e.keyword === "anyOf");
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  const push = (issue: ValidationIssue) => {
    const key = `${issue.loc.join(".")}|${issue.type}`;
    if (!seen.has(key)) issues.push(issue);
    seen.add(key);
  };
  for (const error of errors) {
    const union = unions.find((u) => error !== u && error.schemaPath.startsWith(`${u.schemaPath}/`));
    if (error.keyword === "anyOf" || union) continue;
    push(issueOf(error, plain));
  }
  const unionIssue = (union: ErrorObject): ValidationIssue => ({
    type: "union_type",
    msg: "Input is not valid for any of the allowed types",
    loc: issueOf(union, plain).loc,
    input: union.data,
  });
  const outermost = unions.filter((u) => !unions.some((o) => o !== u && u.schemaPath.startsWith(`${o.schemaPath}/`)));
  for (const union of outermost) {
    // A nullable field (`X | None`) reports what is wrong with X; a real union (`str | list[str]`) reports itself.
    const members = errors.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/`));
    const isNullBranch = (e: ErrorObject) => e.keyword === "type" && (e.params as { type?: string }).type === "null";
    const branches = new Set(members.filter((e) => !isNullBranch(e)).map((e) => e.schemaPath.slice(union.schemaPath.length + 1).split("/")[0]));
    if (branches.size !== 1) {
      push(unionIssue(union));
      continue;
    }
    const inBranch = members.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/${[...branches][0]}/`));
    const inner = inBranch.find((e) => e.keyword === "anyOf");
    if (inner) push(unionIssue(inner));
    else for (const member of inBranch) push(issueOf(member, plain));
  }
  throw new ValidationError(issues);
}

/** Parses a request body as JSON, keeping number forms; malformed or non-UTF-8 bodies are 422 `json_invalid`. */
export function parseBody(raw: Buffer): JsonValue | undefined {
  if (raw.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new ValidationError([{ type: "json_invalid", loc: ["body", 0], msg: "JSON decode error", input: {} }]);
  }
  try {
    return parseJson(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ValidationError([
      { type: "json_invalid", loc: ["body", Number(position ?? 0)], msg: "JSON decode error", input: {}, },
    ]);
  }
}

/** FastAPI's bool parsing of query parameters; an empty value counts as not given. */
export function queryBool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  const text = String(value).toLowerCase();
  if (["true", "1", "yes", "on", "t", "y"].includes(text)) return true;
  if (["false", "0", "no", "off", "f", "n"].includes(text)) return false;
  throw new ValidationError([
    { type: "bool_parsing", loc: ["query", name], msg: "Input should be a valid boolean, unable to interpret input", input: value },
  ]);
}
