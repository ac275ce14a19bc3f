-- Stack overflows caught with pcall leave a working interpreter. Lua gives
-- a deep Lua stack's memory back gradually (each collection frees half of
-- the call records left), so after running out of memory the script
-- collects a few times before it needs the heap again.
local function gsub_deeper(n) return (string.gsub("x", "x", function() return gsub_deeper(n + 1) end)) end
local ok1, err1 = pcall(gsub_deeper, 1)
local after1 = #string.rep("ab", 1000)
local function deeper(n) return deeper(n + 1) + 1 end
local ok2, err2 = pcall(deeper, 1)
for _ = 1, 8 do collectgarbage() end
local t = {}
for i = 1, 10000 do t[i] = i end
return tostring(ok1) .. " " .. err1:match("C stack overflow") .. " " .. after1 .. " | " .. tostring(ok2) .. " " ..
       err2 .. " " .. #t
-- expect: false C stack overflow 2000 | false not enough memory 10000
