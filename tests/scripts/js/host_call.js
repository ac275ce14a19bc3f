// host.call: an integral number crosses as i64, any other as f64 (or as the
// kind host.f64(n) & co. name), booleans as bool, strings as string;
// results come back as numbers, booleans and strings; a failing host
// function throws an Error with its message.
var sum = host.call("Add", 40, 2);
var joined = host.call("Concat", "hyper", "light");
var half = host.call("Half", 5.5);
var halfOfInteger = host.call("Half", host.f64(5));
var no = host.call("Not", true);
var largest = host.call("Largest");
var negative = host.call("Negative");
var nothing = host.call("Nothing");
var bytes = host.call("Bytes", "a\u0000b");
function error(f) { try { f(); return "no error"; } catch (e) { return e.name + ": " + e.message; } }
[
  sum, joined, half, halfOfInteger, no, largest, negative, typeof nothing, bytes.length,
  error(function () { host.call("Fail", "no such record"); }),
  error(function () { host.call("Half", 5); }),
  error(function () { host.call("Add", {}, 1); }),
  error(function () { host.call("Missing"); }),
].join(" | ");
// expect: 42 | hyperlight | 2.75 | 2.5 | false | 18446744073709552000 | -7 | undefined | 3 | Error: host function 'Fail' failed: no such record | Error: host function 'Half' parameter 0 is f64, the guest passed i64 | TypeError: host.call: argument 1 is an object; numbers, booleans, strings and buffers can be passed | Error: host function 'Missing' is not registered
