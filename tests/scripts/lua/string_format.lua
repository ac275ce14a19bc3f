-- string.format: integers, floats, padding, hex, %q, %s with __tostring, %g.
local point = setmetatable({x = 1, y = 2}, {__tostring = function(p) return "(" .. p.x .. "," .. p.y .. ")" end})
return string.format("%d|%5.2f|%-6s|%06.1f|%x|%X|%o|%e|%g|%g|%q|%s|%c%c|%10.3s|%i|%a",
  42, math.pi, "ab", -3.14159, 255, 255, 8, 12345.678, 0.0001, 1e20, "a\nb\0c", point, 72, 105, "abcdef", -7, 1.0)
-- expect: 42| 3.14|ab    |-003.1|ff|FF|10|1.234568e+04|0.0001|1e+20|"a\\\nb\\0c"|(1,2)|Hi|       abc|-7|0x1p+0
