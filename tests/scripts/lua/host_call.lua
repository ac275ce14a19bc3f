-- host.call: Lua values cross as integer -> i64, float -> f64, boolean ->
-- bool, string -> string; results come back as Lua values; a failing host
-- function is a Lua error with its message.
local sum = host.call("Add", 40, 2)
local joined = host.call("Concat", "hyper", "light")
local half = host.call("Half", 5.0)
local no = host.call("Not", true)
local largest = host.call("Largest")
local negative = host.call("Negative")
local nothing = select("#", host.call("Nothing"))
local bytes = host.call("Bytes", "a\0b")
local ok, err = pcall(host.call, "Fail", "no such record")
local ok2, err2 = pcall(host.call, "Add", 1, 2.5)
local ok3, err3 = pcall(host.call, "Add", {}, 1)
local ok4, err4 = pcall(host.call, "Missing")
return table.concat({sum, math.type(sum), joined, half, tostring(no), string.format("%.0f", largest),
                     math.type(largest), negative, nothing, #bytes, tostring(ok), err:match("no such record") or err,
                     tostring(ok2), err2:match("f64") and "mismatch" or err2, tostring(ok3),
                     err3:match("argument 1 is a table") and "table" or err3, tostring(ok4),
                     err4:match("'Missing'") and "missing" or err4}, ",")
-- expect: 42,integer,hyperlight,2.5,false,18446744073709551616,float,-7,0,3,false,no such record,false,mismatch,false,table,false,missing
