--[[
  setWorkerTelemetry: keep a worker's latest telemetry sample (an extension: what its loop sampled of its machine,
  such as a GPU pool's GPU use), replacing the one before, for `worker ls` and the dashboard.

  Atomic so a sample never lands on a worker deleted meanwhile: an HSET alone would create its HASH again, a worker
  with nothing but telemetry. No event and no last_modified: a sample is no state transition, and v1's clients sort
  and filter workers by last_modified.

  KEYS[1] queue    labtasker:{<queue_id>}:queue               HASH (must exist)
  KEYS[2] worker   labtasker:{<queue_id>}:worker:<worker_id>  HASH (must exist; gets `telemetry`, `telemetry_at`)

  ARGV[1] now        ms since the epoch, integer
  ARGV[2] telemetry  JSON text of an object, as sent

  Returns {OK}; {QUEUE_NOT_FOUND}; {WORKER_NOT_FOUND}.
  Events: none.
]]
--@include generated

if redis.call("EXISTS", KEYS[1]) == 0 then return { E.QUEUE_NOT_FOUND } end
if redis.call("EXISTS", KEYS[2]) == 0 then return { E.WORKER_NOT_FOUND } end
redis.call("HSET", KEYS[2], "telemetry", ARGV[2], "telemetry_at", ARGV[1])
return { E.OK }
