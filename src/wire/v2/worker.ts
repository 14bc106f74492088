/** labtasker v2's WorkerObservation document (2.2+, metadata and telemetry 2.5), every key present, in its order. */
import type { V2WorkerObservation } from "../../core/v2/model.js";
import type { JsonObject } from "../../json.js";
import { formatV2Time, formatV2TimeOrNull } from "./datetime.js";
import { sortedJson } from "./json.js";

export interface V2WorkerWire {
  id: string;
  queue: string;
  route: string;
  status: "idle" | "busy";
  task_id: string | null;
  metadata: JsonObject;
  /** null until the worker first reports telemetry (as 2.8.0 shows it). */
  telemetry: JsonObject | null;
  telemetry_updated_at: string | null;
  last_seen_at: string;
  expires_at: string;
}

export function workerToV2Wire(worker: V2WorkerObservation): V2WorkerWire {
  return {
    id: worker.id,
    queue: worker.queue,
    route: worker.route,
    status: worker.status,
    task_id: worker.task_id ?? null,
    metadata: sortedJson(worker.metadata ?? {}),
    telemetry: worker.telemetry == null ? null : sortedJson(worker.telemetry),
    telemetry_updated_at: formatV2TimeOrNull(worker.telemetry_updated_at ?? null),
    last_seen_at: formatV2Time(worker.last_seen_at),
    expires_at: formatV2Time(worker.expires_at),
  };
}
