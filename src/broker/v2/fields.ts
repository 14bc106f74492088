/**
 * v2's task fields as the store writes them: a create's or a PATCH's values as stored field texts
 * (src/store/taskRecord.ts), and the canonical JSON that tells whether a value changes.
 */
import { isLosslessNumber, parseJson, stringifyJson, type JsonObject, type JsonValue } from "../../json.js";
import type { Hash } from "../../store/codecs.js";
import type { V2FieldChanges } from "../../store/v2Scripts.js";
import { TASK_RECORD } from "../../store/taskRecord.js";
import { argsSignature } from "../requiredFields.js";
import type { V2TaskUpdate } from "../../core/v2/api.js";

/**
 * JSON with keys sorted at every level and numbers as written (as 2.8.0's `canonical_json` compares documents, our
 * numbers keeping their text): equal for documents that differ only in key order or spacing.
 */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined || value === null || typeof value !== "object" || isLosslessNumber(value)) return stringifyJson(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as JsonObject)[key])}`).join(",")}}`;
}

/** Routes as stored and shown: distinct, sorted (2.8.0 sorts them); null for `["default"]`, which is not stored. */
export function storedRoutes(routes: readonly string[] | undefined): string | null {
  const sorted = [...new Set(routes ?? ["default"])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.length === 1 && sorted[0] === "default" ? null : JSON.stringify(sorted);
}

/** Dependencies as stored: the ids in the order given; null for none. */
export function storedDependencies(dependencies: readonly string[] | undefined): string | null {
  return dependencies === undefined || dependencies.length === 0 ? null : JSON.stringify(dependencies);
}

const ABSENT: Readonly<Record<string, string | undefined>> = Object.fromEntries(
  TASK_RECORD.map((field) => [field.name, "absent" in field ? field.absent : undefined]),
);

/** A stored field's text as a script writes it: null (no entry) for the value its absence stands for. */
function stored(field: keyof typeof ABSENT, text: string | null): string | null {
  return text !== null && ABSENT[field] === text ? null : text;
}

/** The stored fields a PATCH sets (each present field replaces the stored one whole). */
export function updateFields(update: V2TaskUpdate): V2FieldChanges {
  const fields: V2FieldChanges = {};
  if (update.archived !== undefined) fields.archived = update.archived ? "1" : null;
  if (update.name !== undefined) fields.task_name = update.name;
  if (update.args !== undefined) {
    fields.args = stored("args", stringifyJson(update.args));
    fields.sig = argsSignature(Object.keys(update.args));
  }
  if (update.metadata !== undefined) fields.metadata = stored("metadata", stringifyJson(update.metadata));
  if (update.priority !== undefined) fields.priority = String(update.priority);
  if (update.max_attempts !== undefined) fields.max_retries = stored("max_retries", String(update.max_attempts));
  if (update.routes !== undefined) fields.routes = storedRoutes(update.routes);
  if (update.dependencies !== undefined) fields.dependencies = storedDependencies(update.dependencies);
  if (update.result !== undefined) fields.summary = stored("summary", stringifyJson(update.result));
  return fields;
}

/** Stored fields whose value is JSON, compared as documents rather than as text. */
const JSON_FIELDS = new Set(["args", "metadata", "summary", "routes", "dependencies"]);

/** The fields of `fields` whose value differs from the stored task's (what a write would change). */
export function changedFields(fields: V2FieldChanges, hash: Hash): V2FieldChanges {
  const changed: V2FieldChanges = {};
  for (const [field, value] of Object.entries(fields) as Array<[keyof V2FieldChanges, string | null]>) {
    if (field === "sig") continue; // follows args
    const current = hash[field] ?? null;
    const same = JSON_FIELDS.has(field)
      ? canonicalJson(parse(value ?? ABSENT[field] ?? "null")) === canonicalJson(parse(current ?? ABSENT[field] ?? "null"))
      : (value ?? ABSENT[field] ?? null) === (current ?? ABSENT[field] ?? null);
    if (!same) {
      changed[field] = value;
      if (field === "args") changed.sig = fields.sig ?? null;
    }
  }
  return changed;
}

function parse(text: string): JsonValue {
  return parseJson(text);
}
