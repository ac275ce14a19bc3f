-- Metatables: arithmetic, comparison, __index chains, __newindex, __call,
-- __len, __concat, __close.
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V.__lt = function(a, b) return a:len2() < b:len2() end
V.__tostring = function(v) return "<" .. v.x .. "," .. v.y .. ">" end
V.__len = function() return 2 end
V.__concat = function(a, b) return tostring(a) .. tostring(b) end
V.__call = function(v, k) return v.x * k end
function V:len2() return self.x * self.x + self.y * self.y end
local a, b = vec(1, 2), vec(3, 4)
local log = {}
local proxy = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k; rawset(t, k, v) end})
proxy.first = 1
proxy.first = 2
proxy.second = 3
local closed
do
  local res <close> = setmetatable({}, {__close = function() closed = "closed" end})
end
return tostring(a + b) .. " " .. tostring(a + b == vec(4, 6)) .. " " .. tostring(a < b) .. " " .. #a .. " " ..
       (a .. b) .. " " .. a(10) .. " " .. table.concat(log, ",") .. " " .. closed
-- expect: <4,6> true true 2 <1,2><3,4> 10 first,second closed
