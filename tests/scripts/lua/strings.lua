-- The string library: rep, sub, byte/char, reverse, upper/lower, find with
-- plain search, format of long results, and string methods on literals.
local s = ("abc"):rep(3, "-")
return table.concat({s, s:sub(-3), s:sub(2, 5), string.char(s:byte(1, 3)), s:reverse(), ("MiXeD"):upper(),
                     ("MiXeD"):lower(), tostring(s:find("c-a", 1, true)), #string.rep("x", 100000), ("%d"):format(7),
                     ("  trim me  "):match("^%s*(.-)%s*$")}, "|")
-- expect: abc-abc-abc|abc|bc-a|abc|cba-cba-cba|MIXED|mixed|3|100000|7|trim me
