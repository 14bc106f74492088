--[[
  createWorker: register a worker in a queue (v1 create_worker), active with no failures.

  KEYS[1] queue    labtasker:{<queue_id>}:queue              HASH
  KEYS[2] events   labtasker:{<queue_id>}:events             STREAM
  KEYS[3] worker   labtasker:{<queue_id>}:worker:<worker_id> HASH
  KEYS[4] workers  labtasker:{<queue_id>}:workers            ZSET

  ARGV[1] now          ms since the epoch, integer
  ARGV[2] workerId     the new worker's id
  ARGV[3] hasName      "1" when ARGV[4] is the name, "0" for a null name
  ARGV[4] name         the worker name (v1 does not check its pattern)
  ARGV[5] metadata     JSON text of the (unflattened) metadata
  ARGV[6] maxRetries   failures after which the worker is crashed, integer

  Returns {OK}; {QUEUE_NOT_FOUND}.
  Events: worker created -> active.
]]
--@include generated
--@include documents
--@include events

local queueKey, eventsKey, workerKey, workersKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, workerId = ARGV[1], ARGV[2]
if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
-- Worker ids are new UUIDs: an existing one means this call ran before (resent after a lost answer).
if redis.call("EXISTS", workerKey) == 1 then return { E.OK } end

local seq = redis.call("HINCRBY", queueKey, "worker_seq", 1)
local worker = {
  status = "active", metadata = ARGV[5], retries = "0", max_retries = ARGV[6],
  created_at = now, last_modified = now,
}
if ARGV[3] == "1" then worker.worker_name = ARGV[4] end
redis.call("HSET", workerKey, "status", worker.status, "metadata", worker.metadata, "retries", "0",
  "max_retries", worker.max_retries, "created_at", now, "last_modified", now, "seq", seq)
if worker.worker_name then redis.call("HSET", workerKey, "worker_name", worker.worker_name) end
redis.call("ZADD", workersKey, seq, workerId)
appendEvent(queueKey, eventsKey, now, "worker", workerId, "created", "active", packRecord(worker))
return { E.OK }
