/**
 * labtasker v1's Worker document (its model `Worker`, fields in its order) and the record it carries. Encode with
 * `{ idName: "_id" }` for GET /workers/{id}, which v1 serializes by alias.
 */
import type { Worker } from "../../core/model.js";
import { defineDocument } from "./document.js";
import type { FieldTable } from "./fields.js";

const TABLE: FieldTable<Worker> = {
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

export const { fields: WORKER_FIELDS, encode: workerToWire, decode: workerFromWire } = defineDocument<Worker>(TABLE);
