/**
 * v2's worker observations (PUT/POST/DELETE/GET .../workers): what a v2 worker says of itself, kept 300 s after its
 * last report. They are records of their own (lua/includes/observations.lua), not v1's workers: v2 has no worker
 * entity, no crash budget and no state machine, and a v1 listing of workers does not show them.
 */
import { isJsonObject, parseJson, stringifyJson, type JsonObject } from "../../json.js";
import type { V2GroupedCount, V2Page, V2PageResult, V2WorkerGroupField, V2WorkerReport, V2WorkerSelection } from "../../core/v2/api.js";
import type { V2WorkerObservation } from "../../core/v2/model.js";
import {
  compileV2WorkerFilter,
  decodeV2PositionCursor,
  encodeV2PositionCursor,
  v2WorkerCountSelection,
  v2WorkerListSelection,
} from "../../filter/v2/index.js";
import type { StoredObservation } from "../../store/v2Scripts.js";
import { WORKER_OBSERVATION_TTL_MS, type V2Context } from "./context.js";
import { expectOk, v2Errors } from "./errors.js";
import { groupedPage } from "./groups.js";
import { DEFAULT_PAGE_LIMIT } from "./limits.js";

function object(text: string | undefined): JsonObject | null {
  if (text === undefined) return null;
  const value = parseJson(text);
  return isJsonObject(value) ? value : {};
}

function observationView(queue: string, workerId: string, stored: StoredObservation): V2WorkerObservation {
  return {
    id: workerId,
    queue,
    route: stored.route!,
    status: stored.status === "busy" ? "busy" : "idle",
    task_id: stored.task_id ?? null,
    metadata: object(stored.metadata) ?? {},
    telemetry: object(stored.telemetry),
    telemetry_updated_at: stored.telemetry_updated_at === undefined ? null : new Date(Number(stored.telemetry_updated_at)),
    last_seen_at: new Date(Number(stored.last_seen_at)),
    expires_at: new Date(Number(stored.expires_at)),
  };
}

export async function reportWorker(v2: V2Context, queue: string, workerId: string, report: V2WorkerReport): Promise<void> {
  const reply = await v2.withQueue(queue, (queueId) =>
    v2.scripts.reportWorker(queueId, v2.now(), WORKER_OBSERVATION_TTL_MS, workerId, {
      route: report.route,
      status: report.status,
      taskId: report.task_id,
      metadataJson: stringifyJson(report.metadata ?? {}),
    }),
  );
  expectOk(reply, { queue, workerId });
}

export async function reportWorkerTelemetry(v2: V2Context, queue: string, workerId: string, telemetry: JsonObject): Promise<void> {
  const reply = await v2.withQueue(queue, (queueId) => v2.scripts.reportWorkerTelemetry(queueId, v2.now(), workerId, stringifyJson(telemetry)));
  expectOk(reply, { queue, workerId });
}

export async function deleteWorker(v2: V2Context, queue: string, workerId: string): Promise<void> {
  expectOk(await v2.withQueue(queue, (queueId) => v2.scripts.deleteWorker(queueId, v2.now(), workerId)), { queue, workerId });
}

/** The queue's observations that have not expired and match the filter, by id. */
async function observations(v2: V2Context, queue: string, filter: string | null | undefined): Promise<V2WorkerObservation[]> {
  const test = filter == null ? null : v2Errors(() => compileV2WorkerFilter(filter)).test;
  const { reply, observations: stored } = await v2.withQueue(queue, (queueId) => v2.scripts.readWorkers(queueId, v2.now()));
  expectOk(reply, { queue });
  return stored
    .map(([id, record]) => observationView(queue, id, record))
    .filter((observation) => test === null || test(observation as unknown as Record<string, unknown>))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function listWorkers(v2: V2Context, queue: string, options: V2WorkerSelection = {}): Promise<V2PageResult<V2WorkerObservation>> {
  const filter = options.filter ?? null;
  const selection = v2WorkerListSelection(queue, filter);
  const after = options.cursor == null ? null : v2Errors(() => decodeV2PositionCursor(options.cursor!, selection, 1))[0]!;
  const found = (await observations(v2, queue, filter)).filter((observation) => after === null || observation.id > after);
  const limit = options.limit ?? DEFAULT_PAGE_LIMIT;
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: found.length > limit && last !== undefined ? encodeV2PositionCursor(selection, [last.id]) : null };
}

export async function countWorkers(v2: V2Context, queue: string, filter: string | null = null): Promise<number> {
  return (await observations(v2, queue, filter)).length;
}

export async function countWorkerGroups(
  v2: V2Context,
  queue: string,
  filter: string | null,
  groupBy: V2WorkerGroupField[],
  page: V2Page = {},
): Promise<V2GroupedCount<V2WorkerGroupField>> {
  const found = await observations(v2, queue, filter);
  const keys = found.map((observation) => Object.fromEntries(groupBy.map((field) => [field, observation[field]])) as Partial<Record<V2WorkerGroupField, string>>);
  return groupedPage(keys, groupBy, found.length, v2WorkerCountSelection(queue, filter, groupBy), page);
}
