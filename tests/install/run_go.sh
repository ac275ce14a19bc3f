#!/usr/bin/env bash
# Builds tests/install/go_app as a Go module outside the repository, against
# an installed hyperlight alone (the binding's source in
# PREFIX/share/hyperlight/go, the library through PREFIX/lib/pkgconfig), runs
# it on the test guest and checks what it prints.
#   tests/install/run_go.sh PREFIX
#   HYPERLIGHT_TEST_GUEST  the guest (default: build/tests/guests/simpleguest.elf)
set -euo pipefail

# shellcheck source=tests/install/prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"
install_test_prelude run_go "$@"
require_files run_go "$prefix/share/hyperlight/go/go.mod" "$prefix/lib/pkgconfig/hyperlight.pc" "$guest"

# As scripts/test.sh: no module proxy, and a home for Go's caches.
export HOME=${HOME:-/root}
export GOFLAGS=-mod=mod
export GOPROXY=off
# Only what this script passes may point at a library.
unset LD_LIBRARY_PATH HYPERLIGHT_LIB_DIR

app=$(mktemp -d "${TMPDIR:-/tmp}/hyperlight-go-app.XXXXXX")
trap 'rm -rf "$app"' EXIT
cp "$root/tests/install/go_app/main.go" "$app/"
version=$(env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion hyperlight)
cat >"$app/go.mod" <<EOF
module example.com/go_app

go 1.19

require hyperlight.dev/hyperlight v$version

replace hyperlight.dev/hyperlight => $prefix/share/hyperlight/go
EOF
echo "== Go app outside the repository ($app), go.mod:"
cat "$app/go.mod"
cd "$app"

# expect OUTPUT: the app's lines that must be there, whichever library it loaded.
expect() {
  local output=$1
  for line in "Add(40, 2) = 42" "AddViaHost(100, 23) = 123" "Echo = hello from go" \
    "version: $version (bindings $version)" "library: $prefix/lib/libhyperlight.so.$version"; do
    if ! grep -qxF "$line" <<<"$output"; then
      printf 'run_go: expected the line "%s", the app printed:\n%s\n' "$line" "$output" >&2
      exit 1
    fi
  done
}

# show: print a command as the user would type it, then run it.
show() {
  printf '+ %s\n' "$*" >&2
  "$@"
}

show env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" go build -o go_app .
output=$(show env LD_LIBRARY_PATH="$prefix/lib" ./go_app "$guest")
echo "$output"
expect "$output"

# The .pc file records no rpath; a program can carry its own instead of
# needing LD_LIBRARY_PATH.
show env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" CGO_LDFLAGS="-Wl,-rpath,$prefix/lib" go build -o go_app_rpath .
output=$(show ./go_app_rpath "$guest")
expect "$output"
echo "run_go: the Go app built and ran against $prefix"
