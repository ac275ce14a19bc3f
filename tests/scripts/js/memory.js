// Keeping everything alive exhausts the guest heap: a clean error.
var keep = [];
for (;;) keep.push("x".repeat(1000) + keep.length);
// expect-error: alloc failed
