--@include generated
--@include tasks
--@include expire
-- labtasker v2's run fencing (docs/compat.md): every report of a run names its run id. The run that holds a task is
-- its `run_id` while it runs with a lease (a v2 claim's); the latest v2 run that ended is `ended_run`, with how it
-- ended in `run_end`. A report of the running run is applied, unless its lease has passed: the task is then expired
-- on the spot (as the sweep would) and the report told `run_finalized` (heartbeat_expired). A report of the run that
-- ended repeats its ending (effect-idempotent: nothing changes) or contradicts it (`run_finalized`). Any other run is
-- stale (`stale_run`), a v1 run included: a v2 run whose task moved on to a v1 fetch is told so.

-- The stored task and whether the report of run `runId` with `action` ("heartbeat" and "progress" never repeat an
-- ending) may go on: returns task, nil when the run holds the task; task, reply when the call ends here, with that
-- reply ({OK} for a repeat, a refusal otherwise). `keys` as for writeTask.
local function guardRun(keys, taskId, runId, action, now)
  local task = readTask(keys[TASKS_KEY], taskId)
  if not task then return nil, { E.TASK_NOT_FOUND } end
  if task[T_STATUS] == "running" and task[T_RUN_ID] == runId and task[T_LEASE] then
    if task[T_LEASE] > tonumber(now) then return task, nil end
    expireTask(keys, taskId, task, now)
    return task, { E.RUN_FINALIZED, "heartbeat_expired" }
  end
  if task[T_ENDED_RUN] == runId then
    if task[T_RUN_END] == action then return task, { E.OK } end
    return task, { E.RUN_FINALIZED, task[T_RUN_END] or "" }
  end
  return task, { E.STALE_RUN }
end
