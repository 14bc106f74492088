--@include generated
--@include order
-- The candidates of a fetch, from the head of the pending indexes in labtasker's order, `limit` at a time. A fetch
-- that requires an exact set of arg keys reads that signature's index, declared in KEYS; any other reads the index
-- of every signature (derived from the root and the set of signatures) and merges them: for the few signatures of a
-- sweep, a few more ZRANGEs a fetch, where an index of all pending tasks besides cost about 150 bytes a task.
-- An index is a table { key, sig (nil for a declared one), offset }; `cursor` says where each starts: an offset for
-- a declared index, "<sig>=<offset> ..." for the merge (by signature: one may appear between two scans).

local function scanStart(keys, candidates, cursor)
  if candidates ~= keys[ROOT_KEY] then return { { key = candidates, offset = tonumber(cursor) or 0 } } end
  local offsets = {}
  if cursor ~= "" then
    for sig, offset in string.gmatch(cursor, "(%x+)=(%d+)") do offsets[sig] = tonumber(offset) end
  end
  local indexes = {}
  for i, sig in ipairs(redis.call("SMEMBERS", keys[SIGNATURES_KEY])) do
    indexes[i] = { key = K.signature(keys[ROOT_KEY], sig), sig = sig, offset = offsets[sig] or 0 }
  end
  return indexes
end

-- The next `limit` entries of the indexes from their offsets, in order: their members, and the index of each.
local function scanEntries(indexes, limit)
  if #indexes == 1 then
    local index = indexes[1]
    local members, owners = redis.call("ZRANGE", index.key, index.offset, index.offset + limit - 1), {}
    for i = 1, #members do owners[i] = index end
    return members, owners
  end
  local heads = {}
  for i, index in ipairs(indexes) do
    local read = redis.call("ZRANGE", index.key, index.offset, index.offset + limit - 1, "WITHSCORES")
    heads[i] = { index = index, read = read, at = 1 }
  end
  local members, owners = {}, {}
  while #members < limit do
    local best, bestScore
    for _, head in ipairs(heads) do
      local member = head.read[head.at]
      if member then
        local score = tonumber(head.read[head.at + 1])
        if not best or entryBefore(score, member, bestScore, best.read[best.at]) then best, bestScore = head, score end
      end
    end
    if not best then break end
    local n = #members + 1
    members[n], owners[n] = best.read[best.at], best.index
    best.at = best.at + 2
  end
  return members, owners
end

-- Where the next scan starts: the offsets as the caller moved them.
local function scanCursor(indexes)
  if #indexes == 1 and not indexes[1].sig then return tostring(indexes[1].offset) end
  local parts = {}
  for i, index in ipairs(indexes) do parts[i] = index.sig .. "=" .. index.offset end
  return table.concat(parts, " ")
end
