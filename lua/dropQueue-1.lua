--[[
  dropQueue: delete a queue's record, which makes the queue unreachable at once.

  Its tasks and workers are removed afterwards by purgeQueue in short batches (cascade delete), or kept
  under the queue's keys as v1 keeps them without cascade.

  KEYS[1] queue  labtasker:{<queue_id>}:queue   HASH

  Returns {OK, name}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout} for a queue of another layout (see createQueue).
  Events: none.
]]
--@include generated

local name, layout = unpack(redis.call("HMGET", KEYS[1], "queue_name", "layout"))
if not name then return { E.QUEUE_NOT_FOUND } end
-- purgeQueue knows this version's keys only: a queue of another layout would leave keys behind.
if layout ~= STORE_LAYOUT then return { E.QUEUE_LAYOUT, layout or "1" } end
redis.call("DEL", KEYS[1])
return { E.OK, name }
