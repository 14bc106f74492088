/**
 * What every labtasker v1 document (task, worker, queue) is made of: one table per document, field name -> type, in
 * v1's model order. The record's camelCase key is derived from the snake_case name (`task_name` -> `taskName`), and the
 * table's type requires exactly the record's keys, so a field added to a record without its v1 name fails to compile.
 * Encoding, decoding (./codec.ts), the JSON Schemas (./schema.ts) and the store's records and document views
 * (src/store/codecs.ts) all read these tables, so each document's field names are spelled once, in ./task.ts,
 * ./worker.ts and ./queue.ts (request bodies, src/http/schemas.ts, are shapes of their own).
 */

/**
 * How one field is typed. `?` marks a field that may be null. `key` is the document's own id (`task_id`), which v1
 * sends as `_id` where it serializes a stored record by alias; `id` is another entity's id (`queue_id`).
 */
export type FieldType =
  | "key"
  | "id"
  | "text"
  | "text?"
  | "taskStatus"
  | "workerStatus"
  | "time"
  | "time?"
  | "int"
  | "int?"
  | "float?"
  | "object"
  | "command?";

/** `taskName` -> `task_name`, at the type level (record keys have no digits or acronyms). */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** A document's table: every key of the record `R`, under its v1 name, in v1's order. */
export type FieldTable<R> = { readonly [K in keyof R & string as SnakeCase<K>]: FieldType };

/** One field of a document: its v1 name, its record key, its type. */
export interface Field {
  readonly name: string;
  readonly key: string;
  readonly type: FieldType;
}

/** The fields of a table, in its order (object literals keep their string keys in insertion order). */
export function fieldsOf<R>(table: FieldTable<R>): readonly Field[] {
  return Object.entries(table as Record<string, FieldType>).map(([name, type]) => ({
    name,
    key: name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase()),
    type,
  }));
}
