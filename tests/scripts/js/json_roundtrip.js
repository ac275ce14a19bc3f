// JSON: a parse/stringify round trip gives the same text; indentation, a
// replacer and a reviver.
var text = '{"name":"sandbox","tags":["kvm","guest"],"nested":{"n":1.5,"ok":true,"none":null},"list":[1,2,3]}';
var obj = JSON.parse(text);
var revived = JSON.parse('{"a":1,"b":2}', function (k, v) { return typeof v === "number" ? v * 10 : v; });
print(JSON.stringify({ a: [1, { b: 2 }] }, null, 2));
[
  obj.name, obj.tags[1], obj.nested.n, obj.nested.ok, obj.nested.none, obj.list.length,
  JSON.stringify(obj) === text, JSON.stringify(JSON.parse(JSON.stringify(obj))) === text,
  JSON.stringify({ keep: 1, drop: 2 }, function (k, v) { return k === "drop" ? undefined : v; }),
  revived.a + revived.b, JSON.stringify("q\"uote\n"), JSON.stringify([undefined, function () {}, NaN]),
].join(" ");
// expect: sandbox guest 1.5 true  3 true true {"keep":1} 30 "q\\"uote\\n" [null,null,null]
// expect-print: {\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}\n
