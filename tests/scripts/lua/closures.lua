-- Closures: each counter keeps its own upvalue; two closures share one.
local function counter(step)
  local n = 0
  return function() n = n + step; return n end
end
local a, b = counter(1), counter(10)
a(); a(); b()
local function pair()
  local shared = 0
  return function() shared = shared + 1 end, function() return shared end
end
local inc, get = pair()
inc(); inc(); inc()
local fns = {}
for i = 1, 3 do fns[i] = function() return i * i end end
return a() .. " " .. b() .. " " .. get() .. " " .. fns[1]() + fns[2]() + fns[3]()
-- expect: 3 20 3 14
