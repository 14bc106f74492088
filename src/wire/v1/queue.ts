/**
 * labtasker v1's queue document: the fields of its QueueGetResponse (which adds `notification` first, see
 * ./response.ts) and the record it carries. The password hash never leaves the store.
 */
import type { Queue } from "../../core/model.js";
import { defineDocument } from "./document.js";
import type { FieldTable } from "./fields.js";

const TABLE: FieldTable<Queue> = {
  queue_id: "key",
  queue_name: "text",
  created_at: "time",
  last_modified: "time",
  metadata: "object",
};

export const { fields: QUEUE_FIELDS, encode: queueToWire, decode: queueFromWire } = defineDocument<Queue>(TABLE);
