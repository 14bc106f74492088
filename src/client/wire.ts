/** Records from labtasker v1's wire format (any server: ours or v1's own). */
import type { JsonObject } from "../json.js";
import type { Queue, QueueEvent, Task, TaskCommand, TaskStatus, Worker, WorkerStatus } from "../core/model.js";

/** v1 sends naive ISO datetimes meaning UTC; offsets are honoured when present. */
export function parseWireDate(value: unknown): Date | null {
  if (typeof value !== "string" || value === "") return null;
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(value);
  return new Date(hasZone ? value : `${value}Z`);
}

function object(value: unknown): JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : {};
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function taskFromWire(wire: Record<string, unknown>): Task {
  return {
    taskId: String(wire.task_id ?? wire._id),
    queueId: String(wire.queue_id),
    status: wire.status as TaskStatus,
    taskName: (wire.task_name as string | null) ?? null,
    createdAt: parseWireDate(wire.created_at)!,
    startTime: parseWireDate(wire.start_time),
    lastHeartbeat: parseWireDate(wire.last_heartbeat),
    lastModified: parseWireDate(wire.last_modified)!,
    heartbeatTimeout: numberOrNull(wire.heartbeat_timeout),
    taskTimeout: numberOrNull(wire.task_timeout),
    maxRetries: Number(wire.max_retries),
    retries: Number(wire.retries),
    priority: Number(wire.priority),
    metadata: object(wire.metadata),
    args: object(wire.args),
    cmd: (wire.cmd as TaskCommand) ?? null,
    summary: object(wire.summary),
    workerId: (wire.worker_id as string | null) ?? null,
  };
}

export function workerFromWire(wire: Record<string, unknown>): Worker {
  return {
    workerId: String(wire.worker_id ?? wire._id),
    queueId: String(wire.queue_id),
    status: wire.status as WorkerStatus,
    workerName: (wire.worker_name as string | null) ?? null,
    metadata: object(wire.metadata),
    retries: Number(wire.retries),
    maxRetries: Number(wire.max_retries),
    createdAt: parseWireDate(wire.created_at)!,
    lastModified: parseWireDate(wire.last_modified)!,
  };
}

export function queueFromWire(wire: Record<string, unknown>): Queue {
  return {
    queueId: String(wire.queue_id ?? wire._id),
    queueName: String(wire.queue_name),
    createdAt: parseWireDate(wire.created_at)!,
    lastModified: parseWireDate(wire.last_modified)!,
    metadata: object(wire.metadata),
  };
}

/** v1's EventResponse (`{sequence, timestamp, event: {...}}`). */
export function eventFromWire(wire: Record<string, unknown>): QueueEvent {
  const event = object(wire.event) as Record<string, unknown>;
  return {
    sequence: Number(wire.sequence),
    queueId: String(event.queue_id),
    timestamp: parseWireDate(wire.timestamp ?? event.timestamp)!,
    entityType: event.entity_type === "worker" ? "worker" : "task",
    entityId: String(event.entity_id),
    oldState: String(event.old_state),
    newState: String(event.new_state),
    entityData: object(event.entity_data),
  };
}
