--[[
  v2DropQueue: delete a queue's record for labtasker v2 (DELETE /api/v2/queues/{queue}), unless tasks run in it, or,
  without cascade, it holds tasks. The broker then releases the name and purges the keys (lua/purgeQueue-12.lua).

  Atomic so no task starts running, and none is submitted, between the checks and the deletion of the record (which
  makes every later script refuse the queue).

  KEYS[1] queue    labtasker:{<queue_id>}:queue            HASH
  KEYS[2] running  labtasker:{<queue_id>}:status:running   ZSET
  KEYS[3] tasks    labtasker:{<queue_id>}:tasks            HASH task id -> packed task

  ARGV[1] cascade  "1" to delete the queue's tasks with it, "0" to refuse a queue that has any

  Returns {OK, name}; {QUEUE_HAS_RUNNING_TASKS, count}; {QUEUE_NOT_EMPTY, count}; {QUEUE_NOT_FOUND};
  {QUEUE_LAYOUT, layout}.
  Events: none (v1 publishes none for queues).
]]
--@include generated

local name, layout = unpack(redis.call("HMGET", KEYS[1], "queue_name", "layout"))
if not name then return { E.QUEUE_NOT_FOUND } end
-- purgeQueue knows this version's keys only: a queue of another layout would leave keys behind.
if layout ~= STORE_LAYOUT then return { E.QUEUE_LAYOUT, layout or "1" } end
local running = redis.call("ZCARD", KEYS[2])
if running > 0 then return { E.QUEUE_HAS_RUNNING_TASKS, running } end
local tasks = redis.call("HLEN", KEYS[3])
if tasks > 0 and ARGV[1] ~= "1" then return { E.QUEUE_NOT_EMPTY, tasks } end
redis.call("DEL", KEYS[1])
return { E.OK, name }
