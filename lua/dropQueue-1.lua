--[[
  dropQueue: delete a queue's record, which makes the queue unreachable at once.

  Its tasks and workers are removed afterwards by purgeQueue in short batches (cascade delete), or kept
  under the queue's keys as v1 keeps them without cascade.

  KEYS[1] queue  labtasker:{<queue_id>}:queue   HASH

  Returns {OK, name}; {QUEUE_NOT_FOUND}.
  Events: none.
]]
--@include generated

local name = redis.call("HGET", KEYS[1], "queue_name")
if not name then return { E.QUEUE_NOT_FOUND } end
redis.call("DEL", KEYS[1])
return { E.OK, name }
