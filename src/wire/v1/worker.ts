/**
 * labtasker v1's Worker document (its model `Worker`, fields in its order) and the record it carries. Encode with
 * `{ idName: "_id" }` for GET /workers/{id}, which v1 serializes by alias.
 *
 * A worker's telemetry (an extension, `WorkerTelemetry`) is no field of v1's model: it goes last, as `telemetry`
 * (`{"data": {...}, "updated_at": "<v1 datetime>"}`), only on a worker that has some. The server adds it only for a
 * client that asks (src/http/routes/workers.ts): labtasker v1's client would ignore the key, but warn about it.
 */
import type { Worker, WorkerTelemetry } from "../../core/model.js";
import { isJsonObject, type JsonObject } from "../../json.js";
import type { EncodeOptions } from "./codec.js";
import { formatWireDate, parseWireDate } from "./datetime.js";
import { defineDocument } from "./document.js";
import type { FieldTable } from "./fields.js";

const TABLE: FieldTable<Omit<Worker, "telemetry">> = {
  worker_id: "key",
  queue_id: "id",
  status: "workerStatus",
  worker_name: "text?",
  metadata: "object",
  retries: "int",
  max_retries: "int",
  created_at: "time",
  last_modified: "time",
};

const document = defineDocument<Omit<Worker, "telemetry">>(TABLE);

export const WORKER_FIELDS = document.fields;

export interface WorkerEncodeOptions extends EncodeOptions {
  /** Add `telemetry` when the worker has some. @defaultValue true */
  telemetry?: boolean;
}

/** The v1 document of a worker, with `telemetry` after v1's fields when it has some (and it is asked for). */
export function workerToWire(worker: Worker, options: WorkerEncodeOptions = {}): JsonObject {
  const wire = document.encode(worker, options);
  if (worker.telemetry !== undefined && options.telemetry !== false) wire.telemetry = telemetryToWire(worker.telemetry);
  return wire;
}

/** The worker of a v1 document, from our server or from labtasker v1's own (which sends no telemetry). */
export function workerFromWire(wire: Record<string, unknown>): Worker {
  const worker: Worker = document.decode(wire);
  const telemetry = wire.telemetry;
  const updatedAt = isJsonObject(telemetry) ? parseWireDate(telemetry.updated_at) : null;
  if (isJsonObject(telemetry) && isJsonObject(telemetry.data) && updatedAt !== null) worker.telemetry = { data: telemetry.data, updatedAt };
  return worker;
}

/** A worker's telemetry in the wire's form. */
export function telemetryToWire(telemetry: WorkerTelemetry): JsonObject {
  return { data: telemetry.data, updated_at: formatWireDate(telemetry.updatedAt) as string };
}
