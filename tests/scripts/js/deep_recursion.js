// Unbounded script recursion stops at Duktape's call-stack limit with a
// RangeError, not a crash.
function down(n) { return down(n + 1) + 1; }
down(0);
// expect-error: RangeError: callstack limit
