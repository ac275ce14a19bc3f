// Guest SDK tests (tests/guests/sdkguest.c) through the C ABI.
