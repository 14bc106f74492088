/**
 * The task model's extension fields in v1 task documents (docs/compat.md, "Extension fields"): `depends_on`,
 * `waiting`, `blocked_by`, `env`, `max_timeouts` and `timeouts`, after v1's fields and only those set. labtasker
 * v1.0.1's client warns about keys its model lacks, so our server writes them only for a client that sends
 * {@link TASK_EXTENSIONS_HEADER} (ours always does); filters see them whoever asks.
 */
import { isJsonObject, type JsonObject } from "../../json.js";
import type { TaskExtensions } from "../../core/model.js";

/** The request header (lower case, as Node reads it) by which a client asks for the extension fields. */
export const TASK_EXTENSIONS_HEADER = "labtasker-extensions";
/** Its value naming this set of fields (a comma-separated list may name others later). */
export const TASK_FIELDS_EXTENSION = "task-fields";

/** Each extension field: its v1 document name and its record key, in the order documents list them. */
export const TASK_EXTENSION_FIELDS = [
  { name: "depends_on", key: "dependsOn" },
  { name: "waiting", key: "waiting" },
  { name: "blocked_by", key: "blockedBy" },
  { name: "env", key: "env" },
  { name: "max_timeouts", key: "maxTimeouts" },
  { name: "timeouts", key: "timeouts" },
] as const satisfies ReadonlyArray<{ name: string; key: keyof TaskExtensions }>;

/** Whether a request's `Labtasker-Extensions` header (as Node gives it) asks for the task fields. */
export function wantsTaskFields(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(",") : header;
  return text.split(",").some((item) => item.trim().toLowerCase() === TASK_FIELDS_EXTENSION);
}

/** `document` with the task's set extension fields appended (the same object, written in place). */
export function appendTaskExtensions(document: JsonObject, task: TaskExtensions): JsonObject {
  for (const { name, key } of TASK_EXTENSION_FIELDS) {
    const value = task[key];
    if (value !== undefined) document[name] = value;
  }
  return document;
}

/** The extension fields a v1 task document carries (none from labtasker v1's server), each only when present. */
export function taskExtensionsFromWire(document: Record<string, unknown>): TaskExtensions {
  const extensions: TaskExtensions = {};
  const dependsOn = document.depends_on;
  if (Array.isArray(dependsOn)) extensions.dependsOn = dependsOn.map(String);
  if (typeof document.waiting === "boolean") extensions.waiting = document.waiting;
  if (typeof document.blocked_by === "string") extensions.blockedBy = document.blocked_by;
  if (isJsonObject(document.env)) extensions.env = Object.fromEntries(Object.entries(document.env).map(([k, v]) => [k, String(v)]));
  if (document.max_timeouts !== undefined && document.max_timeouts !== null) extensions.maxTimeouts = Number(document.max_timeouts);
  if (document.timeouts !== undefined && document.timeouts !== null) extensions.timeouts = Number(document.timeouts);
  return extensions;
}
