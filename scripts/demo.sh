#!/usr/bin/env bash
# Fresh machine -> the C example running: installs missing packages, builds,
# runs examples/c/hello and examples/c/typed against the test guest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-kvm.sh
scripts/build.sh
./build/examples/c/hello
./build/examples/c/typed
