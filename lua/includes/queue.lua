--@include generated
-- Whether a script may work on a queue: nil when its record exists and its keys are in this version's layout
-- (STORE_LAYOUT, src/store/luaConstants.ts), else the reply that refuses. A queue of an earlier layout is refused,
-- not misread: its index members would look stale to a fetch, which drops stale entries.
local function refuseQueue(queueKey)
  local layout = redis.call("HGET", queueKey, "layout")
  if layout == STORE_LAYOUT then return nil end
  if layout or redis.call("EXISTS", queueKey) == 1 then return { E.QUEUE_LAYOUT, layout or "1" } end
  return { E.QUEUE_NOT_FOUND }
end
