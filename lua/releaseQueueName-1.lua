--[[
  releaseQueueName: drop a name from the registry, only if it still points at the given queue.

  Compare-and-delete, so releasing an old name (after a rename or delete) never removes a name that another queue
  has claimed since.

  KEYS[1] names  labtasker:queue-names   HASH queue name -> queue id

  ARGV[1] name     the queue name
  ARGV[2] queueId  the id the name must still point at

  Returns {OK, released} with released 1 or 0.
  Events: none.
]]
--@include generated

if redis.call("HGET", KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call("HDEL", KEYS[1], ARGV[1])
  return { E.OK, 1 }
end
return { E.OK, 0 }
