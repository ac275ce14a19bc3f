#!/usr/bin/env bash
# Fresh machine -> every test: installs missing packages, builds, checks the
# generated files, runs the C++ tests (ctest), installs into a temporary
# prefix and uses it from outside the repository, runs the Go and the C# tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# CI may run with a sparse environment; Go and .NET need a home for caches.
export HOME=${HOME:-/root}
export GOFLAGS=${GOFLAGS:--mod=mod}
export GOPROXY=off

scripts/install-deps.sh
scripts/check-kvm.sh
scripts/build.sh

echo "== C++ unit + integration tests, apigen checks (ctest)"
ctest --test-dir build --output-on-failure -j2

echo "== install into a temporary prefix, then use it from outside the repository (tests/install)"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install build --prefix "$prefix" >/dev/null
tests/install/run.sh "$prefix"

echo "== Go binding (go test -race)"
# cgo finds the build tree's library through build/pkgconfig/hyperlight-uninstalled.pc.
(cd bindings/go && export PKG_CONFIG_PATH="$root/build/pkgconfig" HYPERLIGHT_TEST_GUEST="$root/build/tests/guests/simpleguest.elf" &&
  go test -race -count=1 ./... &&
  echo "== Go: kills while the Go runtime is busy, 20 rounds" &&
  go test -race -count=20 -run TestKillWhileTheGoRuntimeIsBusy ./...)

echo "== C# binding (xunit)"
(cd bindings/csharp && HYPERLIGHT_LIB_DIR="$root/build/src" \
  HYPERLIGHT_TEST_GUEST="$root/build/tests/guests/simpleguest.elf" scripts/test.sh)

echo "== examples: the Go script server and the .NET script runner on lua.elf and js.elf (docs/guests.md)"
lua_guest="$root/build/guests/lua/lua.elf"
js_guest="$root/build/guests/js/js.elf"
(cd examples/go/scriptserver && export PKG_CONFIG_PATH="$root/build/pkgconfig" HYPERLIGHT_LUA_GUEST="$lua_guest" \
  HYPERLIGHT_JS_GUEST="$js_guest" && go vet ./... && go test -count=1 ./...)
# Restored offline from the binding's package folder, as the binding's own tests are.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore --configfile bindings/csharp/nuget.config examples/dotnet/ScriptRunner >/dev/null
runner_output=$(HYPERLIGHT_LIB_DIR="$root/build/src" dotnet run --no-restore --project examples/dotnet/ScriptRunner -- \
  "$lua_guest" 'return 6*7' 'return host.call("Add", 40, 2)' 'error("no")')
echo "$runner_output"
grep -q '^42  (' <<<"$runner_output" && [[ $(grep -c '^42  (' <<<"$runner_output") == 2 ]] &&
  grep -q '^error GuestError: .*no' <<<"$runner_output" ||
  { echo "examples/dotnet/ScriptRunner did not print what it should" >&2; exit 1; }

scripts/sanitize-and-fuzz.sh
echo "all tests passed"
