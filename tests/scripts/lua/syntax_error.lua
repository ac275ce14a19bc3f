-- A syntax error fails Eval with the parser's message and line.
local x = 1
local y = x + * 2
return y
-- expect-error: :3: unexpected symbol near '*'
