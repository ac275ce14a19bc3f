-- pcall and error: string errors get the position, tables pass through,
-- levels move the position to the caller, xpcall's handler sees the error,
-- and errors in nested pcalls stay inside.
local ok1, e1 = pcall(error, "plain", 0)
local ok2, e2 = pcall(function() error({code = 7}) end)
local function check(x) if type(x) ~= "number" then error("expected a number", 2) end end
local ok3, e3 = pcall(function()
  check("no") -- line 8
end)
local ok4, e4 = xpcall(function() local t = nil; return t.field end, function(m) return "handled: " .. m end)
local ok5, e5 = pcall(function()
  local inner_ok = pcall(error, "inner")
  return inner_ok
end)
local ok6, e6 = pcall(string.rep)
return table.concat({tostring(ok1), e1, tostring(ok2), e2.code, e3:match(":(%d+):"), tostring(ok4),
                     e4:match("handled: .-:%d+: attempt to index a nil value %(local 't'%)") and "indexed" or e4,
                     tostring(ok5), tostring(e5), e6:match("bad argument #1 to 'string.rep'") and "badarg" or e6}, ",")
-- expect: false,plain,false,7,8,false,indexed,true,false,badarg
