#!/usr/bin/env bash
# Fails if any hand-written C/C++ file differs from clang-format's output.
# The files tools/apigen renders are left out: apigen --check guards them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' | grep -v -x -e include/hyperlight.h -e src/common/api_types.h -e src/capi/api_types_check.h)
clang-format --dry-run -Werror "${files[@]}"
echo "${#files[@]} files formatted"
