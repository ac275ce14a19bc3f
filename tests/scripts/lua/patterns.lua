-- Patterns: gsub with captures, a function and a table; match, gmatch,
-- anchors, %b, frontier, position captures.
local s = "The quick brown fox jumps over the lazy dog"
local swapped = s:gsub("(%w+) (%w+)", "%2 %1", 2)
local upper = s:gsub("%f[%w]%w", string.upper)
local vowels = select(2, s:gsub("[aeiou]", ""))
local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = #w end
local key, value = ("name = Lua 5.4"):match("^(%w+)%s*=%s*(.-)%s*$")
local balanced = ("f(a(b)c) g(d)"):match("%b()")
local at = ("hello"):match("()ll()")
local expanded = ("$name is $version"):gsub("%$(%w+)", {name = "Lua", version = "5.4"})
return table.concat({swapped, upper, vowels, table.concat(words, ""), key, value, balanced, at, expanded}, "|")
-- expect: quick The fox brown jumps over the lazy dog|The Quick Brown Fox Jumps Over The Lazy Dog|11|355354343|name|Lua 5.4|(a(b)c)|3|Lua is 5.4
