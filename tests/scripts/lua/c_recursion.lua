-- Recursion through C (string.gsub calling back into Lua) stops at Lua's
-- limit of nested C calls, a clean error, well before the guest's stack
-- runs out.
local function deeper(n)
  return (string.gsub("x", "x", function() return deeper(n + 1) end))
end
return deeper(1)
-- expect-error: C stack overflow
