-- print writes its arguments, tab-separated, with a newline, to the host's
-- print path; io.write does not exist.
print("hello", 1, 2.5, nil, true)
print()
print(setmetatable({}, {__tostring = function() return "custom" end}))
return tostring(io)
-- expect: nil
-- expect-print: hello\t1\t2.5\tnil\ttrue\n\ncustom\n
