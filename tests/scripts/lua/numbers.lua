-- Integers and floats (Lua 5.4): integer division, bitwise operators,
-- conversions, math, string.pack, utf8.
local t = {
  7 // 2, 7.0 // 2, 7 % -3, 2^10, 1 << 62, 0xff ~ 0x0f, ~0, math.maxinteger + 1 == math.mininteger,
  math.type(3), math.type(3.0), math.tointeger(5.0), 10 / 4, string.format("%.4f", math.sqrt(2)),
  math.floor(-3.5), math.abs(-4), math.max(3, 9, 1), math.fmod(7, 3), tostring(0/0 ~= 0/0), 1e308 * 10,
  #string.pack("<i4d", 1, 2.5), utf8.len("héllo"), utf8.char(72, 228, 8364), tonumber("0x10"), tonumber("1e2"),
  tonumber("z", 36), string.format("%5.1f", 12.345), 3 | 4, 2^53 == 2^53 + 1,
}
for i, v in ipairs(t) do t[i] = tostring(v) end
return table.concat(t, " ")
-- expect: 3 3.0 -2 1024.0 4611686018427387904 240 -1 true integer float 5 2.5 1.4142 -4 4 9 1 true inf 12 5 Hä€ 16 100.0 35  12.3 7 true
