// String formatting: number conversions (fixed, exponent, precision, radix),
// padding by hand, case, trimming, slicing, escapes.
function pad(s, n) { s = String(s); while (s.length < n) s = " " + s; return s; }
[
  (3.14159).toFixed(2), (255).toString(16), (255).toString(2), (1e21).toString(), (0.1 + 0.2).toPrecision(3),
  (1234.5678).toExponential(3), 0.1 + 0.2, 1 / 3, -0, 2e-7, Number("42") + 1, parseInt("ff", 16), parseFloat("2.5e3"),
  "abc".toUpperCase(), "  trim me ".trim() + "|", "a-b-c".split("-").reverse().join("+"), "x".repeat(3),
  "hello".charAt(1), "hello".indexOf("l"), "hello".slice(-3), "hello".substring(1, 3), String.fromCharCode(72, 105),
  "\u00e9".length, encodeURIComponent("a b&c"), "[" + pad(7, 3) + "]", "ab".concat("cd", 1),
].join(" ");
// expect: 3.14 ff 11111111 1e+21 0.300 1.235e+3 0.30000000000000004 0.3333333333333333 0 2e-7 43 255 2500 ABC trim me| c+b+a xxx e 2 llo el Hi 1 a%20b%26c [  7] abcd1
