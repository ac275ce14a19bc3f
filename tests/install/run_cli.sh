#!/usr/bin/env bash
# The installed CLI, PREFIX/bin/hyperlight, run from outside the repository
# with no library path set: it must find the library it was installed with.
# Runs the CLI's end-to-end suite (tools/cli/tests/cli_test.py) against it.
# Usage: tests/install/run_cli.sh PREFIX   (tests/install/run.sh calls it)
#   HYPERLIGHT_TEST_GUEST      simpleguest.elf (default: <repo>/build/tests/guests/simpleguest.elf)
#   HYPERLIGHT_TEST_SDK_GUEST  sdkguest.elf (default: next to simpleguest.elf)
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
prefix=$(cd "$1" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
guest=${HYPERLIGHT_TEST_GUEST:-$repo/build/tests/guests/simpleguest.elf}
sdk_guest=${HYPERLIGHT_TEST_SDK_GUEST:-$(dirname "$guest")/sdkguest.elf}
cli=$prefix/bin/hyperlight

echo "== installed CLI: $cli"
if [[ ! -x $cli ]]; then
  echo "error: $cli is missing: the install did not put the CLI into bin/" >&2
  exit 1
fi
# The library it loads must be the installed one, not the build tree's.
loaded=$(env -u LD_LIBRARY_PATH ldd "$cli" | awk '/libhyperlight\.so/ {print $3}')
case $loaded in
  "$prefix"/*) echo "loads $loaded" ;;
  *)
    echo "error: $cli loads '${loaded:-nothing}' as libhyperlight, not the one under $prefix" >&2
    exit 1
    ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
env -u LD_LIBRARY_PATH "$cli" --version
# The script-engine guests installed with the SDK, when they were built.
script_guests=()
[[ -f $prefix/share/hyperlight/guests/lua.elf ]] && script_guests+=(--lua-guest "$prefix/share/hyperlight/guests/lua.elf")
[[ -f $prefix/share/hyperlight/guests/js.elf ]] && script_guests+=(--js-guest "$prefix/share/hyperlight/guests/js.elf")
env -u LD_LIBRARY_PATH /usr/bin/python3 "$repo/tools/cli/tests/cli_test.py" \
  --cli "$cli" --guest "$guest" --sdk-guest "$sdk_guest" "${script_guests[@]}"
