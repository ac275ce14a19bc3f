// What Duktape 2.7 offers beyond ES5.1: a selection of ES2015+ built-ins
// (arrow functions, let, classes and template literals are not supported).
var s = Symbol("k"), o = {};
o[s] = 1;
var bytes = new Uint8Array([1, 2, 3]);
var proxy = new Proxy({}, { get: function (t, k) { return "got " + String(k); } });
[
  typeof s, o[s], bytes.length, new DataView(bytes.buffer).getUint8(2), proxy.x, Reflect.has({ a: 1 }, "a"),
  Object.assign({}, { a: 1 }, { b: 2 }).b, 2 ** 10, "abc".startsWith("a"), "abc".endsWith("c"), "abc".includes("b"),
  Number.isInteger(5), Math.trunc(-4.7), 0o17 + 0b11, new TextEncoder().encode("\u00e9").length, typeof globalThis,
  const_value(),
].join(" ");
function const_value() { const c = 3; return c; }
// expect: symbol 1 3 3 got x true 2 1024 true true true true -4 18 2 object 3
