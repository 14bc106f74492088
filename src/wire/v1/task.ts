/**
 * labtasker v1's Task document (its pydantic model `Task`, fields in its order) and the record it carries, with the
 * task model's extension fields after v1's where asked (./taskExtensions.ts).
 */
import type { JsonObject } from "../../json.js";
import type { Task, TaskExtensions } from "../../core/model.js";
import type { EncodeOptions } from "./codec.js";
import { defineDocument } from "./document.js";
import type { FieldTable } from "./fields.js";
import { appendTaskExtensions, taskExtensionsFromWire } from "./taskExtensions.js";

/** The record's fields that v1's document has. */
type V1Task = Omit<Task, keyof TaskExtensions>;

const TABLE: FieldTable<V1Task> = {
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

const V1_TASK = defineDocument<V1Task>(TABLE);
export const TASK_FIELDS = V1_TASK.fields;

export interface TaskEncodeOptions extends EncodeOptions {
  /** Append the extension fields that are set (for a client that asked, our CLI's output, the runner's files). */
  extensions?: boolean;
}

export function taskToWire(task: Task, options: TaskEncodeOptions = {}): JsonObject {
  const document = V1_TASK.encode(task, options);
  return options.extensions === true ? appendTaskExtensions(document, task) : document;
}

/** A task of a v1 document, with the extension fields it carries (none from labtasker v1's server). */
export function taskFromWire(document: Record<string, unknown>): Task {
  return Object.assign(V1_TASK.decode(document) as Task, taskExtensionsFromWire(document));
}
