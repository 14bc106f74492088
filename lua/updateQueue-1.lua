--[[
  updateQueue: write a queue update computed by the broker (v1 update_queue), if the record is unchanged since read.

  The metadata merge keeps numbers exact, so it is done in TypeScript against the revision read here.

  KEYS[1] queue  labtasker:{<queue_id>}:queue   HASH

  ARGV[1] now          ms since the epoch, integer
  ARGV[2] expectedRev  the revision the broker read
  ARGV[3..] field, value pairs to set (queue_name, password, metadata)

  Returns {OK}; {QUEUE_NOT_FOUND}; {CONFLICT}.
  Events: none.
]]
--@include generated

local rev = redis.call("HGET", KEYS[1], "rev")
if not rev then return { E.QUEUE_NOT_FOUND } end
if rev ~= ARGV[2] then return { E.CONFLICT } end
local fields = { "last_modified", ARGV[1], "rev", tostring(tonumber(rev) + 1) }
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call("HSET", KEYS[1], unpack(fields))
return { E.OK }
