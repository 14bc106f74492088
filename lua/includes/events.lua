--@include generated
-- Appends one state transition to the queue's capped event stream, in the same script as the transition, so an
-- event exists if and only if its transition committed. The stream entry id is "<sequence>-0": the per-queue
-- sequence number labtasker v1 sends, which also lets SSE clients resume from Last-Event-ID. `record` is the
-- entity after the transition, packed (lua/includes/documents.lua).
-- appendEventAt takes a sequence number already drawn with nextEventSequence; appendEvent draws it.
-- `queueKey` is the queue's HASH (it holds the sequence counter), `eventsKey` its STREAM.
local function nextEventSequence(queueKey)
  return redis.call("HINCRBY", queueKey, "event_seq", 1)
end

local function appendEventAt(eventsKey, sequence, now, entityType, entityId, oldState, newState, record)
  redis.call("XADD", eventsKey, "MAXLEN", "~", EVENT_STREAM_MAXLEN, sequence .. "-0",
    "entity_type", entityType, "entity_id", entityId, "old_state", oldState, "new_state", newState,
    "time", now, "record", record)
  return sequence
end

local function appendEvent(queueKey, eventsKey, now, entityType, entityId, oldState, newState, record)
  return appendEventAt(eventsKey, nextEventSequence(queueKey), now, entityType, entityId, oldState, newState, record)
end
