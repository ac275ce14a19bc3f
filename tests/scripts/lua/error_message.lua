-- An uncaught error fails Eval with Lua's message, naming the chunk (its
-- first line) and the line.
local function divide(a, b)
  if b == 0 then error("division by zero") end
  return a / b
end
return divide(1, 0)
-- expect-error: [string "-- An uncaught error fails Eval with Lua's me..."]:4: division by zero
