/**
 * labtasker v1's wire documents: tasks, workers, queues and events, encoded from the records of src/core/model.ts and
 * decoded back. The server (src/http), the HTTP client (src/client), the CLI's output and the runner's files use it;
 * src/store/codecs.ts reads its field tables to build the documents filters and events see. A later protocol sits
 * beside it (src/wire/v2), on the same records.
 */
export { parseWireDate } from "./datetime.js";
export type { EncodeOptions } from "./codec.js";
export { compileBuilder, type Builder, type Convert } from "./build.js";
export type { Field, FieldType } from "./fields.js";
export { TASK_FIELDS, taskFromWire, taskToWire, type TaskEncodeOptions } from "./task.js";
export { TASK_EXTENSION_FIELDS, TASK_EXTENSIONS_HEADER, TASK_FIELDS_EXTENSION, appendTaskExtensions, wantsTaskFields } from "./taskExtensions.js";
export { WORKER_FIELDS, telemetryToWire, workerFromWire, workerToWire } from "./worker.js";
export { QUEUE_FIELDS, queueFromWire, queueToWire } from "./queue.js";
export { eventFromWire, eventToWire } from "./event.js";
export { responseModel } from "./response.js";
