// try/catch/finally and throw: built-in errors, thrown values of any kind,
// an Error subclass, rethrow from catch, finally running before a return.
var log = [];
try { null.x; } catch (e) { log.push(e.name); }
try { undefinedFunction(); } catch (e) { log.push(e.name); }
try { throw new RangeError("custom"); } catch (e) { log.push(e.name + "=" + e.message); }
try { throw { code: 7 }; } catch (e) { log.push("code " + e.code); }
try { throw "text"; } catch (e) { log.push(typeof e); }
function ValidationError(msg) { this.name = "ValidationError"; this.message = msg; }
ValidationError.prototype = Object.create(Error.prototype);
try { throw new ValidationError("bad input"); } catch (e) { log.push(e instanceof Error, String(e)); }
function f() { try { return "try"; } finally { log.push("finally"); } }
log.push(f());
try {
  try { throw new Error("inner"); } catch (e) { throw new Error("outer after " + e.message); }
} catch (e) { log.push(e.message); }
try { eval("1 +"); } catch (e) { log.push(e.name); }
log.join(" | ");
// expect: TypeError | ReferenceError | RangeError=custom | code 7 | string | true | ValidationError: bad input | finally | try | outer after inner | SyntaxError
