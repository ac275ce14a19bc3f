// An error the engine raises names the line that caused it.
var record = { name: "x" };

record.address.street;
// expect-error: TypeError: cannot read property 'street' of undefined (line 4)
