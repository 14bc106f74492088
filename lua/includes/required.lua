-- labtasker's "no more, no less" rule for required fields (contract 4, steps 5 and 8), applied to a task's args.
-- The spec comes from the broker as JSON: {"paths": [[seg, ...], ...], "exact": tree | absent}.
--   paths: every leaf path of the "deepest" key tree; each must exist in args ("no less", Mongo $exists).
--   exact: the "topmost" key tree, leaves true; args must have exactly its keys at every level ("no more").
--          Absent when no required fields were given or "*" allows extra keys.

local function isArray(value)
  return type(value) == "table" and type(next(value)) == "number"
end

-- Mongo's $exists along a dotted path: numeric segments index arrays, other segments look inside each element.
local function pathExists(value, path, depth)
  if depth > #path then return true end
  if type(value) ~= "table" then return false end
  local segment = path[depth]
  if isArray(value) then
    if string.match(segment, "^%d+$") then
      local element = value[tonumber(segment) + 1]
      if element ~= nil and pathExists(element, path, depth + 1) then return true end
    end
    for _, element in ipairs(value) do
      if type(element) == "table" and not isArray(element) and pathExists(element, path, depth) then return true end
    end
    return false
  end
  local child = value[segment]
  if child == nil then return false end
  return pathExists(child, path, depth + 1)
end

-- v1's arg_match: a leaf (true) accepts any value; otherwise the value must be an object with exactly these keys.
local function argMatch(required, provided)
  if required == true then return true end
  if type(provided) ~= "table" or isArray(provided) then return false end
  for key in pairs(provided) do
    if required[key] == nil then return false end
  end
  for key, child in pairs(required) do
    if provided[key] == nil or not argMatch(child, provided[key]) then return false end
  end
  return true
end

local function decodeRequiredSpec(specJson)
  if specJson == "" then return nil end
  return cjson.decode(specJson)
end

local function argsSatisfy(spec, argsJson)
  if spec == nil then return true end
  local ok, args = pcall(cjson.decode, argsJson or "{}")
  if not ok then return false end
  for _, path in ipairs(spec.paths or {}) do
    if not pathExists(args, path, 1) then return false end
  end
  if spec.exact ~= nil then return argMatch(spec.exact, args) end
  return true
end
