-- labtasker v1's task and worker state machines (contract 3.1, 3.2): the valid targets of transition_to().
local TASK_TRANSITIONS = {
  pending = { running = true, pending = true, cancelled = true },
  running = { success = true, failed = true, pending = true, cancelled = true },
  success = { pending = true, cancelled = true },
  failed = { pending = true, cancelled = true, failed = true },
  cancelled = { pending = true, cancelled = true },
}

local WORKER_TRANSITIONS = {
  active = { active = true, suspended = true, crashed = true },
  suspended = { active = true },
  crashed = { active = true, crashed = true },
}

local function canTransitionTask(from, to)
  local targets = TASK_TRANSITIONS[from]
  return targets ~= nil and targets[to] == true
end

local function canTransitionWorker(from, to)
  local targets = WORKER_TRANSITIONS[from]
  return targets ~= nil and targets[to] == true
end

-- fail() of a task that has had `retries` of its `maxRetries`: one more retry; back to pending while
-- retries < max_retries, else failed. Returns the new status and retries.
local function taskStateAfterFailure(retries, maxRetries)
  retries = retries + 1
  if retries < maxRetries then return "pending", retries end
  return "failed", retries
end
