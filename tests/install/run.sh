#!/usr/bin/env bash
# Uses an installed hyperlight the way another project would, from outside
# the repository:
#
#   cmake --install build --prefix PREFIX && tests/install/run.sh PREFIX
#
# Each consumer here (c_host/, own_guest/, ...) is first copied into a fresh
# temporary directory, so no relative path can reach back into the checkout;
# the one thing taken from the build tree is the test guest
# build/tests/guests/simpleguest.elf, passed by path (HYPERLIGHT_TEST_GUEST
# overrides it). Nothing in the environment may help find the library: no
# LD_LIBRARY_PATH, and CMake and pkg-config see only PREFIX. Then every
# tests/install/run_*.sh (the CLI, Go and .NET parts) runs with PREFIX.
# One PASS or FAIL line per check; exits 1 if any check failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: tests/install/run.sh PREFIX   (PREFIX: the directory 'cmake --install build --prefix' wrote)" >&2
  exit 2
fi
prefix=$(cd "$1" && pwd)
test_guest=${HYPERLIGHT_TEST_GUEST:-$root/build/tests/guests/simpleguest.elf}
export HYPERLIGHT_TEST_GUEST=$test_guest  # the run_*.sh parts use the same guest
if [ ! -f "$test_guest" ]; then
  echo "no test guest at $test_guest: run scripts/build.sh first, or set HYPERLIGHT_TEST_GUEST" >&2
  exit 2
fi

unset LD_LIBRARY_PATH HYPERLIGHT_LIB_DIR CMAKE_PREFIX_PATH PKG_CONFIG_LIBDIR hyperlight_DIR hyperlight_ROOT
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export PKG_CONFIG_DISABLE_UNINSTALLED=1 # never the build tree's hyperlight-uninstalled.pc
cc=${CC:-cc}
cmake_generator=()
if command -v ninja >/dev/null; then cmake_generator=(-G Ninja); fi

work=$(mktemp -d)
if [ "${HL_KEEP_WORK:-}" = 1 ]; then
  echo "work directory (kept): $work"
else
  trap 'rm -rf "$work"' EXIT
fi
logs=$work/logs
mkdir -p "$logs"
cp -R "$here/c_host" "$here/own_guest" "$here/guest_without_entry" "$here/sdk_headers" "$work/"
cd "$work" || exit 2

failures=0
pass() { echo "PASS  $*"; }
fail() {
  echo "FAIL  $*"
  failures=$((failures + 1))
}
# logged NAME CMD...: shows CMD, runs it with its output in $logs/NAME.log,
# and on failure shows the end of that log.
logged() {
  local name=$1
  shift
  echo "      \$ $*"
  if "$@" >"$logs/$name.log" 2>&1; then return 0; fi
  echo "      ---- $name failed; the end of its output:"
  tail -n 25 "$logs/$name.log" | sed 's/^/      | /'
  return 1
}
# log_name WHAT: the log file name for a check described as WHAT.
log_name() { echo "$1" | tr -c 'A-Za-z0-9\n' '_'; }
# expect_call WHAT EXPECTED HOST GUEST FUNCTION A B: passes if the call
# succeeds and prints the line EXPECTED.
expect_call() {
  local what=$1 expected=$2 name
  shift 2
  name=$(log_name "$what")
  if logged "$name" "$@" && grep -qxF "$expected" "$logs/$name.log"; then
    pass "$what: $expected"
  else
    fail "$what: expected the line '$expected'; got: $(tr '\n' '|' <"$logs/$name.log")"
  fi
}
# links_against_prefix BINARY: the dynamic loader finds libhyperlight in
# PREFIX. (Output is captured before grep: with pipefail, grep -q quitting
# early can fail the pipeline on SIGPIPE.)
links_against_prefix() {
  local libraries
  libraries=$(ldd "$1") && grep -qF "libhyperlight.so.$major => $prefix/lib/libhyperlight.so.$major " <<<"$libraries"
}
has_debug_info() {
  local sections
  sections=$(readelf -S "$1") && grep -qF '.debug_info' <<<"$sections"
}

echo "== the install tree ($prefix)"
version=$(sed -n 's/^#define HL_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/hyperlight.h")
major=${version%%.*}
if [ -n "$version" ]; then pass "include/hyperlight.h, version $version"; else fail "include/hyperlight.h with HL_VERSION_STRING"; fi
if [ "$(readlink "$prefix/lib/libhyperlight.so")" = "libhyperlight.so.$major" ] &&
  [ "$(readlink "$prefix/lib/libhyperlight.so.$major")" = "libhyperlight.so.$version" ] &&
  [ -f "$prefix/lib/libhyperlight.so.$version" ]; then
  pass "lib/libhyperlight.so -> libhyperlight.so.$major -> libhyperlight.so.$version"
else
  fail "lib/libhyperlight.so -> libhyperlight.so.$major -> libhyperlight.so.$version: $(ls -l "$prefix"/lib/libhyperlight.so* 2>&1)"
fi
soname=$(readelf -d "$prefix/lib/libhyperlight.so.$version" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = "libhyperlight.so.$major" ]; then pass "SONAME $soname"; else fail "SONAME is '$soname', not libhyperlight.so.$major"; fi
missing=""
for f in lib/pkgconfig/hyperlight.pc lib/pkgconfig/hyperlight-guest.pc lib/cmake/hyperlight/hyperlightConfig.cmake \
  lib/cmake/hyperlight/hyperlightConfigVersion.cmake lib/cmake/hyperlight/hyperlightTargets.cmake \
  lib/cmake/hyperlight/HyperlightGuest.cmake include/hyperlight/guest/hyperlight_guest.h \
  lib/hyperlight/guest/libhyperlight_guest.a lib/hyperlight/guest/guest_link_checks.ld bin/hyperlight-guest-cc; do
  [ -e "$prefix/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass "CMake package, pkg-config files, guest SDK and hyperlight-guest-cc"; else fail "missing:$missing"; fi
# Guests are installed only as the SDK's script engines, in share/hyperlight/guests.
stray=$(cd "$prefix" && find . \( -name '*.elf' -o -name '*test*' -o -name '*bench*' -o -name '*fuzz*' \) \
  -not -path './share/hyperlight/guests/*.elf' | sort | tr '\n' ' ')
if [ -z "$stray" ]; then pass "no tests, benchmarks, fuzzers or test guests installed"; else fail "installed but internal: $stray"; fi
# lua.elf and js.elf are built with HL_BUILD_SCRIPT_GUESTS (the default);
# where the build tree has them, the install must too (run_cli.sh runs them).
for g in lua js; do
  if [ -f "$root/build/guests/$g/$g.elf" ]; then
    if [ -f "$prefix/share/hyperlight/guests/$g.elf" ]; then pass "$g.elf in share/hyperlight/guests"; else fail "$g.elf is not installed in share/hyperlight/guests"; fi
  fi
done
targets=$prefix/lib/cmake/hyperlight/hyperlightTargets.cmake
if grep -q 'add_library(hyperlight::hyperlight SHARED IMPORTED)' "$targets" &&
  grep -q 'add_library(hyperlight::guest STATIC IMPORTED)' "$targets" &&
  ! grep -qE 'hyperlight_core|hl_layer_|hl_host_warnings|hl_sanitizers' "$targets"; then
  pass "exported targets hyperlight::hyperlight and hyperlight::guest, nothing internal"
else
  fail "exported targets: $(grep -o 'add_library([^ ]*' "$targets" | tr '\n' ' ')"
fi
if [ "$(pkg-config --modversion hyperlight 2>&1)" = "$version" ] &&
  [ "$(pkg-config --variable=prefix hyperlight 2>&1)" = "$prefix" ] &&
  [ "$(pkg-config --modversion hyperlight-guest 2>&1)" = "$version" ]; then
  pass "pkg-config: hyperlight and hyperlight-guest $version, prefix $prefix"
else
  fail "pkg-config hyperlight / hyperlight-guest: $(pkg-config --modversion --variable=prefix hyperlight hyperlight-guest 2>&1 | tr '\n' ' ')"
fi
# A host compiles and links against the shared library alone: a Requires
# line would make `pkg-config --cflags hyperlight` fail wherever that
# package's own .pc file is missing (libffi is a run-time dependency only).
requires=$(pkg-config --print-requires --print-requires-private hyperlight 2>&1)
if [ -z "$requires" ]; then
  pass "hyperlight.pc requires no other pkg-config package"
else
  fail "hyperlight.pc requires: $requires"
fi

echo "== the guest SDK's headers need nothing else"
freestanding_includes=$("$cc" -print-file-name=include)
if logged sdk_headers "$cc" -ffreestanding -nostdinc -isystem "$freestanding_includes" \
  -I"$prefix/include/hyperlight/guest" -Wall -Wextra -Werror -fsyntax-only sdk_headers/every_header.c; then
  pass "every SDK header compiles with -nostdinc and only include/hyperlight/guest"
else
  fail "SDK headers with -nostdinc and only include/hyperlight/guest"
fi

echo "== (a) a C host built with CMake: find_package(hyperlight CONFIG REQUIRED)"
cmake_host=$work/c_host/build/call_guest
if logged c_host_configure cmake -S c_host -B c_host/build "${cmake_generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF && logged c_host_build cmake --build c_host/build; then
  found=$(sed -n 's/^hyperlight_DIR:PATH=//p' c_host/build/CMakeCache.txt)
  package_version=$(sed -n 's/^-- hyperlight package \([^ ]*\) from .*/\1/p' "$logs/c_host_configure.log")
  if [ "$found" = "$prefix/lib/cmake/hyperlight" ] && [ "$package_version" = "$version" ]; then
    pass "CMake found hyperlight $package_version in $found"
  else
    fail "CMake found hyperlight '$package_version' in '$found', not $version in $prefix/lib/cmake/hyperlight"
  fi
  if links_against_prefix "$cmake_host"; then pass "runs without LD_LIBRARY_PATH: the imported target's rpath"; else
    fail "the CMake-built host does not find $prefix/lib/libhyperlight.so.$major: $(ldd "$cmake_host" | tr '\n' ' ')"
  fi
  expect_call "(a) CMake host, simpleguest" "Add(40, 2) = 42" "$cmake_host" "$test_guest" Add 40 2
  expect_call "(a) CMake host, simpleguest via HostAdd" "AddViaHost(40, 2) = 42" "$cmake_host" "$test_guest" AddViaHost 40 2
  expect_call "(a) hl_version_string() of the installed library" "library $version" "$cmake_host" "$test_guest" Add 1 1
else
  fail "(a) the CMake host does not build"
  cmake_host=""
fi

echo "== (b) the same host built with pkg-config"
mkdir -p c_host/pkg-config
pkg_host=$work/c_host/pkg-config/call_guest
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
if logged c_host_pkg_config "$cc" -std=c11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags hyperlight) \
  c_host/call_guest.c -o "$pkg_host" $(pkg-config --libs hyperlight) \
  -Wl,-rpath,"$(pkg-config --variable=libdir hyperlight)"; then
  if links_against_prefix "$pkg_host"; then pass "runs without LD_LIBRARY_PATH: -Wl,-rpath from pkg-config --variable=libdir"; else
    fail "the pkg-config host does not find $prefix/lib/libhyperlight.so.$major: $(ldd "$pkg_host" | tr '\n' ' ')"
  fi
  expect_call "(b) pkg-config host, simpleguest" "Add(40, 2) = 42" "$pkg_host" "$test_guest" Add 40 2
  expect_call "(b) pkg-config host, simpleguest via HostAdd" "AddViaHost(40, 2) = 42" "$pkg_host" "$test_guest" AddViaHost 40 2
else
  fail "(b) the pkg-config host does not build"
fi

# own_guest_checks ROUTE ELF: runs ELF's three functions with the CMake host.
own_guest_checks() {
  local route=$1 elf=$2
  if has_debug_info "$elf"; then pass "$route: keeps debug info ($(stat -c %s "$elf") bytes)"; else fail "$route: no .debug_info in $elf"; fi
  if [ -z "$cmake_host" ]; then
    fail "$route: no host to run it ((a) failed)"
    return
  fi
  expect_call "$route, typed export" "Multiply(6, 7) = 42" "$cmake_host" "$elf" Multiply 6 7
  expect_call "$route, registered by hyperlight_main" "Subtract(50, 8) = 42" "$cmake_host" "$elf" Subtract 50 8
  expect_call "$route, host call" "AddViaHost(40, 2) = 42" "$cmake_host" "$elf" AddViaHost 40 2
}

echo "== (c) a guest of its own: hl_add_guest after find_package"
if logged own_guest_configure cmake -S own_guest -B own_guest/build "${cmake_generator[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF &&
  logged own_guest_build cmake --build own_guest/build; then
  pass "(c) hl_add_guest builds myguest.elf"
  own_guest_checks "(c) hl_add_guest" "$work/own_guest/build/myguest.elf"
  if grep -qx "myguest: registering Subtract" "$logs/$(log_name "(c) hl_add_guest, registered by hyperlight_main").log"; then
    pass "(c) hyperlight_main's printf reached the host's stdout"
  else
    fail "(c) hyperlight_main's printf did not reach the host's stdout"
  fi
else
  fail "(c) hl_add_guest does not build myguest.elf"
fi

echo "== (c) the same guest without CMake: hyperlight-guest-cc"
mkdir -p own_guest/wrapper
if logged own_guest_wrapper "$prefix/bin/hyperlight-guest-cc" -O2 own_guest/myguest.c -o own_guest/wrapper/myguest.elf; then
  pass "(c) hyperlight-guest-cc builds myguest.elf"
  own_guest_checks "(c) hyperlight-guest-cc" "$work/own_guest/wrapper/myguest.elf"
else
  fail "(c) hyperlight-guest-cc does not build myguest.elf"
fi

if command -v clang >/dev/null; then
  echo "== (c) the same guest with clang: HL_GUEST_CC=clang hyperlight-guest-cc"
  mkdir -p own_guest/clang
  if logged own_guest_clang env HL_GUEST_CC=clang "$prefix/bin/hyperlight-guest-cc" -O2 own_guest/myguest.c \
    -o own_guest/clang/myguest.elf; then
    pass "(c) hyperlight-guest-cc with clang builds myguest.elf"
    own_guest_checks "(c) clang" "$work/own_guest/clang/myguest.elf"
  else
    fail "(c) hyperlight-guest-cc with clang does not build myguest.elf"
  fi
fi

echo "== (c) the same guest without CMake: pkg-config hyperlight-guest, compile and link apart"
mkdir -p own_guest/pkg-config
# shellcheck disable=SC2046
if logged own_guest_pc_compile "$cc" $(pkg-config --cflags hyperlight-guest) -O2 -c own_guest/myguest.c \
  -o own_guest/pkg-config/myguest.o &&
  logged own_guest_pc_link "$cc" own_guest/pkg-config/myguest.o $(pkg-config --libs hyperlight-guest) \
    -o own_guest/pkg-config/myguest.elf; then
  pass "(c) pkg-config hyperlight-guest builds myguest.elf"
  own_guest_checks "(c) pkg-config hyperlight-guest" "$work/own_guest/pkg-config/myguest.elf"
else
  fail "(c) pkg-config hyperlight-guest does not build myguest.elf"
fi

echo "== (d) a guest without an entry point fails to link, saying what to define"
no_entry_message="hyperlight guest has no entry point: export a function with HLG_EXPORT or HLG_EXPORT_AS, or define void hyperlight_main(void)"
# expect_link_error WHAT LOG MESSAGE: the step whose output is LOG failed with MESSAGE.
expect_link_error() {
  if grep -qF "$3" "$logs/$2.log"; then
    pass "$1: $(grep -F "$3" "$logs/$2.log" | head -n 1)"
  else
    fail "$1: the output lacks '$3'"
  fi
}
if logged no_entry_configure cmake -S guest_without_entry -B guest_without_entry/build "${cmake_generator[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF; then
  echo "      \$ cmake --build guest_without_entry/build   (must fail)"
  if cmake --build guest_without_entry/build >"$logs/no_entry_build.log" 2>&1; then
    fail "(d) hl_add_guest linked a guest without an entry point"
  else
    expect_link_error "(d) hl_add_guest" no_entry_build "$no_entry_message"
  fi
else
  fail "(d) the project with the entry-less guest does not configure"
fi
mkdir -p guest_without_entry/wrapper
echo "      \$ $prefix/bin/hyperlight-guest-cc guest_without_entry/no_entry.c -o guest_without_entry/wrapper/no_entry.elf   (must fail)"
if "$prefix/bin/hyperlight-guest-cc" guest_without_entry/no_entry.c -o guest_without_entry/wrapper/no_entry.elf \
  >"$logs/no_entry_wrapper.log" 2>&1; then
  fail "(d) hyperlight-guest-cc linked a guest without an entry point"
else
  expect_link_error "(d) hyperlight-guest-cc" no_entry_wrapper "$no_entry_message"
fi
# A hand-written link that leaves the runtime out: the checks name it.
guest_lib_dir=$prefix/lib/hyperlight/guest
# shellcheck disable=SC2046
if "$cc" $(pkg-config --cflags hyperlight-guest) -c own_guest/myguest.c -o guest_without_entry/myguest.o \
  >"$logs/no_runtime.log" 2>&1 &&
  ! "$cc" guest_without_entry/myguest.o -nostdlib -static-pie -Wl,-e,hl_guest_entry "$guest_lib_dir/guest_link_checks.ld" \
    -o guest_without_entry/no_runtime.elf >>"$logs/no_runtime.log" 2>&1; then
  expect_link_error "(d) a link without libhyperlight_guest.a" no_runtime "link the guest runtime libhyperlight_guest.a"
else
  fail "(d) a link without libhyperlight_guest.a did not fail as expected: $(tr '\n' '|' <"$logs/no_runtime.log")"
fi

for part in "$here"/run_*.sh; do
  [ -e "$part" ] || continue
  echo "== $(basename "$part")"
  if bash "$part" "$prefix"; then pass "$(basename "$part")"; else fail "$(basename "$part") (its output is above)"; fi
done

if [ "$failures" -ne 0 ]; then
  echo "install tests: $failures check(s) FAILED"
  exit 1
fi
echo "install tests: all passed"
