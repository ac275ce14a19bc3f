// A caught allocation failure leaves a working engine: the garbage is
// collected and the heap is usable again.
var result;
try {
  var s = "x";
  for (;;) s = s + s;
} catch (e) {
  result = e.message;
}
s = null;
var t = [];
for (var i = 0; i < 10000; i++) t.push(i);
result + " " + t.length;
// expect: alloc failed 10000
