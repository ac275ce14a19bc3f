module example.com/scriptserver

go 1.19

require hyperlight.dev/hyperlight v0.0.0

replace hyperlight.dev/hyperlight => ../../../bindings/go
