#!/usr/bin/env bash
# Installs the Debian packages hyperlight needs, only those missing.
# Usage: scripts/install-deps.sh   (run as root, or with sudo available)
set -euo pipefail

packages=(
  cmake ninja-build gcc g++ binutils          # build
  pkgconf                                     # pkg-config: tests/install, and cgo finds the library with it
  libffi-dev                                  # libhyperlight: typed host functions, guest function pointers
  googletest libgtest-dev libgmock-dev        # C++ tests
  libbenchmark-dev                            # bench/
  python3 python3-jinja2 python3-yaml         # tools/apigen
  golang-go                                   # bindings/go
  clang-format                                # style check
  valgrind                                    # leak check
  gdb                                         # tests: the gdb stub, core files and target.xml with real gdb
  clang libclang-rt-14-dev llvm               # sanitizers + libFuzzer (scripts/sanitize-and-fuzz.sh)
  dpkg-dev make                               # Debian source packages of musl and the guest engines, musl's build
  python3-matplotlib                          # scripts/bench-report.sh: the plots in docs/benchmarks.md
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

# The .NET SDK is not a Debian package; the C# binding needs it on PATH.
if ! command -v dotnet >/dev/null; then
  echo "error: the .NET SDK (dotnet) is required for bindings/csharp and was not found on PATH" >&2
  exit 1
fi
