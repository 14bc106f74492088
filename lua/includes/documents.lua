--@include hash
--@include json
-- The stored document of a task or worker as JSON text, in labtasker v1's shape ("_id", every key present,
-- nulls for absent fields). Timestamps stay numbers (ms since the epoch); the broker formats them.

local function taskDocument(root, taskId, task)
  return table.concat({
    '{"_id":', jsonString(taskId),
    ',"queue_id":', jsonString(queueIdOf(root)),
    ',"status":', jsonString(task.status),
    ',"task_name":', jsonString(task.task_name),
    ',"created_at":', jsonRaw(task.created_at),
    ',"start_time":', jsonRaw(task.start_time),
    ',"last_heartbeat":', jsonRaw(task.last_heartbeat),
    ',"last_modified":', jsonRaw(task.last_modified),
    ',"heartbeat_timeout":', jsonRaw(task.heartbeat_timeout),
    ',"task_timeout":', jsonRaw(task.task_timeout),
    ',"max_retries":', jsonRaw(task.max_retries),
    ',"retries":', jsonRaw(task.retries),
    ',"priority":', jsonRaw(task.priority),
    ',"metadata":', jsonRaw(task.metadata),
    ',"args":', jsonRaw(task.args),
    ',"cmd":', jsonRaw(task.cmd),
    ',"summary":', jsonRaw(task.summary),
    ',"worker_id":', jsonString(task.worker_id),
    "}",
  })
end

local function workerDocument(root, workerId, worker)
  return table.concat({
    '{"_id":', jsonString(workerId),
    ',"queue_id":', jsonString(queueIdOf(root)),
    ',"status":', jsonString(worker.status),
    ',"worker_name":', jsonString(worker.worker_name),
    ',"metadata":', jsonRaw(worker.metadata),
    ',"retries":', jsonRaw(worker.retries),
    ',"max_retries":', jsonRaw(worker.max_retries),
    ',"created_at":', jsonRaw(worker.created_at),
    ',"last_modified":', jsonRaw(worker.last_modified),
    "}",
  })
end
