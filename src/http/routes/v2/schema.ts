/**
 * v2's request models (2.8.0's pydantic models with `extra="forbid", strict=True`), as data: one description per
 * model validates a parsed body the way pydantic does and gives the JSON Schema of the OpenAPI document, so the two
 * cannot drift. What pydantic's strict mode means here, checked against the real server:
 *
 * - integers are JSON integers only (`"1"`, `1.0` and `true` are "Input should be a valid integer"), within bounds;
 * - strings, booleans, objects and lists accept only their own JSON type;
 * - a field's own check (route, run id, task name...) runs only once its type is right;
 * - errors come in the model's field order, then one per unknown key ("Extra inputs are not permitted");
 * - a model-level check (an update names at least one field) runs only when every field is right.
 */
import type { JsonObject, JsonValue } from "../../../json.js";
import { isJsonObject } from "../../../json.js";
import { checkJsonValue, isJsonInteger, jsonIntegerValue, JsonValueProblem } from "./jsonValue.js";

/** One validation error as v2 lists them: where, and pydantic's (or v2's own) message. */
export interface V2Issue {
  location: Array<string | number>;
  message: string;
  /** Set for the errors that v2 answers with their own code instead of the request's (json_too_deep, invalid_task_name). */
  code?: "json_too_deep" | "invalid_task_name";
}

/** A problem answered with its own code (v2 lifts these out of the list). */
export class SpecialIssue extends Error {
  constructor(readonly code: "json_too_deep" | "invalid_task_name") {
    super(code);
  }
}

export type FieldType =
  | { kind: "int"; min: bigint; max: bigint }
  | { kind: "bool" }
  | { kind: "string"; nullable?: boolean }
  | { kind: "literal"; values: readonly string[] }
  | { kind: "object" }
  | { kind: "stringList" }
  | { kind: "model"; model: Model };

export interface FieldSpec {
  type: FieldType;
  /** Required fields have no default. */
  required?: boolean;
  /** Documented default (the route applies it). */
  default?: JsonValue;
  /** The field's own check, once its type is right: a message (listed at the field), or a thrown {@link SpecialIssue}. */
  check?: (value: never) => string | null;
  description?: string;
}

export interface Model {
  title: string;
  fields: Record<string, FieldSpec>;
  /** A check of the whole model, run only when every field is valid; returns a message. */
  check?: (present: string[]) => string | null;
}

const INT_MESSAGE = "Input should be a valid integer";
const TYPE_MESSAGES: Record<Exclude<FieldType["kind"], "int" | "literal" | "model">, string> = {
  bool: "Input should be a valid boolean",
  string: "Input should be a valid string",
  object: "Input should be a valid dictionary",
  stringList: "Input should be a valid list",
};
const MODEL_MESSAGE = "Input should be a valid dictionary or object to extract fields from";

/** pydantic's quoting of a Literal's choices: `'a', 'b' or 'c'`. */
export function literalMessage(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  return `Input should be ${quoted.length > 1 ? `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}` : quoted[0]}`;
}

function validateField(spec: FieldSpec, value: JsonValue, location: Array<string | number>, issues: V2Issue[]): void {
  const type = spec.type;
  const push = (message: string, at = location): void => {
    issues.push({ location: at, message });
  };
  switch (type.kind) {
    case "int": {
      if (!isJsonInteger(value)) return push(INT_MESSAGE);
      const number = jsonIntegerValue(value);
      if (number < type.min) return push(`Input should be greater than or equal to ${type.min}`);
      if (number > type.max) return push(`Input should be less than or equal to ${type.max}`);
      break;
    }
    case "bool":
      if (typeof value !== "boolean") return push(TYPE_MESSAGES.bool);
      break;
    case "string":
      if (value === null && type.nullable) return;
      if (typeof value !== "string") return push(TYPE_MESSAGES.string);
      break;
    case "literal":
      if (typeof value !== "string" || !type.values.includes(value)) return push(literalMessage(type.values));
      break;
    case "object":
      if (!isJsonObject(value)) return push(TYPE_MESSAGES.object);
      break;
    case "stringList": {
      if (!Array.isArray(value)) return push(TYPE_MESSAGES.stringList);
      const before = issues.length;
      value.forEach((item, index) => {
        if (typeof item !== "string") push(TYPE_MESSAGES.string, [...location, index]);
      });
      if (issues.length > before) return;
      break;
    }
    case "model":
      validateModel(type.model, value, location, issues);
      return;
  }
  if (type.kind === "object") {
    try {
      checkJsonValue(value);
    } catch (error) {
      if (!(error instanceof JsonValueProblem)) throw error;
      if (error.kind === "json_too_deep") issues.push({ location, message: error.message, code: "json_too_deep" });
      else push(error.message);
      return;
    }
  }
  if (spec.check) {
    try {
      const message = (spec.check as (value: JsonValue) => string | null)(value);
      if (message !== null) push(message);
    } catch (error) {
      if (!(error instanceof SpecialIssue)) throw error;
      issues.push({ location, message: error.code, code: error.code });
    }
  }
}

function validateModel(model: Model, body: JsonValue | undefined, location: Array<string | number>, issues: V2Issue[]): void {
  if (body === undefined || body === null) {
    issues.push({ location, message: "Field required" });
    return;
  }
  if (!isJsonObject(body)) {
    issues.push({ location, message: MODEL_MESSAGE });
    return;
  }
  const before = issues.length;
  for (const [name, spec] of Object.entries(model.fields)) {
    if (!Object.hasOwn(body, name)) {
      if (spec.required) issues.push({ location: [...location, name], message: "Field required" });
      continue;
    }
    validateField(spec, body[name]!, [...location, name], issues);
  }
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(model.fields, key)) issues.push({ location: [...location, key], message: "Extra inputs are not permitted" });
  }
  if (issues.length === before && model.check) {
    const message = model.check(Object.keys(body));
    if (message !== null) issues.push({ location, message });
  }
}

/** The body's issues against a model, in v2's order (none: the body is valid). */
export function modelIssues(model: Model, body: JsonValue | undefined): V2Issue[] {
  const issues: V2Issue[] = [];
  validateModel(model, body, ["body"], issues);
  return issues;
}

/** The model's JSON Schema, for the OpenAPI document. */
export function modelSchema(model: Model): JsonObject {
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(model.fields)) {
    const schema = typeSchema(spec.type);
    if (spec.default !== undefined) schema.default = spec.default;
    if (spec.description) schema.description = spec.description;
    properties[name] = schema;
    if (spec.required) required.push(name);
  }
  return { title: model.title, type: "object", properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

function typeSchema(type: FieldType): JsonObject {
  switch (type.kind) {
    case "int":
      return { type: "integer", minimum: Number(type.min), maximum: Number(type.max) };
    case "bool":
      return { type: "boolean" };
    case "string":
      return type.nullable ? { anyOf: [{ type: "string" }, { type: "null" }] } : { type: "string" };
    case "literal":
      return { type: "string", enum: [...type.values] };
    case "object":
      return { type: "object", additionalProperties: {} };
    case "stringList":
      return { type: "array", items: { type: "string" } };
    case "model":
      return modelSchema(type.model);
  }
}
