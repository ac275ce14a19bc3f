// A script that does not compile fails with a SyntaxError and its line.
var ok = 1;
var broken = ;
// expect-error: SyntaxError: empty expression not allowed (line 3)
