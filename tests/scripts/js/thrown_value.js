// Throwing something that is not an Error: the message is String() of it.
throw { toString: function () { return "a custom thrown object"; } };
// expect-error: a custom thrown object
