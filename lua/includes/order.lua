-- The member that orders a task in its status index or pending index: last_modified in ms (13 decimal
-- digits), then the creation sequence number (11 decimal digits), then the task id. With the score -priority,
-- ZRANGE yields labtasker's order: priority desc, last_modified asc, created_at asc, creation order on ties.
-- Zero-padded to a fixed width, lexicographic order is numeric order up to year 2286 and 10^11 events a queue.
-- 60 bytes in all: one byte more and Redis would store each member in an 80-byte allocation instead of 64.
local ORDER_PREFIX_LENGTH = 24

local function orderKey(lastModified, seq, taskId)
  local ms, sequence = tostring(lastModified), tostring(seq)
  return string.rep("0", 13 - #ms) .. ms .. string.rep("0", 11 - #sequence) .. sequence .. taskId
end

local function taskIdOfMember(member)
  return string.sub(member, ORDER_PREFIX_LENGTH + 1)
end

-- Whether the entry (score `a`, member `am`) comes before (score `b`, member `bm`) of another index of the queue.
-- The members' order is numeric: Lua compares strings by the locale Redis runs in, which need not be byte order.
local function entryBefore(a, am, b, bm)
  if a ~= b then return a < b end
  local at, bt = tonumber(string.sub(am, 1, 13)), tonumber(string.sub(bm, 1, 13))
  if at ~= bt then return at < bt end
  return tonumber(string.sub(am, 14, ORDER_PREFIX_LENGTH)) < tonumber(string.sub(bm, 14, ORDER_PREFIX_LENGTH))
end
