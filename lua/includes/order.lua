-- The member that orders a task in its status index and in the pending indexes: last_modified in ms (11 hex
-- digits), then the creation sequence number (10 hex digits), then the task id. With the score -priority, ZRANGE
-- yields labtasker's order: priority desc, last_modified asc, created_at asc, creation order on ties.
-- Fixed-width hex keeps lexicographic order equal to numeric order up to year 2527 and 2^40 tasks a queue.
local ORDER_PREFIX_LENGTH = 21

local function orderKey(lastModified, seq, taskId)
  return string.format("%011x%010x", tonumber(lastModified), tonumber(seq)) .. taskId
end

local function taskIdOfMember(member)
  return string.sub(member, ORDER_PREFIX_LENGTH + 1)
end
