--[[
  reportWorker: activate or suspend a worker (v1 report_worker_status, contract 3.2).

  activate() is valid from every state and resets retries from crashed only; suspend() only from active.
  Atomic so the state machine check and the write see the same state.

  KEYS[1] queue    labtasker:{<queue_id>}:queue              HASH
  KEYS[2] events   labtasker:{<queue_id>}:events             STREAM
  KEYS[3] worker   labtasker:{<queue_id>}:worker:<worker_id> HASH

  ARGV[1] now       ms since the epoch, integer
  ARGV[2] workerId  the worker's id
  ARGV[3] status    "active" | "suspended"

  Returns {OK}; {QUEUE_NOT_FOUND}; {WORKER_NOT_FOUND}; {INVALID_WORKER_TRANSITION, from, to}.
  Events: worker old -> new (active -> active too).
]]
--@include generated
--@include hash
--@include fsm
--@include documents
--@include events

local queueKey, eventsKey, workerKey = KEYS[1], KEYS[2], KEYS[3]
local now, workerId, status = ARGV[1], ARGV[2], ARGV[3]
if redis.call("EXISTS", queueKey) == 0 then return { E.QUEUE_NOT_FOUND } end
local worker = readHash(workerKey)
if not worker then return { E.WORKER_NOT_FOUND } end

local old = worker.status
if not canTransitionWorker(old, status) then return { E.INVALID_WORKER_TRANSITION, old, status } end
if status == "active" and old == "crashed" then worker.retries = "0" end
worker.status, worker.last_modified = status, now
redis.call("HSET", workerKey, "status", status, "retries", worker.retries, "last_modified", now)
appendEvent(queueKey, eventsKey, now, "worker", workerId, old, status, packRecord(worker))
return { E.OK }
