-- A caught memory error leaves a working interpreter; the garbage is
-- collected and the heap is usable again.
local ok, err = pcall(string.rep, "x", 1 << 30)
local t = {}
for i = 1, 10000 do t[i] = i end
return tostring(ok) .. " " .. err .. " " .. #t
-- expect: false not enough memory 10000
