// Closures: each counter keeps its own state; two closures share one
// variable; a function made per loop iteration captures that iteration.
function counter(step) {
  var n = 0;
  return function () { n += step; return n; };
}
var a = counter(1), b = counter(10);
a(); a(); b();
function pair() {
  var shared = 0;
  return [function () { shared++; }, function () { return shared; }];
}
var p = pair();
p[0](); p[0](); p[0]();
var fns = [];
for (var i = 1; i <= 3; i++) fns.push((function (k) { return function () { return k * k; }; })(i));
function compose(f, g) { return function (x) { return f(g(x)); }; }
[a(), b(), p[1](), fns[0]() + fns[1]() + fns[2](), compose(function (x) { return x + 1; }, function (x) { return x * 2; })(20)].join(" ");
// expect: 3 20 3 14 41
