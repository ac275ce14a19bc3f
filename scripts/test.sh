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

scripts/sanitize-and-fuzz.sh
echo "all tests passed"
