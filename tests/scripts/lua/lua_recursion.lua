-- Unbounded recursion in Lua grows Lua's own stack on the heap: with the
-- default 4 MiB heap it runs out of memory before Lua's 1,000,000-slot
-- limit ("stack overflow"), and that is a clean error too.
local function deeper(n)
  return deeper(n + 1) + 1
end
return deeper(1)
-- expect-error: not enough memory
