// Array.prototype.sort: the default (string) order, numeric and two-key
// comparators, a descending sort of strings.
var nums = [5, 3, 10, 1, 22, 7];
var people = [{ name: "eve", age: 31 }, { name: "bob", age: 25 }, { name: "amy", age: 31 }, { name: "dan", age: 19 }];
people.sort(function (x, y) { return y.age - x.age || (x.name < y.name ? -1 : 1); });
var words = "the quick brown fox jumps over the lazy dog".split(" ");
words.sort(function (a, b) { return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0); });
var many = [];
for (var i = 0; i < 1000; i++) many.push((i * 7919) % 1009);
many.sort(function (a, b) { return a - b; });
var ordered = true;
for (var j = 1; j < many.length; j++) if (many[j - 1] > many[j]) ordered = false;
[
  nums.slice().sort().join(","), nums.slice().sort(function (a, b) { return a - b; }).join(","),
  people.map(function (p) { return p.name + ":" + p.age; }).join(" "), words.join(" "),
  ["pear", "apple", "fig"].sort().reverse().join(","), ordered, many[0], many[999],
].join(" | ");
// expect: 1,10,22,3,5,7 | 1,3,5,7,10,22 | amy:31 eve:31 bob:25 dan:19 | dog fox the the lazy over brown jumps quick | pear,fig,apple | true | 0 | 1008
