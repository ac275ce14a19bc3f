// A script that never ends is stopped by the sandbox's time limit.
var n = 0;
for (;;) n++;
// expect-timeout
