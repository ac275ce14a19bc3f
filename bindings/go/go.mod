module hyperlight.dev/hyperlight

go 1.19
