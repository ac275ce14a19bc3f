#!/usr/bin/env bash
# Fails if any hand-written C/C++ file differs from clang-format's output.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' | grep -v '^include/hyperlight.h$')
clang-format --dry-run -Werror "${files[@]}"
echo "${#files[@]} files formatted"
