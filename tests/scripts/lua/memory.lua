-- A script that allocates more than the heap holds gets Lua's memory error.
local parts = {}
for i = 1, 1e9 do parts[i] = string.rep("x", 1000) .. i end
return #parts
-- expect-error: not enough memory
