// Scribbles over globals and built-ins; the runner restores the snapshot
// after every script, so the next script sees none of it
// (restore_check.js).
var leftBehind = "secret";
Object.prototype.polluted = true;
Array.prototype.map = null;
Math.max = function () { return -1; };
JSON.stringify = undefined;
print = null;
[typeof leftBehind, ({}).polluted, Math.max(1, 2)].join(" ");
// expect: string true -1
