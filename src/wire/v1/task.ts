/** labtasker v1's Task document (its pydantic model `Task`, fields in its order) and the record it carries. */
import type { Task } from "../../core/model.js";
import { defineDocument } from "./document.js";
import type { FieldTable } from "./fields.js";

const TABLE: FieldTable<Task> = {
  task_id: "key",
  queue_id: "id",
  status: "taskStatus",
  task_name: "text?",
  created_at: "time",
  start_time: "time?",
  last_heartbeat: "time?",
  last_modified: "time",
  heartbeat_timeout: "float?",
  task_timeout: "int?",
  max_retries: "int",
  retries: "int",
  priority: "int",
  metadata: "object",
  args: "object",
  cmd: "command?",
  summary: "object",
  worker_id: "text?",
};

export const { fields: TASK_FIELDS, encode: taskToWire, decode: taskFromWire } = defineDocument<Task>(TABLE);
