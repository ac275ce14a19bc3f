// print writes its arguments, separated by spaces, with a newline, to the
// host's print path; any value prints as String() would show it.
print("hello", "world");
print(1, 2.5, true, null, undefined);
print([1, [2, 3]], { toString: function () { return "custom"; } });
print();
print(Symbol("tag"));
typeof console;
// expect: undefined
// expect-print: hello world\n1 2.5 true null undefined\n1,2,3 custom\n\nSymbol(tag)\n
