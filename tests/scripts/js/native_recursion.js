// Recursion through native code (here Array.prototype.map) recurses in C;
// the guest's stack check stops it with a RangeError well before the
// stack's guard page.
function viaNative(n) { return [n].map(function (k) { return viaNative(k + 1); }); }
viaNative(0);
// expect-error: RangeError: C stack depth limit
