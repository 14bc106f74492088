-- The member that orders a task in its status index or pending index: last_modified in ms (6 bytes), then the
-- creation sequence number (5 bytes), both unsigned big-endian, then the task id (its 16 bytes, see
-- src/store/taskIds.ts). With the score -priority, ZRANGE yields labtasker's order: priority desc, last_modified asc,
-- created_at asc, creation order on ties. Fixed widths make byte order numeric order, up to year 10889 and 2^40
-- events a queue. 27 bytes, which Redis keeps in a 32-byte allocation (the decimal digits took 64).
local ORDER_PREFIX = ">I6I5"
local ORDER_PREFIX_LENGTH = 11

local function orderKey(lastModified, seq, taskId)
  return struct.pack(ORDER_PREFIX, lastModified, seq) .. taskId
end

local function taskIdOfMember(member)
  return string.sub(member, ORDER_PREFIX_LENGTH + 1)
end

-- Whether the entry (score `a`, member `am`) comes before (score `b`, member `bm`) of another index of the queue.
-- The members' order is numeric: Lua compares strings by the locale Redis runs in, which need not be byte order.
local function entryBefore(a, am, b, bm)
  if a ~= b then return a < b end
  local at, aseq = struct.unpack(ORDER_PREFIX, am)
  local bt, bseq = struct.unpack(ORDER_PREFIX, bm)
  if at ~= bt then return at < bt end
  return aseq < bseq
end
