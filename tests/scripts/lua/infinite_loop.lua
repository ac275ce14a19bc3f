-- A script that never ends is stopped by the sandbox's time limit.
local n = 0
while true do n = n + 1 end
-- expect-timeout
