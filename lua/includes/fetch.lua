--@include generated
--@include scan
--@include expire
--@include required
--@include claim
-- Fetch's choice and claim (contract 4): expire overdue tasks, check the worker, then claim the first candidate
-- of the pending indexes (lua/includes/scan.lua) that satisfies the required fields. `keys` is the script's KEYS,
-- with the fetching worker's (lua/includes/keys.lua); `candidates` the declared index, or the root for all of them;
-- `fetch` holds: workerId ("" for none), requiredSpec ("" for none), cursor ("" to start), limit, expireLimit,
-- startHeartbeat, heartbeatTimeout, taskTimeout, cmd.
-- Returns the reply: {OK, taskId, packed task}, {OK}, {SCAN_MORE, cursor}, or a worker error. The claimed task
-- goes back packed, as stored: a flat field/value list would cost Redis a reply element per field.
local function fetchNext(keys, candidates, now, fetch)
  expireDueTasks(keys, now, tonumber(fetch.expireLimit))
  local refusal = refuseWorker(keys)
  if refusal then return refusal end

  local spec = decodeRequiredSpec(fetch.requiredSpec)
  local limit = tonumber(fetch.limit)
  local indexes = scanStart(keys, candidates, fetch.cursor)
  local members, owners = scanEntries(indexes, limit)
  for i, member in ipairs(members) do
    local index = owners[i]
    local taskId = taskIdOfMember(member)
    local task = readTask(keys[TASKS_KEY], taskId)
    if not task or task[T_STATUS] ~= "pending" then
      -- An index entry of a task that is not pending (an index written twice): drop it, never claim a task twice.
      -- The entries after it move forward, so the next scan of this index starts where this one did.
      redis.call("ZREM", index.key, member)
    elseif spec == nil or argsSatisfy(spec, task[T_ARGS]) then
      local packed = claimTask(keys, taskId, task, {
        now = now, workerId = fetch.workerId, startHeartbeat = fetch.startHeartbeat,
        heartbeatTimeout = fetch.heartbeatTimeout, taskTimeout = fetch.taskTimeout, cmd = fetch.cmd,
      })
      return { E.OK, taskId, packed }
    else
      index.offset = index.offset + 1
    end
  end
  if #members == limit then return { E.SCAN_MORE, scanCursor(indexes) } end
  return { E.OK }
end

-- The fetch fields of argv[2..10] (argv[1] is now), shared by fetchTask and reportAndFetch.
local function fetchFromArgv(argv)
  return {
    workerId = argv[2], requiredSpec = argv[3], cursor = argv[4], limit = argv[5],
    expireLimit = argv[6], startHeartbeat = argv[7], heartbeatTimeout = argv[8], taskTimeout = argv[9],
    cmd = argv[10],
  }
end
