-- JSON helpers that never decode and re-encode user values: cjson would turn 3.0 into 3 and round big
-- integers, and users' args, metadata and summaries must come back exactly as they were sent.

local function jsonString(value)
  if value == nil then return "null" end
  return cjson.encode(value)
end

local function jsonRaw(value)
  if value == nil then return "null" end
  return value
end

-- The JSON string literal at the start of text (a member's key), escapes included.
local function leadingString(text)
  local escaped = false
  for i = 2, #text do
    local c = string.byte(text, i)
    if escaped then escaped = false
    elseif c == 92 then escaped = true
    elseif c == 34 then return string.sub(text, 1, i) end
  end
  return text
end

-- The raw text of each top-level member ('"key":value') of a JSON object text, with its decoded key.
-- Scans bytes, tracking strings and nesting, so member values are copied verbatim.
local function objectMembers(text)
  local members = {}
  local open = string.find(text, "{", 1, true)
  if not open then return members end
  local depth, inString, escaped, start = 0, false, false, open + 1
  local function push(last)
    local member = string.match(string.sub(text, start, last), "^%s*(.-)%s*$")
    if member ~= "" then
      members[#members + 1] = { key = cjson.decode(leadingString(member)), text = member }
    end
  end
  for i = open + 1, #text do
    local c = string.byte(text, i)
    if inString then
      if escaped then escaped = false
      elseif c == 92 then escaped = true -- backslash
      elseif c == 34 then inString = false end -- quote
    elseif c == 34 then inString = true
    elseif c == 123 or c == 91 then depth = depth + 1 -- { [
    elseif c == 125 or c == 93 then -- } ]
      if depth == 0 then push(i - 1) break end
      depth = depth - 1
    elseif c == 44 and depth == 0 then -- ,
      push(i - 1)
      start = i + 1
    end
  end
  return members
end

-- Sets the top-level key of a JSON object text to a raw JSON value, keeping every other member verbatim.
local function setTopLevelKey(objectText, key, valueJson)
  local parts = {}
  for _, member in ipairs(objectMembers(objectText or "{}")) do
    if member.key ~= key then parts[#parts + 1] = member.text end
  end
  parts[#parts + 1] = cjson.encode(key) .. ":" .. valueJson
  return "{" .. table.concat(parts, ",") .. "}"
end
