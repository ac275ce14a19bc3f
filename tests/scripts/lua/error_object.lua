-- An error value that is not a string: a table without __tostring.
error({code = 42})
-- expect-error: (error object is a table value)
