/**
 * One v1 document defined by its table (./fields.ts): the fields, the encoder and the decoder. Its JSON Schema is
 * built from the same fields in ./schema.ts, which only the server loads (TypeBox would add ~200 modules to every
 * CLI command's start).
 */
import type { JsonObject } from "../../json.js";
import { documentDecoder, documentEncoder, type EncodeOptions } from "./codec.js";
import { fieldsOf, type Field, type FieldTable } from "./fields.js";

export interface Document<R> {
  readonly fields: readonly Field[];
  /** The v1 document of a record, in the table's order. */
  readonly encode: (record: R, options?: EncodeOptions) => JsonObject;
  /** The record of a v1 document, from our server or from labtasker v1's own. */
  readonly decode: (document: Record<string, unknown>) => R;
}

export function defineDocument<R extends object>(table: FieldTable<R>): Document<R> {
  const fields = fieldsOf(table);
  return { fields, encode: documentEncoder<R>(fields), decode: documentDecoder<R>(fields) };
}
