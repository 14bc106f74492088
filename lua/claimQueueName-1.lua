--[[
  claimQueueName: reserve a queue name for a queue id in the registry that keeps names unique.

  The registry is one key shared by all queues, so it lives outside every queue's Cluster slot and is changed by
  its own scripts; the broker claims the name first, then creates or renames the queue.

  KEYS[1] names  labtasker:queue-names   HASH queue name -> queue id

  ARGV[1] name     the queue name
  ARGV[2] queueId  the id to register it for

  Returns {OK} when the name was free (or already this queue's); {QUEUE_EXISTS, holderId} otherwise.
  Events: none.
]]
--@include generated

local holder = redis.call("HGET", KEYS[1], ARGV[1])
if holder and holder ~= ARGV[2] then return { E.QUEUE_EXISTS, holder } end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return { E.OK }
