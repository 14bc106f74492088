/**
 * Values from the command line, read as labtasker v1 reads them: Python literals (`ast.literal_eval`) with a
 * fallback to the raw string, for `--args`/`--metadata` dicts, `task submit -- --key value` arguments (contract 7.3)
 * and `task update` assignments (contract 6.2).
 *
 * Where v1 silently loses what the user typed, these parsers keep it or fail with a message saying what to write
 * (each case is listed in docs/compat.md):
 * - `--lr -0.1`: v1 drops `lr`, then fails on `-0.1`; a negative number after a key is its value here.
 * - a bare `--flag` or `-f` (no value): v1 drops it; here it is an error naming `--flag=True`.
 * - `-abc`: v1 drops it; here it is an error.
 * - conflicting dotted keys (`--a 1 --a.b 2`) and stray tokens: v1 shows a traceback; here one line, exit 2.
 */
import { isJsonObject, isLosslessNumber, type JsonObject, type JsonValue } from "../../json.js";
import { TASK_UPDATE_FIELDS, type TaskUpdate } from "../../core/api.js";
import { FilterError } from "../../filter/errors.js";
import { parsePythonLiteral } from "../../filter/python/literal.js";
import { UsageError } from "./errors.js";

/** `ast.literal_eval(text)`, or the text itself when it is not a literal (`resnet`, `hello world`, `/a/b`). */
export function literalOrString(text: string): JsonValue {
  try {
    return parsePythonLiteral(text);
  } catch (error) {
    if (error instanceof FilterError) return text;
    throw error;
  }
}


/** A `--metadata`/`--args` option: a Python dict literal (`'{"tags": ["v1"]}'`). */
export function parseDictOption(text: string, flag: string): JsonObject {
  let value: JsonValue;
  try {
    value = parsePythonLiteral(text);
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    const where = error.column !== undefined ? ` (column ${error.column})` : "";
    throw new UsageError(`${flag} must be a Python dict literal such as '{"tags": ["v1"]}': ${error.message}${where}`);
  }
  if (!isJsonObject(value)) throw new UsageError(`${flag} must be a Python dict literal such as '{"tags": ["v1"]}' (got ${text})`);
  return value;
}

const LONG_OPTION = /^--([a-zA-Z0-9_.-]+)(?:=(.*))?$/s;
const SHORT_OPTION = /^-(\w)$/;
const GROUPED_SHORT = /^-(\w{2,})$/;
/** A token starting with `-` that is a number (`-0.1`, `-1`, `-1e-3`, `-.5`): a value, not an option. */
const NEGATIVE_NUMBER = /^-(?:\d|\.\d)/;

function isValueToken(token: string | undefined): token is string {
  if (token === undefined) return false;
  if (!token.startsWith("-")) return true;
  if (!NEGATIVE_NUMBER.test(token)) return false;
  const value = literalOrString(token);
  return typeof value === "number" || isLosslessNumber(value);
}

/**
 * Nests dotted keys (`{"a.b": 1}` -> `{"a": {"b": 1}}`), refusing a key that is both a value and a parent
 * (`--a 1 --a.b 2`).
 */
export function unflattenKeys(flat: Record<string, JsonValue>, what: string): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let current = result;
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      const existing = current[part];
      if (last) {
        if (isJsonObject(existing)) throw new UsageError(`${what} '${key}' conflicts with a nested key under '${part}': give either ${part} or ${part}.<key>`);
        current[part] = value;
      } else if (existing === undefined) {
        current = current[part] = {};
      } else if (isJsonObject(existing)) {
        current = existing;
      } else {
        throw new UsageError(`${what} '${key}' conflicts with '${parts.slice(0, index + 1).join(".")}', which has a value: give one or the other`);
      }
    });
  }
  return result;
}

/**
 * Task arguments from the tokens after `--` (contract 7.3): `--key=value` and `--key value` with Python-literal
 * values (`--lr=0.1` is a float, `--model resnet` a string), dashes in keys become underscores, dotted keys nest,
 * the last of a repeated key wins, and `-k value` keeps the value as a raw string as v1 does.
 */
export function parseTaskArgs(tokens: readonly string[]): JsonObject {
  const flat: Record<string, JsonValue> = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const long = LONG_OPTION.exec(token);
    if (long) {
      const key = long[1]!.replaceAll("-", "_");
      let text = long[2];
      if (text === undefined) {
        if (!isValueToken(tokens[i + 1])) {
          throw new UsageError(
            `--${long[1]} has no value: write --${long[1]}=VALUE (--${long[1]}=True for a flag). labtasker v1 silently dropped such arguments.`,
          );
        }
        text = tokens[++i]!;
      }
      // A repeated key: the last value wins, in the key's first position (as in v1's dict).
      flat[key] = literalOrString(text);
      continue;
    }
    const short = SHORT_OPTION.exec(token);
    if (short) {
      if (!isValueToken(tokens[i + 1])) throw new UsageError(`-${short[1]} has no value: write -${short[1]} VALUE or --${short[1]}=VALUE.`);
      // v1 keeps short-option values as raw strings (no literal parsing, no dash normalization).
      flat[short[1]!] = tokens[++i]!;
      continue;
    }
    if (GROUPED_SHORT.test(token)) {
      throw new UsageError(`${token}: grouped short flags carry no values; write each as --name=VALUE. labtasker v1 silently dropped them.`);
    }
    throw new UsageError(`Unexpected token: ${token} (task arguments look like --key=value or --key value)`);
  }
  return unflattenKeys(flat, "Argument");
}

/** Task fields an update may write, by v1 name, with the TaskUpdate property each maps to. */
export const UPDATABLE_FIELDS = Object.fromEntries(Object.entries(TASK_UPDATE_FIELDS).map(([field, name]) => [name, field])) as {
  [F in keyof typeof TASK_UPDATE_FIELDS as (typeof TASK_UPDATE_FIELDS)[F]]: F;
};

export type UpdatableField = keyof typeof UPDATABLE_FIELDS;

/** Task fields no update writes (v1: Task's fields that TaskUpdateRequest lacks, plus task_id). */
export const READONLY_FIELDS = ["task_id", "queue_id", "created_at", "start_time", "last_heartbeat", "last_modified", "worker_id"] as const;

/** The read-only fields for an update; `status` and `retries` too with `--reset-pending`, which sets them. */
export function readonlyFields(resetPending: boolean): Set<string> {
  const fields = new Set<string>(READONLY_FIELDS);
  if (resetPending) {
    fields.add("status");
    fields.add("retries");
  }
  return fields;
}

/** The warning v1 prints for a read-only field, word for word. */
export function readonlyWarning(field: string): string {
  return `Warning: Field '${field}' is readonly. You are not supposed to modify it. Your modification to this field will be ignored.`;
}

export interface ParsedUpdates {
  /** The fields to write, by v1 name: a replaced field holds its value, a merged one an object of dotted subkeys. */
  fields: Partial<Record<UpdatableField, JsonValue>>;
  /** Fields replaced whole (v1's `replace_fields`). */
  replaceFields: UpdatableField[];
  /** Warnings for read-only fields, which are left out. */
  warnings: string[];
}

const ASSIGNMENT = /^(?!-)([a-zA-Z0-9_.-]+)(?:=(.*))?$/s;

/**
 * `task update` assignments (contract 6.2): `field=value` replaces a top-level field (`args={"a": 1}` replaces all
 * args), `field.sub.key=value` merges into it (`args.lr=0.005` changes only `args.lr`). Values are Python literals,
 * else strings; dashes in keys become underscores.
 */
export function parseUpdates(items: readonly string[], resetPending: boolean): ParsedUpdates {
  const readonly = readonlyFields(resetPending);
  const fields: Partial<Record<UpdatableField, JsonValue>> = {};
  const replaceFields: UpdatableField[] = [];
  const warnings: string[] = [];
  const isUpdatable = (name: string): name is UpdatableField => Object.hasOwn(UPDATABLE_FIELDS, name);
  for (const item of items) {
    const match = ASSIGNMENT.exec(item);
    if (!match || match[2] === undefined) {
      throw new UsageError(`Invalid update '${item}': write field=value, e.g. args.lr=0.005 or status=cancelled`);
    }
    const key = match[1]!.replaceAll("-", "_");
    const value = literalOrString(match[2]);
    const root = key.split(".", 1)[0]!;
    if (readonly.has(root)) {
      warnings.push(readonlyWarning(root));
      continue;
    }
    if (!isUpdatable(root)) {
      throw new UsageError(`Invalid update '${item}': '${root}' is not a task field that can be updated (one of ${Object.keys(UPDATABLE_FIELDS).join(", ")})`);
    }
    if (key === root) {
      fields[root] = value;
      if (!replaceFields.includes(root)) replaceFields.push(root);
      continue;
    }
    const current = fields[root];
    if (current === undefined) fields[root] = { [key.slice(root.length + 1)]: value };
    else if (isJsonObject(current)) current[key.slice(root.length + 1)] = value;
    else throw new UsageError(`Invalid update '${item}': ${root} was set to a value that is not a dict by an earlier update`);
  }
  return { fields, replaceFields, warnings };
}

/** The {@link TaskUpdate} for one task from parsed fields. */
export function taskUpdate(taskId: string, fields: Partial<Record<UpdatableField, JsonValue>>, replaceFields: readonly string[]): TaskUpdate {
  const update: Record<string, unknown> = { taskId, replaceFields: [...replaceFields] };
  for (const [name, value] of Object.entries(fields)) update[UPDATABLE_FIELDS[name as UpdatableField]] = value;
  return update as unknown as TaskUpdate;
}
