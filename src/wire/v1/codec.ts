/**
 * Records to v1 documents and back, for any document's table (./fields.ts). Encoding keeps every value as the record
 * holds it (numbers in their original form) except datetimes, written in v1's naive UTC form; decoding accepts what any
 * v1 server sends (ours or labtasker v1's own), with the document's id under its name or under `_id`.
 */
import { isJsonObject, pythonFloat, type JsonObject } from "../../json.js";
import { compileBuilder, type Builder, type Convert } from "./build.js";
import { formatWireDate, parseWireDate } from "./datetime.js";
import type { Field, FieldType } from "./fields.js";

export interface EncodeOptions {
  /**
   * The key of the document's own id: `_id` where v1 serializes a stored record by alias (GET /workers/{id}).
   * @defaultValue the field's name (`task_id`, `worker_id`, `queue_id`)
   */
  idName?: string;
  /**
   * Write `float?` fields as Python floats (`60` as `60.0`), as pydantic dumps v1's models: for what the CLI prints
   * and the runner's `task_info.json`. The server sends numbers as the record holds them.
   * @defaultValue false
   */
  pythonFloats?: boolean;
}

/** A JSON object as sent, or an empty one in place of anything else (a v1 server always sends an object). */
export function objectOrEmpty(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

const asIs: Convert = (value) => value;

/** How a document's value becomes the record's, per type. */
const DECODE: { readonly [T in FieldType]: Convert } = {
  key: (value, document) => String(value ?? document._id),
  id: String,
  text: String,
  "text?": (value) => value ?? null,
  taskStatus: asIs,
  workerStatus: asIs,
  time: parseWireDate,
  "time?": parseWireDate,
  int: Number,
  "int?": numberOrNull,
  "float?": numberOrNull,
  object: objectOrEmpty,
  "command?": (value) => value ?? null,
};

function encodeSlot({ name, key, type }: Field, options: EncodeOptions) {
  if (type === "key") return { name: options.idName ?? name, from: key, convert: asIs };
  if (type === "time" || type === "time?") return { name, from: key, convert: formatWireDate };
  if (type === "float?" && options.pythonFloats === true) {
    return { name, from: key, convert: (value: unknown) => (typeof value === "number" ? pythonFloat(value) : value) };
  }
  return { name, from: key, convert: asIs };
}

/** The decoder of a document's table: the record of a v1 document. */
export function documentDecoder<R>(fields: readonly Field[]): (document: Record<string, unknown>) => R {
  const decoder = compileBuilder(fields.map((field) => ({ name: field.key, from: field.name, convert: DECODE[field.type] })));
  return (document) => decoder(document) as R;
}

/** The encoder of a document's table: the v1 document of a record, in the table's order. */
export function documentEncoder<R extends object>(fields: readonly Field[]): (record: R, options?: EncodeOptions) => JsonObject {
  // One compiled encoder per combination of options used (three in all: plain, `_id`, Python floats).
  const encoders = new Map<string, Builder>();
  return (record, options = {}) => {
    const variant = `${options.idName ?? ""}|${options.pythonFloats === true}`;
    let encoder = encoders.get(variant);
    if (encoder === undefined) {
      encoder = compileBuilder(fields.map((field) => encodeSlot(field, options)));
      encoders.set(variant, encoder);
    }
    return encoder(record as Record<string, unknown>) as JsonObject;
  };
}
