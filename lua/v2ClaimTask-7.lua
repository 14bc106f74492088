--[[
  v2ClaimTask: claim the best pending task on a route for a labtasker v2 worker's run (POST .../tasks/claim), or
  replay the claim its run already made.

  Atomic because two runs must never claim the same task: the replay check, expiring overdue tasks, choosing the
  candidate and claiming it happen with no other command in between. The candidate is the head of the route's claim
  index: of every signature's index for `default` (merged, lua/includes/scan.lua, as a v1 fetch without required
  fields reads them: a v2 worker reads args by path and has none), of the route's own index otherwise. Waiting tasks
  are in neither, so the claim is O(log N) in the pending tasks (times the signatures for `default`).

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS); then the index.
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task
  KEYS[7] candidates    labtasker:{<queue_id>}:pending-by-route:<route>  ZSET of ARGV[2]'s route (the root for
                                                                         `default`: every signature's index)

  Derived from KEYS[1], because their names depend on data read inside the script, which the caller has not seen:
    status:<status>, archived:<status>   the index of the status a task leaves and of the one it enters
    pending-by-args:<sig>     the claim index of the claimed task's signature, and of a retried overdue task's; for
                              `default`, every signature's index (a member of KEYS[5])
    pending-by-route:<route>, routes, pending-routed, waiting   the claimed or retried task's other claim indexes
    runs                      the run id's entry (a replay), written for the new run
    dependents                the waiting tasks an overdue task's retry may wait for
    worker:<worker_id>, worker-tasks:<worker_id>   the v1 worker an overdue task names

  ARGV[1] now          ms since the epoch, integer
  ARGV[2] route        the route claimed through
  ARGV[3] runId        the run's id (r_ + 12), chosen by the worker
  ARGV[4] leaseMs      the lease a claim gives, ms
  ARGV[5] expireLimit  overdue running tasks to expire first at most, integer

  Returns {OK, taskId, packed task} when a task was claimed or the claim replayed (its lease is in the task);
  {OK} when none is claimable; {STALE_RUN} for a run id whose run ended or whose lease passed; {RUN_ID_CONFLICT}
  for a run id running on another route; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: those of expired tasks (see includes/expire.lua), then task pending -> running.
]]
--@include generated
--@include queue
--@include scan
--@include expire
--@include claim

local now, route, runId = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local root = KEYS[ROOT_KEY]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end

-- The run's claim, if it made one: the same claim again (the client's retry), unless its run is over.
local runsKey = K.runs(root)
local claimed = redis.call("HGET", runsKey, runId)
if claimed then
  local task = readTask(KEYS[TASKS_KEY], claimed)
  if task and task[T_STATUS] == "running" and task[T_RUN_ID] == runId and task[T_LEASE] then
    if (task[T_LAST_ROUTE] or "default") ~= route then return { E.RUN_ID_CONFLICT } end
    if task[T_LEASE] <= now then return { E.STALE_RUN } end
    return { E.OK, claimed, redis.call("HGET", KEYS[TASKS_KEY], claimed) }
  end
  if task and task[T_ENDED_RUN] == runId then return { E.STALE_RUN } end
end

expireDueTasks(KEYS, ARGV[1], tonumber(ARGV[5]))

-- The first entry of the index that is a pending task; an entry of a task that is not (an index written twice) is
-- dropped, never claimed.
local SCAN = 16
local indexes = scanStart(KEYS, KEYS[7], "")
for _ = 1, 1000 do
  local members, owners = scanEntries(indexes, SCAN)
  if #members == 0 then return { E.OK } end
  for i, member in ipairs(members) do
    local taskId = taskIdOfMember(member)
    local task = readTask(KEYS[TASKS_KEY], taskId)
    if task and task[T_STATUS] == "pending" and not task[T_WAITING] then
      local changes = newRunChanges(task, {
        [T_STATUS] = "running",
        [T_START_TIME] = now,
        [T_LAST_MODIFIED] = now,
        [T_LAST_HEARTBEAT] = false,
        [T_WORKER_ID] = false,
        [T_LEASE] = now + tonumber(ARGV[4]),
      }, runId)
      if route ~= "default" then changes[T_LAST_ROUTE] = route end
      local packed = writeTask(KEYS, taskId, task, changes)
      redis.call("HSET", runsKey, runId, taskId)
      appendEvent(KEYS[QUEUE_KEY], KEYS[EVENTS_KEY], now, "task", taskId, "pending", "running", packed)
      return { E.OK, taskId, packed }
    end
    redis.call("ZREM", owners[i].key, member)
  end
  -- Every entry read was stale and is gone: read the heads again.
  for _, index in ipairs(indexes) do index.offset = 0 end
end
return { E.OK }
