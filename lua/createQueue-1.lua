--[[
  createQueue: write a new queue's record (v1 create_queue), after its name was claimed in the registry.

  KEYS[1] queue  labtasker:{<queue_id>}:queue   HASH

  ARGV[1] name          the queue name
  ARGV[2] passwordHash  scrypt hash of the password (src/broker/password.ts format)
  ARGV[3] now           ms since the epoch, integer
  ARGV[4] metadata      JSON text of the (unflattened) metadata

  The record names the layout of the queue's keys (STORE_LAYOUT), which scripts check before they touch them.

  Returns {OK}; {QUEUE_EXISTS} if a record already exists for this id.
  Events: none (v1 publishes none for queues).
]]
--@include generated

if redis.call("EXISTS", KEYS[1]) == 1 then return { E.QUEUE_EXISTS } end
redis.call("HSET", KEYS[1], "queue_name", ARGV[1], "password", ARGV[2], "created_at", ARGV[3],
  "last_modified", ARGV[3], "metadata", ARGV[4], "rev", "1", "event_seq", "0", "worker_seq", "0",
  "layout", STORE_LAYOUT)
return { E.OK }
