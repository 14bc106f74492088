/**
 * JSON Schemas (TypeBox) of v1's documents, derived from their tables (./fields.ts), and the building blocks v1's
 * request bodies share with them (src/http/schemas.ts). They feed the OpenAPI document; responses are not validated.
 */
import { Type, type TObject, type TSchema } from "@sinclair/typebox";
import { TASK_STATUSES, WORKER_STATUSES } from "../../core/model.js";
import type { Field, FieldType } from "./fields.js";
import { QUEUE_FIELDS } from "./queue.js";
import { TASK_FIELDS } from "./task.js";
import { WORKER_FIELDS } from "./worker.js";

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A JSON object with any keys (args, metadata, summary). */
export const Dict = Type.Object({}, { additionalProperties: true });
/** A task's command: a shell string or an argv list. */
export const Command = Type.Union([Type.String(), Type.Array(Type.String())]);
export const DateTime = Type.String({ format: "date-time", description: "naive ISO 8601 in UTC, e.g. 2025-02-23T11:41:41.908000" });
export const TASK_STATUS_PATTERN = `^(${TASK_STATUSES.join("|")})$`;
export const WORKER_STATUS_PATTERN = `^(${WORKER_STATUSES.join("|")})$`;

/** The schema of each field type; one object may serve many fields, as the OpenAPI document copies them out. */
const SCHEMA: { readonly [T in FieldType]: TSchema } = {
  key: Type.String(),
  id: Type.String(),
  text: Type.String(),
  "text?": Nullable(Type.String()),
  taskStatus: Type.String({ pattern: TASK_STATUS_PATTERN }),
  workerStatus: Type.String({ pattern: WORKER_STATUS_PATTERN }),
  time: DateTime,
  "time?": Nullable(DateTime),
  int: Type.Integer(),
  "int?": Nullable(Type.Integer()),
  "float?": Nullable(Type.Number()),
  object: Dict,
  "command?": Nullable(Command),
};

/** The schema of a document: its fields in order, the id under its name. */
export function documentSchema(fields: readonly Field[]): TObject {
  return Type.Object(Object.fromEntries(fields.map(({ name, type }) => [name, SCHEMA[type]])));
}

/** The JSON Schemas of the three documents, for request validation and the OpenAPI document. */
export const TaskSchema = documentSchema(TASK_FIELDS);
export const WorkerSchema = documentSchema(WORKER_FIELDS);
export const QueueSchema = documentSchema(QUEUE_FIELDS);
