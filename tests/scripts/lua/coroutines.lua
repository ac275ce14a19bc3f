-- Coroutines: a generator, values passed both ways, status, and an error
-- inside a coroutine caught by resume.
local function range(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
  end)
end
local sum = 0
for i in range(10) do sum = sum + i end
local co = coroutine.create(function(x)
  local y = coroutine.yield(x * 2)
  local z = coroutine.yield(x + y)
  return x + y + z
end)
local _, r1 = coroutine.resume(co, 5)
local _, r2 = coroutine.resume(co, 7)
local _, r3 = coroutine.resume(co, 100)
local bad = coroutine.create(function() error("inside") end)
local ok, msg = coroutine.resume(bad)
return table.concat({sum, r1, r2, r3, coroutine.status(co), tostring(ok), msg:match("inside") or "?",
                     tostring(coroutine.isyieldable())}, ",")
-- expect: 55,10,12,112,dead,false,inside,false
