#!/usr/bin/env bash
# The layers' include roots (src/CMakeLists.txt) hide the folders above each
# layer; an include with "../" would walk around that. None may exist in src/.
set -euo pipefail
cd "$(dirname "$0")/../.."
if grep -rnE '#\s*include\s*"(\.\./|[^"]*/\.\./)' src; then
  echo "error: src/ includes through '..'; include by layer path (\"kvm/vm.h\") instead" >&2
  exit 1
fi
echo "no parent-relative includes in src/"
