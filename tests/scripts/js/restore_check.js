// Runs after globals.js on the same sandbox (the runner goes by name): the
// restore after it gave a clean engine.
[typeof leftBehind, typeof ({}).polluted, typeof Array.prototype.map, Math.max(1, 2), JSON.stringify([1]),
  typeof print].join(" ");
// expect: undefined undefined function 2 [1] function
