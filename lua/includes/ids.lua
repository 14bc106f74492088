-- A task id as Redis keeps it (src/store/taskIds.ts): `t_` + 12 base64url characters as their 9 bytes, or a UUID of an
-- earlier version as its 16 bytes; both keep index members and the fields of the HASH of tasks short. Scripts get ids
-- in ARGV as text, as the store passes them: either form, or "-" for an id that names no task. Converting here costs
-- Redis about 0.4 µs an id; passing the bytes made the client write each such command as bytes rather than text, 5 to
-- 10 µs more a call.

-- The value of each base64url character, by its byte. A literal: a Functions library may not call `string` while it
-- loads, so the table cannot be built from the alphabet there.
local BASE64URL = {
  [65] = 0, [66] = 1, [67] = 2, [68] = 3, [69] = 4, [70] = 5, [71] = 6, [72] = 7, [73] = 8,
  [74] = 9, [75] = 10, [76] = 11, [77] = 12, [78] = 13, [79] = 14, [80] = 15, [81] = 16, [82] = 17,
  [83] = 18, [84] = 19, [85] = 20, [86] = 21, [87] = 22, [88] = 23, [89] = 24, [90] = 25, [97] = 26,
  [98] = 27, [99] = 28, [100] = 29, [101] = 30, [102] = 31, [103] = 32, [104] = 33, [105] = 34, [106] = 35,
  [107] = 36, [108] = 37, [109] = 38, [110] = 39, [111] = 40, [112] = 41, [113] = 42, [114] = 43, [115] = 44,
  [116] = 45, [117] = 46, [118] = 47, [119] = 48, [120] = 49, [121] = 50, [122] = 51, [48] = 52, [49] = 53,
  [50] = 54, [51] = 55, [52] = 56, [53] = 57, [54] = 58, [55] = 59, [56] = 60, [57] = 61, [45] = 62,
  [95] = 63,
}

local function storedTaskId(id)
  local length, sub = #id, string.sub
  if length == 14 and sub(id, 1, 2) == "t_" then
    local v = BASE64URL
    local b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12 = string.byte(id, 3, 14)
    return struct.pack(">I3I3I3",
      v[b1] * 262144 + v[b2] * 4096 + v[b3] * 64 + v[b4],
      v[b5] * 262144 + v[b6] * 4096 + v[b7] * 64 + v[b8],
      v[b9] * 262144 + v[b10] * 4096 + v[b11] * 64 + v[b12])
  end
  if length ~= 36 then return id end
  return struct.pack(">I4I2I2I2I6", tonumber(sub(id, 1, 8), 16), tonumber(sub(id, 10, 13), 16),
    tonumber(sub(id, 15, 18), 16), tonumber(sub(id, 20, 23), 16), tonumber(sub(id, 25, 36), 16))
end

-- The text of a stored task id (storedTaskId's inverse), for a field that names another task (`blocked_by`).
local BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function textTaskId(stored)
  local length = #stored
  if length == 9 then
    local chars, sub = {}, string.sub
    local g1, g2, g3 = struct.unpack(">I3I3I3", stored)
    for _, group in ipairs({ g1, g2, g3 }) do
      for shift = 18, 0, -6 do
        local value = math.floor(group / 2 ^ shift) % 64
        chars[#chars + 1] = sub(BASE64URL_ALPHABET, value + 1, value + 1)
      end
    end
    return "t_" .. table.concat(chars)
  end
  if length ~= 16 then return stored end
  local a, b, c, d, e = struct.unpack(">I4I2I2I2I6", stored)
  return string.format("%08x-%04x-%04x-%04x-%012x", a, b, c, d, e)
end
