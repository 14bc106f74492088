--[[
  appendTaskLog: add a chunk of a run's output to its task's log, opening a new attempt on a run's first chunk, and
  keep the task's and the queue's caps.

  Atomic so the byte counters always equal what is kept, and a trim or an eviction never races an append. Safe to run
  twice with the same arguments (ioredis re-sends a command whose answer a reconnect lost): a chunk carries its offset
  in the attempt, so bytes already kept are skipped, and an attempt is opened once per run token.

  KEYS[1] root     labtasker:{<queue_id>}:                    (prefix of the derived keys)
  KEYS[2] index    labtasker:{<queue_id>}:task-logs           ZSET task id -> last write ms
  KEYS[3] total    labtasker:{<queue_id>}:task-log-bytes      STRING bytes kept by the queue's logs
  KEYS[4] log      labtasker:{<queue_id>}:task-log:<task_id>  HASH this task's log
  KEYS[5] tasks    labtasker:{<queue_id>}:tasks               HASH task id -> packed task (read: the task must exist,
                                                              a log is refused for a task that is gone)
  Derived from KEYS[1], because their names depend on data read inside the script, which the caller has not seen:
    task-log-data:<task_id>:<attempt>   this task's attempts (numbered by the attempt opened here; older ones are
                                        trimmed to the task's cap), and those of the stalest tasks read from the index
    task-log:<task_id>                  the log of each stalest task the queue's cap evicts (its id read from the index)

  ARGV[1] now       ms since the epoch
  ARGV[2] taskId    text (lua/includes/ids.lua)
  ARGV[3] attempt   the attempt's number, or 0 on a run's first chunk: open a new attempt (or the one this run opened)
  ARGV[4] run       the run's token, unique per run, kept on the attempt it opened
  ARGV[5] offset    where the chunk starts in the attempt's output (bytes the writer had written before it)
  ARGV[6] data      the chunk, bytes as written
  ARGV[7] ended     "1" on a run's last chunk
  ARGV[8] taskCap   bytes a task keeps over all its attempts (its last ones)
  ARGV[9] queueCap  bytes the queue's logs keep in all; the stalest tasks' logs are evicted beyond

  Returns {OK, attempt}; {TASK_NOT_FOUND}.
  Events: none (logs are not state transitions).
]]
--@include generated
--@include logs
--@include ids

local root, index, total, log = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, taskId, attempt, run = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local offset, data, ended = tonumber(ARGV[5]), ARGV[6], ARGV[7] == "1"
local taskCap, queueCap = tonumber(ARGV[8]), tonumber(ARGV[9])

if redis.call("HEXISTS", KEYS[5], storedTaskId(taskId)) == 0 then return { E.TASK_NOT_FOUND } end

local last = tonumber(redis.call("HGET", log, "attempts") or "0")
if attempt == 0 then
  if last > 0 and redis.call("HGET", log, last .. ":run") == run then
    attempt = last
  else
    attempt = last + 1
    last = attempt
    redis.call("HSET", log, "attempts", attempt, attempt .. ":run", run, attempt .. ":dropped", offset)
  end
elseif attempt > last then
  -- The log was evicted (the queue's cap) while the run went on: it starts again at this chunk.
  last = attempt
  redis.call("HSET", log, "attempts", attempt, attempt .. ":run", run, attempt .. ":dropped", offset)
end

local dataKey = K.taskLogData(root, taskId .. ":" .. attempt)
local dropped = tonumber(redis.call("HGET", log, attempt .. ":dropped") or offset)
local kept = redis.call("STRLEN", dataKey)
local delta = 0
if offset > dropped + kept then
  -- The writer dropped bytes it could not send in time (it keeps only the last ones): the log goes on after a gap,
  -- marked as bytes dropped from the start.
  redis.call("DEL", dataKey)
  -- Not -kept: Lua's unary minus makes -0 of 0, which Redis refuses as an integer ("-0").
  delta = 0 - kept
  dropped, kept = offset, 0
  redis.call("HSET", log, attempt .. ":dropped", dropped)
end
local skip = dropped + kept - offset
if skip < #data then
  redis.call("APPEND", dataKey, skip > 0 and string.sub(data, skip + 1) or data)
  delta = delta + #data - math.max(skip, 0)
end
if ended then redis.call("HSET", log, attempt .. ":ended", now) end

-- The task's cap, with a quarter of slack so a chatty run's appends do not each rewrite a megabyte: beyond it, bytes
-- go from the start of the oldest attempt on until the task keeps its cap.
local bytes = redis.call("HINCRBY", log, "bytes", delta)
if bytes > taskCap + math.floor(taskCap / 4) then
  local excess = bytes - taskCap
  for n = 1, last do
    if excess <= 0 then break end
    local key = K.taskLogData(root, taskId .. ":" .. n)
    local length = redis.call("STRLEN", key)
    local cut = math.min(length, excess)
    if cut > 0 then
      if cut == length then
        redis.call("DEL", key)
      else
        redis.call("SET", key, redis.call("GETRANGE", key, cut, -1))
      end
      redis.call("HINCRBY", log, n .. ":dropped", cut)
      excess = excess - cut
      delta = delta - cut
    end
  end
  redis.call("HSET", log, "bytes", taskCap + math.max(excess, 0))
end

redis.call("ZADD", index, now, taskId)
local queueBytes = redis.call("INCRBY", total, delta)
-- The queue's cap: the logs of the tasks written to longest ago go first, a few per call.
if queueBytes > queueCap then
  for _, other in ipairs(redis.call("ZRANGE", index, 0, 15)) do
    if other ~= taskId then dropTaskLog(root, index, total, other) end
    if tonumber(redis.call("GET", total) or "0") <= queueCap then break end
  end
end
return { E.OK, attempt }
