/** v2's request bodies (labtasker 2.8.0), field by field in its order: see ./schema.ts for how they validate. */
import type { FieldSpec, Model } from "./schema.js";
import { routeCheck, routesCheck, runIdCheck, taskIdCheck, taskIdsCheck, taskNameCheck, unicodeCheck } from "./ids.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const int64: FieldSpec["type"] = { kind: "int", min: INT64_MIN, max: INT64_MAX };
const positiveInt64: FieldSpec["type"] = { kind: "int", min: 1n, max: INT64_MAX };
const jsonObject: FieldSpec["type"] = { kind: "object" };
const runId: FieldSpec = { type: { kind: "string" }, required: true, check: runIdCheck };

export const TaskCreate: Model = {
  title: "TaskCreate",
  fields: {
    name: { type: { kind: "string", nullable: true }, default: null, check: taskNameCheck },
    args: { type: jsonObject, default: {} },
    metadata: { type: jsonObject, default: {} },
    priority: { type: int64, default: 0 },
    max_attempts: { type: positiveInt64, default: 3 },
    routes: { type: { kind: "stringList" }, default: ["default"], check: routesCheck },
    dependencies: {
      type: { kind: "stringList" },
      default: [],
      check: taskIdsCheck,
      description: "Experimental: direct same-Queue predecessors; missing IDs and cycles are accepted.",
    },
  },
};

/** Each field present replaces the stored one; at least one is required. */
export const TaskUpdate: Model = {
  title: "TaskUpdate",
  fields: {
    archived: { type: { kind: "bool" } },
    name: { type: { kind: "string", nullable: true }, check: taskNameCheck },
    args: { type: jsonObject },
    metadata: { type: jsonObject },
    priority: { type: int64 },
    max_attempts: { type: positiveInt64 },
    routes: { type: { kind: "stringList" }, check: routesCheck },
    dependencies: { type: { kind: "stringList" }, check: taskIdsCheck, description: "Experimental: replace the complete dependency list; [] clears it." },
    result: { type: jsonObject },
  },
  check: (present) => (present.length === 0 ? "Update must contain at least one field." : null),
};

export const BulkUpdateRequest: Model = {
  title: "BulkUpdateRequest",
  fields: {
    include_archived: { type: { kind: "bool" }, default: false },
    filter: { type: { kind: "string" }, required: true },
    changes: { type: { kind: "model", model: TaskUpdate }, required: true },
  },
};

export const ClaimRequest: Model = {
  title: "ClaimRequest",
  fields: { route: { type: { kind: "string" }, required: true, check: routeCheck }, run_id: runId },
};

export const RunRequest: Model = { title: "RunRequest", fields: { run_id: runId } };

export const CompleteRequest: Model = {
  title: "CompleteRequest",
  fields: { run_id: runId, result: { type: jsonObject, required: true } },
};

export const ProgressRequest: Model = {
  title: "ProgressRequest",
  fields: { run_id: runId, progress: { type: jsonObject, required: true } },
};

const FailureReport: Model = {
  title: "FailureReport",
  fields: {
    type: { type: { kind: "string" }, required: true, check: unicodeCheck },
    message: { type: { kind: "string" }, required: true, check: unicodeCheck },
    traceback: { type: { kind: "string", nullable: true }, required: true, check: unicodeCheck },
  },
};

export const FailRequest: Model = {
  title: "FailRequest",
  fields: { run_id: runId, error: { type: { kind: "model", model: FailureReport }, required: true } },
};

export const WorkerReport: Model = {
  title: "WorkerReport",
  fields: {
    route: { type: { kind: "string" }, required: true, check: routeCheck },
    status: { type: { kind: "literal", values: ["idle", "busy"] }, required: true },
    task_id: { type: { kind: "string", nullable: true }, required: true, check: taskIdCheck },
    metadata: { type: jsonObject, default: {} },
  },
};

export const WorkerTelemetryReport: Model = {
  title: "WorkerTelemetryReport",
  fields: { telemetry: { type: jsonObject, required: true } },
};
