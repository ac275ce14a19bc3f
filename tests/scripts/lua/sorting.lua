-- table.sort: strings in byte order, then with a comparator (length
-- descending, ties alphabetically), then numbers, and a stable check of
-- the sort's error for an invalid order function.
local fruits = {"pear", "Apple", "fig", "banana", "cherry", "date", "apple", "kiwi"}
table.sort(fruits)
local plain = table.concat(fruits, ",")
table.sort(fruits, function(a, b)
  if #a ~= #b then return #a > #b end
  return a:lower() < b:lower() or (a:lower() == b:lower() and a < b)
end)
local numbers = {5, -2, 3.5, 10, 0, 7, -2.5}
table.sort(numbers)
local ok, err = pcall(table.sort, {3, 1, 2, 5, 4, 8, 7, 6, 9, 10, 11, 12}, function(a, b) return true end)
return plain .. "|" .. table.concat(fruits, ",") .. "|" .. table.concat(numbers, ",") .. "|" .. tostring(ok) ..
       " " .. tostring(err:match("invalid order function") ~= nil)
-- expect: Apple,apple,banana,cherry,date,fig,kiwi,pear|banana,cherry,Apple,apple,date,kiwi,pear,fig|-2.5,-2,0,3.5,5,7,10|false true
