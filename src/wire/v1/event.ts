/**
 * labtasker v1's EventResponse, as SSE `data` (`{sequence, timestamp, event: {...}}` with a StateTransitionEvent).
 * `entity_data` is the stored document after the change, already in v1's shape (built by src/store/codecs.ts).
 */
import type { JsonObject } from "../../json.js";
import type { QueueEvent } from "../../core/model.js";
import { objectOrEmpty } from "./codec.js";
import { formatWireDate, parseWireDate } from "./datetime.js";

/** The sequence, when the server saw it, and the transition; both timestamps are the same instant. */
export function eventToWire(event: QueueEvent): JsonObject {
  const timestamp = formatWireDate(event.timestamp);
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

export function eventFromWire(wire: Record<string, unknown>): QueueEvent {
  const event = objectOrEmpty(wire.event) as Record<string, unknown>;
  return {
    sequence: Number(wire.sequence),
    queueId: String(event.queue_id),
    timestamp: parseWireDate(wire.timestamp ?? event.timestamp)!,
    entityType: event.entity_type === "worker" ? "worker" : "task",
    entityId: String(event.entity_id),
    oldState: String(event.old_state),
    newState: String(event.new_state),
    entityData: objectOrEmpty(event.entity_data),
  };
}
