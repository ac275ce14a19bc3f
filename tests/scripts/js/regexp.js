// Regular expressions: groups, global matching with exec, replace with a
// string and with a function, flags, split on a pattern.
var m = /(\d{4})-(\d{2})-(\d{2})/.exec("date: 2026-11-30.");
var re = /(\w+)@(\w+)\.com/g, s = "x@y.com, joe@example.com", found = [], r;
while ((r = re.exec(s)) !== null) found.push(r[1] + " at " + r[2]);
[
  m[0], m[1], m[2], m[3], m.index, "a1b22c333".match(/\d+/g).join("|"), "Hello World".replace(/o/g, "0"),
  "CamelCaseName".replace(/([A-Z])/g, function (c) { return "_" + c.toLowerCase(); }), /^abc$/i.test("ABC"),
  /^abc$/.test("ABC"), "a,b;;c".split(/[,;]+/).length, found.join("; "), "aaa".replace(/a*?/g, "-"),
  /(a)|(b)/.exec("b")[1], "x".search(/y/),
].join(" ");
// expect: 2026-11-30 2026 11 30 6 1|22|333 Hell0 W0rld _camel_case_name true false 3 x at y; joe at example -a-a-a-  -1
