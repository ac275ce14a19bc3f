// Caught recursion errors leave a working engine.
function down(n) { return down(n + 1) + 1; }
function viaNative(n) { return [n].map(function (k) { return viaNative(k + 1); }); }
var caught = [];
try { down(0); } catch (e) { caught.push(e.name + ": " + e.message); }
try { viaNative(0); } catch (e) { caught.push(e.name + ": " + e.message); }
try { JSON.parse(new Array(100000).join("[")); } catch (e) { caught.push(e.name); }
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
caught.push(fib(20));
caught.join(" | ");
// expect: RangeError: callstack limit | RangeError: C stack depth limit | RangeError | 6765
