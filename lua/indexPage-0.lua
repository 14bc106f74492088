--[[
  indexPage: one page of a listing in index order, merged over several index ZSETs, without reading the members
  before it: the rank where each index's part of the page starts is found by k-th selection over the indexes
  (counts and binary searches by rank), so a page costs O(page + k log^3 N) Redis operations over k keys of N
  members, whatever its offset.

  Flags: no-writes
  Reads only (registered with the flag, so it runs when Redis is out of memory and on replicas). Atomic so the page is cut from one state of the indexes (no task counted in two of them, or in none,
  by a transition between two reads).

  KEYS[1..] index ZSETs whose union, ordered by (score, member) as each ZSET orders its own members, is the listing:
            labtasker:{<queue_id>}:status:<status>, or the parts of one (labtasker:{<queue_id>}:pending-by-args:<sig>,
            :pending-routed and :waiting for pending tasks, :archived:<status> for a finished status's archived ones);
            each member in one of them only (src/store/store.ts statusIndexKeys). At least one; all in one slot.

  ARGV[1] offset  members of the merged listing to skip, integer >= 0
  ARGV[2] limit   members of the page at most, integer >= 1

  Returns {OK, n1, member, score, ..., n2, member, score, ...}: for each key in KEYS order, how many of its members
  are on the page, then those members with their scores, in the key's order. The caller interleaves them.
  Events: none (reads only).
]]
--@include generated

-- Members with equal scores are ordered byte by byte (memcmp), as Redis orders them. Lua's `<` on strings follows the
-- server's LC_COLLATE (Redis sets it from the environment for SORT ALPHA), so it is not used.
local function bytesBefore(a, b)
  if a == b then return false end
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- Whether element x = {member, score, scoreText} comes before y in the merged order.
local function before(x, y)
  if x[2] ~= y[2] then return x[2] < y[2] end
  return bytesBefore(x[1], y[1])
end

local function elementAt(key, rank)
  local found = redis.call("ZRANGE", key, rank, rank, "WITHSCORES")
  return { found[1], tonumber(found[2]), found[2] }
end

-- How many members of `key` come before x, clamped to [lo, hi]: the members with lower scores (ZCOUNT), then those
-- with x's score and a lower member: one ZLEXCOUNT when the key holds that score only (a sweep's usual single
-- priority; ZLEXCOUNT is exact only then), else a binary search by rank. Clamping keeps each search inside the
-- ranks still in question.
local function countBefore(key, x, lo, hi)
  local first = redis.call("ZCOUNT", key, "-inf", "(" .. x[3])
  if first >= hi then return hi end
  local stop = redis.call("ZCOUNT", key, "-inf", x[3])
  if stop <= lo then return lo end
  if first == 0 and stop == redis.call("ZCARD", key) then
    return math.max(lo, math.min(hi, redis.call("ZLEXCOUNT", key, "-", "(" .. x[1])))
  end
  -- The first rank in [l, h) whose member comes after x's, or h: every rank before it holds one before x.
  local l, h = math.max(lo, first), math.min(hi, stop)
  while l < h do
    local mid = math.floor((l + h) / 2)
    if bytesBefore(redis.call("ZRANGE", key, mid, mid)[1], x[1]) then l = mid + 1 else h = mid end
  end
  return l
end

-- The pivot of a round: on odd rounds, the weighted median of the keys' middle members (weights: the ranks still in
-- question), which takes at least a quarter of them out whichever side the split is on; on even rounds, the member
-- of the widest key at the rank the split would have if the keys interleaved evenly, which is usually close, so a
-- few rounds suffice where halving would take dozens.
local function pivotOf(keys, round, target, lo, hi)
  local widest, weight, below = nil, 0, 0
  for j = 1, #keys do
    weight = weight + hi[j] - lo[j]
    below = below + lo[j]
    if hi[j] > lo[j] and (widest == nil or hi[j] - lo[j] > hi[widest] - lo[widest]) then widest = j end
  end
  if round % 2 == 0 then
    local width = hi[widest] - lo[widest]
    local rank = lo[widest] + math.floor(width * (target - below) / weight)
    rank = math.max(lo[widest], math.min(hi[widest] - 1, rank))
    return { x = elementAt(keys[widest], rank), key = widest, rank = rank }
  end
  local candidates = {}
  for j = 1, #keys do
    if hi[j] > lo[j] then
      local mid = math.floor((lo[j] + hi[j]) / 2)
      candidates[#candidates + 1] = { x = elementAt(keys[j], mid), key = j, rank = mid, width = hi[j] - lo[j] }
    end
  end
  table.sort(candidates, function(a, b) return before(a.x, b.x) end)
  local seen = 0
  for _, candidate in ipairs(candidates) do
    seen = seen + candidate.width
    if seen * 2 >= weight then return candidate end
  end
  return candidates[#candidates]
end

-- The ranks r[j] at which the merged listing's first `target` members end in each key: sum(r) = target and every
-- member below r[j] in key j comes before every member at or above r[k] in key k. lo[j] <= r[j] <= hi[j] on entry;
-- each round counts the members before a pivot x in every key, which gives x's rank in the merged listing and so
-- on which side of x the split lies. lo and hi are updated in place and equal r on return.
local function split(keys, target, lo, hi)
  for round = 1, math.huge do
    local active, last, others, low, high = 0, nil, 0, 0, 0
    for j = 1, #keys do
      if hi[j] > lo[j] then active, last = active + 1, j else others = others + lo[j] end
      low, high = low + lo[j], high + hi[j]
    end
    -- The bounds themselves are the split when they add up to the target (the first page, the last).
    if target == low or target == high then
      for j = 1, #keys do
        if target == low then hi[j] = lo[j] else lo[j] = hi[j] end
      end
      return
    end
    if active == 0 then return end
    if active == 1 then
      -- One key left: the split is at the rank that makes up the target.
      lo[last] = target - others
      hi[last] = lo[last]
      return
    end
    local pivot = pivotOf(keys, round, target, lo, hi)
    local counts, total = {}, 0
    for j = 1, #keys do
      if j == pivot.key then
        counts[j] = pivot.rank
      elseif hi[j] == lo[j] then
        counts[j] = lo[j]
      else
        counts[j] = countBefore(keys[j], pivot.x, lo[j], hi[j])
      end
      total = total + counts[j]
    end
    if total == target then
      for j = 1, #keys do lo[j], hi[j] = counts[j], counts[j] end
      return
    elseif total < target then
      -- The pivot is among the first `target`: so is every member before it.
      for j = 1, #keys do lo[j] = math.max(lo[j], counts[j]) end
      lo[pivot.key] = math.max(lo[pivot.key], pivot.rank + 1)
    else
      for j = 1, #keys do hi[j] = math.min(hi[j], counts[j]) end
    end
  end
end

local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local cards, total = {}, 0
for j = 1, #KEYS do
  cards[j] = redis.call("ZCARD", KEYS[j])
  total = total + cards[j]
end

local starts, stops, startHi = {}, {}, {}
for j = 1, #KEYS do starts[j], startHi[j] = 0, cards[j] end
split(KEYS, math.min(offset, total), starts, startHi)
local lo, hi = {}, {}
for j = 1, #KEYS do lo[j], hi[j] = starts[j], math.min(cards[j], starts[j] + limit) end
split(KEYS, math.min(offset + limit, total), lo, hi)
for j = 1, #KEYS do stops[j] = lo[j] end

local reply = { E.OK }
for j = 1, #KEYS do
  local count = stops[j] - starts[j]
  reply[#reply + 1] = count
  if count > 0 then
    for _, item in ipairs(redis.call("ZRANGE", KEYS[j], starts[j], stops[j] - 1, "WITHSCORES")) do reply[#reply + 1] = item end
  end
end
return reply
