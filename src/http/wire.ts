/**
 * Records as labtasker v1 puts them on the wire: snake_case keys in v1's order, ids as `task_id`/`worker_id`/
 * `queue_id`, naive ISO datetimes, `"notification": null` on every response model, every Task key present.
 */
import type { JsonObject, JsonValue } from "../json.js";
import type { Queue, QueueEvent, Task, Worker } from "../core/model.js";
import { formatNaiveIso } from "../time.js";

function time(date: Date | null): string | null {
  return date === null ? null : formatNaiveIso(date);
}

export function taskToWire(task: Task): JsonObject {
  return {
    task_id: task.taskId,
    queue_id: task.queueId,
    status: task.status,
    task_name: task.taskName,
    created_at: time(task.createdAt),
    start_time: time(task.startTime),
    last_heartbeat: time(task.lastHeartbeat),
    last_modified: time(task.lastModified),
    heartbeat_timeout: task.heartbeatTimeout,
    task_timeout: task.taskTimeout,
    max_retries: task.maxRetries,
    retries: task.retries,
    priority: task.priority,
    metadata: task.metadata,
    args: task.args,
    cmd: task.cmd,
    summary: task.summary,
    worker_id: task.workerId,
  };
}

/** A worker; `idKey` is `_id` for GET /workers/{id}, which v1 serializes by alias. */
export function workerToWire(worker: Worker, idKey: "worker_id" | "_id" = "worker_id"): JsonObject {
  return {
    [idKey]: worker.workerId,
    queue_id: worker.queueId,
    status: worker.status,
    worker_name: worker.workerName,
    metadata: worker.metadata,
    retries: worker.retries,
    max_retries: worker.maxRetries,
    created_at: time(worker.createdAt),
    last_modified: time(worker.lastModified),
  };
}

export function queueToWire(queue: Queue): JsonObject {
  return {
    notification: null,
    queue_id: queue.queueId,
    queue_name: queue.queueName,
    created_at: time(queue.createdAt),
    last_modified: time(queue.lastModified),
    metadata: queue.metadata,
  };
}

/** v1's EventResponse: the sequence, when the server saw it, and the StateTransitionEvent. */
export function eventToWire(event: QueueEvent): JsonObject {
  const timestamp = time(event.timestamp);
  return {
    sequence: event.sequence,
    timestamp,
    event: {
      type: "state_transition",
      queue_id: event.queueId,
      timestamp,
      metadata: {},
      entity_type: event.entityType,
      entity_id: event.entityId,
      old_state: event.oldState,
      new_state: event.newState,
      entity_data: event.entityData,
    },
  };
}

/** A response model body: `notification` first, as pydantic orders the base model's field. */
export function responseModel(fields: JsonObject): JsonObject {
  return { notification: null, ...fields };
}

export type { JsonValue };
