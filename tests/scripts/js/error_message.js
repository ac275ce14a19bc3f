// An uncaught error fails Eval with the engine's message and the line it
// was thrown at.
function divide(a, b) {
  if (b === 0) throw new RangeError("division by zero");
  return a / b;
}
divide(1, 0);
// expect-error: RangeError: division by zero (line 4)
