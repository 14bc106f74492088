--[[
  deleteWorker: remove a worker (v1 delete_worker); with cascade, clear worker_id on the tasks that name it.

  The worker's task set lists exactly those tasks, so the cascade touches only them. Atomic so no task keeps
  pointing at the worker after a cascading delete.

  KEYS[1..6] are those of every script that writes tasks (src/store/keys.ts TASK_WRITE_KEYS): a cascade rewrites
  each task, which moves it in its indexes. Then the worker's keys, and the list of workers.
  KEYS[1] root          labtasker:{<queue_id>}:                          the queue's root: the prefix of derived keys
  KEYS[2] queue         labtasker:{<queue_id>}:queue                     HASH
  KEYS[3] events        labtasker:{<queue_id>}:events                    STREAM (not touched here)
  KEYS[4] deadlines     labtasker:{<queue_id>}:deadlines                 ZSET
  KEYS[5] signatures    labtasker:{<queue_id>}:signatures                SET
  KEYS[6] tasks         labtasker:{<queue_id>}:tasks                     HASH task id -> packed task
  KEYS[7] worker        labtasker:{<queue_id>}:worker:<worker_id>        HASH
  KEYS[8] workerTasks   labtasker:{<queue_id>}:worker-tasks:<worker_id>  SET of the worker's tasks (ids)
  KEYS[9] workers       labtasker:{<queue_id>}:workers                   ZSET

  Derived from KEYS[1], because their names depend on data read inside the script, which the caller has not seen:
    status:<status>         the index of each such task's stored status, which it leaves and re-enters
    pending-by-args:<sig>   the index of such a task's stored signature, were it pending (a pending task names no
                            worker, but the shared code that re-indexes a task covers every status)
    archived:<status>, pending-by-route:<route>, routes, pending-routed, waiting, dependents, runs   labtasker v2's
                            indexes, for a task with v2's features (archived, routes other than `default`,
                            dependencies, a v2 run): see lua/includes/tasks.lua

  ARGV[1] now            ms since the epoch, integer
  ARGV[2] workerId       the worker's id
  ARGV[3] cascadeUpdate  "1" to clear worker_id (and set last_modified) on its tasks, "0" to leave them

  Returns {OK}; {WORKER_NOT_FOUND}; {QUEUE_NOT_FOUND}; {QUEUE_LAYOUT, layout}.
  Events: none (v1 publishes none for deletes).
]]
--@include generated
--@include queue
--@include tasks

KEYS.workerId = ARGV[2]
local now, workerId = ARGV[1], ARGV[2]
local worker, workerTasks = KEYS[WORKER_KEY], KEYS[WORKER_TASKS_KEY]
local refused = refuseQueue(KEYS[QUEUE_KEY])
if refused then return refused end
if redis.call("EXISTS", worker) == 0 then return { E.WORKER_NOT_FOUND } end
redis.call("DEL", worker)
redis.call("ZREM", KEYS[9], workerId)
if ARGV[3] == "1" then
  for _, taskId in ipairs(redis.call("SMEMBERS", workerTasks)) do
    local task = readTask(KEYS[TASKS_KEY], taskId)
    if task then writeTask(KEYS, taskId, task, { [T_WORKER_ID] = false, [T_LAST_MODIFIED] = tonumber(now) }) end
  end
  touchTasks(KEYS[QUEUE_KEY])
  redis.call("DEL", workerTasks)
end
return { E.OK }
