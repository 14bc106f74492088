/**
 * labtasker v2's wire documents (2.8.0), beside v1's (src/wire/v1) and encoded from the same core's v2 view of the
 * records (src/core/v2/model.ts): tasks, claims, worker observations, pages, counts and the error envelope.
 */
export { formatV2Time, formatV2TimeOrNull } from "./datetime.js";
export { sortedJson } from "./json.js";
export { claimToV2Wire, taskToV2Wire, type V2LastErrorWire, type V2TaskWire } from "./task.js";
export { workerToV2Wire, type V2WorkerWire } from "./worker.js";
export { groupedCountToV2Wire, pageToV2Wire, type V2GroupedCountWire, type V2PageWire } from "./page.js";
export { errorToV2Wire, type V2ErrorWire } from "./error.js";
